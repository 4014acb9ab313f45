#pragma once
// GPT-2 as a frozen backbone with embedding slots (DESIGN.md): a port of HF GPT2LMHeadModel's inference path,
// modules registered under GPT2Model's key names (wte, wpe, h.N.*, ln_f; lm_head only when untied).
//
// Slots, in the order the forward pass calls them:
//   "text"          the token embeddings [B,T,D] BEFORE wpe is added. The injector may lengthen the sequence;
//                   position ids then come from the final mask (core::position_ids_from_mask) unless
//                   ForwardOptions::position_ids gives them for the final length.
//   "text.layer.i"  for every block i in 0..L-1: the hidden sequence entering block i (layer 0 = wte + wpe).
//   "text.kv.i"     for every block i: extra keys/values [B,P,D] prepended in block i's attention (prefix
//                   tuning). Every query sees every prefix key its mask allows; input positions do not count
//                   the prefix.
// Dropout is not implemented: the backbone always runs as in eval mode.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "core/slots.h"
#include "models/backbone.h"
#include "models/gpt2/config.h"

namespace softprompt::models::gpt2 {

class ModelImpl : public torch::nn::Module, public LanguageModel {
 public:
  explicit ModelImpl(Config config);

  // ids [B,T] int64 -> [B,T,D] token embeddings (no positions).
  at::Tensor embed(const at::Tensor& ids) override;
  // x.embeds [B,T,D], x.mask [B,T] (undefined = all real) -> last_hidden_state [B,T',D] after ln_f.
  // hidden_states (when asked) follow HF: entry i < L is the input of block i, entry L is the ln_f output.
  BackboneOutput forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                               const ForwardOptions& options = {}) override;
  // ids [B,T], mask [B,T] -> as forward_slots without prompts.
  BackboneOutput forward(const at::Tensor& ids, const at::Tensor& mask = {},
                         const ForwardOptions& options = {});

  std::vector<std::string> slots() const override;
  int64_t hidden_size() const override { return config_.n_embd; }
  int64_t num_layers() const override { return config_.n_layer; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  // "gpt2/<preset>@<weights fingerprint>"; the fingerprint of the weight files is computed on first use.
  std::string backbone_id() const override;
  const Config& config() const { return config_; }
  // The files the weights came from (set by the loader); they define backbone_id's fingerprint.
  void set_weight_files(std::vector<std::string> files);

  // hidden [...,D] -> [...,K] logits for token_ids [K] only (a verbalizer), or [...,V] when undefined.
  at::Tensor lm_logits(const at::Tensor& hidden, const at::Tensor& token_ids = {}) override;
  // The LM head's [V,D] weight: wte's when tied.
  at::Tensor lm_head_weight() const;
  // Mean next-token cross-entropy over the full vocabulary without materializing [B,T,V] logits:
  // hidden [B,T,D], targets [B,T] (already shifted: targets[b,t] is the token predicted at t; -100 = ignore).
  at::Tensor lm_loss(const at::Tensor& hidden, const at::Tensor& targets, int64_t chunk_positions = 0);

  // The keys and values each block computes for a prompt run alone from position 0 (no padding, no prompts):
  // prompt_embeds [B,P,D] at the input slot -> L x KV with key/value [B,P,D] and mask ones [B,P].
  // In a causal LM these do not depend on what follows the prompt (see PrefixCache).
  std::vector<core::KV> prefix_key_values(const at::Tensor& prompt_embeds);

  torch::nn::Embedding wte{nullptr};  // [V,D]
  torch::nn::Embedding wpe{nullptr};  // [n_positions,D]
  torch::nn::ModuleList h{nullptr};   // L x Block
  torch::nn::LayerNorm ln_f{nullptr};
  torch::nn::Linear lm_head{nullptr};  // [V,D]; only when the head is not tied

 private:
  at::Tensor resolve_positions(const core::SlotInput& x, const ForwardOptions& options) const;
  Config config_;
  std::vector<std::string> weight_files_;
  mutable std::string fingerprint_;  // cache for backbone_id()
};
TORCH_MODULE(Model);

}  // namespace softprompt::models::gpt2

#pragma once
// GPT-2 causal multi-head self-attention (HF GPT2Attention, inference path) with optional extra keys/values
// prepended per block: the key/value slot used by prefix tuning (Li & Liang 2021) and P-tuning v2.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "core/slots.h"
#include "models/gpt2/config.h"
#include "models/gpt2/conv1d.h"

namespace softprompt::models::gpt2 {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(const Config& config, int64_t layer_idx);
  // x [B,T,D], bias [B,1,T,P+T] float32 additive mask (see attention_bias), prefix key/value [B,P,D] ->
  // [B,T,D]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& bias, const std::optional<core::KV>& prefix);
  // x [B,T,D] -> (keys, values), each [B,T,D] before the head split: what a prefix cache stores.
  std::pair<at::Tensor, at::Tensor> key_value(const at::Tensor& x);

  Conv1D c_attn{nullptr};  // [D,3D]: q | k | v along the output
  Conv1D c_proj{nullptr};  // [D,D]

 private:
  at::Tensor split_heads(const at::Tensor& x) const;  // [B,T,D] -> [B,H,T,hd]
  int64_t n_embd_;
  int64_t n_head_;
  double divisor_;  // scores are divided by this (sqrt(head_dim), times layer_idx+1 when configured)
};
TORCH_MODULE(Attention);

// The additive attention mask in float32: 0 where a query may attend, finfo(float32).min where not (HF's
// convention; masked causal and padded entries may sum to -inf, which softmax maps to 0).
// mask [B,T] (1 = real token), prefix_mask [B,P] or undefined -> [B,1,T,P+T]. Every query sees every prefix
// position the prefix mask allows, and the input keys up to itself that the mask allows.
at::Tensor attention_bias(const at::Tensor& mask, const at::Tensor& prefix_mask);

}  // namespace softprompt::models::gpt2

#pragma once
// P-tuning (Liu et al. 2021, "GPT Understands, Too"): the input prompt is not trained directly but produced
// by a prompt encoder over P virtual-token embeddings, a bidirectional LSTM + MLP head (the paper) or an MLP
// (PEFT's alternative), as PEFT's PromptEncoder builds them. The encoder only eases training: its output does
// not depend on the input, so the artifact stores the output [P,D] as "<slot>.prompt_embeddings" (PEFT's
// P_TUNING tensor) and a loaded prompt is a plain one.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/methods/method.h"
#include "core/prompt_source.h"

namespace softprompt::core::methods {

enum class PTuningEncoder { kLstm, kMlp };

struct PTuningOptions {
  int64_t num_tokens = 20;  // P
  PTuningEncoder encoder = PTuningEncoder::kLstm;
  int64_t encoder_hidden = 128;  // H (PEFT's encoder_hidden_size)
  double init_range = 0.5;       // U(-r, r) init of the virtual-token embeddings
  int64_t seed = 0;
  void validate() const;  // InputError naming the bad value
};

// The prompt source: encoder(virtual_tokens) while training, plain "prompt_embeddings" once folded.
class PTuningPromptImpl : public core::PromptSourceImpl {
 public:
  PTuningPromptImpl(const PTuningOptions& options, int64_t dim);
  // -> [P,D]: lstm: [1,P,D] -> [1,P,2H] -> mlp [P,D]; mlp: [P,D] -> [P,H] -> [P,H] -> [P,D]
  at::Tensor encode() const;
  // rows [B] (values ignored) -> [B,P,D], mask ones [B,P]
  core::SelectedPrompts select(const at::Tensor& rows) override;
  int64_t num_prompts() const override { return 1; }
  int64_t length() const override { return num_tokens_; }
  int64_t dim() const override { return dim_; }
  void fold();  // replaces the encoder by its output, a parameter "prompt_embeddings" [P,D]
  bool folded() const { return prompt_embeddings.defined(); }

  torch::nn::Embedding virtual_tokens{nullptr};  // "embedding", weight [P,D] (unfolded; PEFT's name)
  torch::nn::LSTM lstm{nullptr};                 // kLstm only
  torch::nn::Sequential mlp{nullptr};
  at::Tensor prompt_embeddings;  // [P,D] (folded)

 private:
  int64_t num_tokens_, dim_;
};
TORCH_MODULE(PTuningPrompt);

class PTuningImpl : public MethodImpl {
 public:
  // Adds the prompt at ctx's input slot (attach_input).
  PTuningImpl(PTuningOptions options, const MethodContext& ctx);
  nlohmann::json options_json() const override;
  std::vector<std::string> slots() const override { return {slot_}; }
  io::TensorMap export_tensors() const override;             // folded: "<slot>.prompt_embeddings" [P,D]
  void load_tensors(const io::TensorMap& tensors) override;  // folds first
  std::shared_ptr<PTuningPromptImpl> prompt() const { return prompt_; }

 private:
  PTuningOptions options_;
  std::string slot_;
  std::shared_ptr<PTuningPromptImpl> prompt_;
};
TORCH_MODULE(PTuning);

Method make_p_tuning(const std::string& name, const nlohmann::json& options, const MethodContext& ctx);

}  // namespace softprompt::core::methods

#pragma once
// The plain soft prompt: P trainable vectors in the frozen backbone's embedding space (Lester et al. 2021,
// "The Power of Scale for Parameter-Efficient Prompt Tuning"). One prompt shared by every row; for several
// named prompts selected per row see PromptBank.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/methods/prompt_init.h"
#include "core/prompt_source.h"

namespace softprompt::core::methods {

struct SoftPromptOptions {
  int64_t num_tokens = 20;                    // P
  int64_t dim = 0;                            // D, the backbone's hidden size at the slot
  PromptInit init = PromptInit::kRandomUniform;
  double init_range = 0.5;                    // kRandomUniform: U(-range, range)
  int64_t vocab_top_n = 0;                    // kVocab, kLabels: sample among ids [0,top_n); 0 = whole vocabulary
  std::string init_text;                      // kText: the text (the caller tokenizes it: PromptInitInputs)
  uint64_t seed = 0;
  // Throws InputError naming the offending option.
  void validate() const;
};

// What the data-dependent inits need, prepared by the caller (core knows no tokenizer and no model).
struct PromptInitInputs {
  at::Tensor embedding;                          // [V,D] the frozen input embedding matrix
  std::vector<int64_t> text_ids;                 // kText: tokens of options.init_text
  std::vector<std::vector<int64_t>> label_ids;   // kLabels: tokens of each class label word
};

// [P,D] initial values for `options` (validated), fp32 on the embedding's device (CPU when none).
at::Tensor initial_prompt(const SoftPromptOptions& options, const PromptInitInputs& inputs);

class SoftPromptImpl : public core::PromptSourceImpl {
 public:
  explicit SoftPromptImpl(SoftPromptOptions options, const PromptInitInputs& inputs = {});
  // -> [P,D] fp32.
  at::Tensor forward() { return weight; }
  // rows [B] (values ignored: one prompt serves every row) -> [B,P,D] view, mask [B,P] of ones.
  core::SelectedPrompts select(const at::Tensor& rows) override;
  int64_t num_prompts() const override { return 1; }
  int64_t length() const override { return weight.size(0); }
  int64_t dim() const override { return weight.size(1); }
  const SoftPromptOptions& options() const { return options_; }

  // Registered as "prompt_embeddings", PEFT's key for the same [P,D] tensor.
  at::Tensor weight;

 private:
  SoftPromptOptions options_;
};
TORCH_MODULE(SoftPrompt);

}  // namespace softprompt::core::methods

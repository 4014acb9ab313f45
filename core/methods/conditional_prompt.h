#pragma once
// CoCoOp's conditional prompt (Zhou et al. 2022b, "Conditional Prompt Learning for Vision-Language Models"):
// a meta-net (Linear-ReLU-Linear with a dim/16 bottleneck) maps a conditioning vector (CLIP: the normalised
// image feature) to a bias pi that is added to every vector of a base prompt, v_m(x) = v_m + pi(x). The
// condition is set per batch; each condition serves a group of consecutive rows (one image's K class
// prompts).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>

#include "core/prompt_source.h"

namespace softprompt::core::methods {

struct ConditionalPromptOptions {
  int64_t condition_dim = 0;  // E, width of the conditioning vector
  int64_t hidden = 0;         // meta-net bottleneck; 0 = condition_dim / 16 (CoCoOp), at least 1
  uint64_t seed = 0;          // meta-net init (PyTorch's default Linear init, from a seeded CPU generator)
  void validate() const;      // throws InputError naming the bad value
};

class ConditionalPromptImpl : public core::PromptSourceImpl {
 public:
  // `base` (registered as "base") holds the context vectors v_1..v_M; the meta-net is "meta_net.linear1/2",
  // CoCoOp's names.
  ConditionalPromptImpl(std::shared_ptr<core::PromptSourceImpl> base, ConditionalPromptOptions options);

  // condition [G,E]: row b of the next select() uses condition b / rows_per_condition (so B = G *
  // rows_per_condition). Kept until the next call; gradients flow into it if it requires grad.
  void set_condition(const at::Tensor& condition, int64_t rows_per_condition);
  // condition [G,E] -> pi [G,D].
  at::Tensor meta_net(const at::Tensor& condition);

  // rows [B] -> base vectors [B,P,D] + pi[b / rows_per_condition] broadcast over P; the base's mask.
  core::SelectedPrompts select(const at::Tensor& rows) override;
  int64_t num_prompts() const override { return base_->num_prompts(); }
  int64_t length() const override { return base_->length(); }
  int64_t dim() const override { return base_->dim(); }
  const std::shared_ptr<core::PromptSourceImpl>& base() const { return base_; }

  torch::nn::Linear linear1{nullptr}, linear2{nullptr};

 private:
  std::shared_ptr<core::PromptSourceImpl> base_;
  at::Tensor condition_;  // [G,E]
  int64_t rows_per_condition_ = 1;
};
TORCH_MODULE(ConditionalPrompt);

}  // namespace softprompt::core::methods

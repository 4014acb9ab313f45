#pragma once
// MaPLe's coupling function (Khattak et al. 2023, "MaPLe: Multi-modal Prompt Learning"): prompts for one
// tower produced by a linear projection of another tower's prompts, so the vision prompts are a function of
// the language prompts at every depth. The projection is this module's parameter; the source prompt is NOT
// registered here (it belongs to the slot that uses it directly, so artifacts list its tensor once).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>

#include "core/prompt_source.h"

namespace softprompt::core::methods {

class ProjectedPromptImpl : public core::PromptSourceImpl {
 public:
  // source [N banks of P x Din] -> Linear(Din, out_dim) ("proj", PyTorch's default init from a CPU generator
  // seeded with `seed`). Throws InputError for a missing source or out_dim < 1.
  ProjectedPromptImpl(std::shared_ptr<core::PromptSourceImpl> source, int64_t out_dim, uint64_t seed);

  // rows [B] -> proj(source vectors [B,P,Din]) = [B,P,out_dim], the source's mask.
  core::SelectedPrompts select(const at::Tensor& rows) override;
  int64_t num_prompts() const override { return source_->num_prompts(); }
  int64_t length() const override { return source_->length(); }
  int64_t dim() const override { return proj->options.out_features(); }
  const std::shared_ptr<core::PromptSourceImpl>& source() const { return source_; }

  torch::nn::Linear proj{nullptr};

 private:
  std::shared_ptr<core::PromptSourceImpl> source_;
};
TORCH_MODULE(ProjectedPrompt);

}  // namespace softprompt::core::methods

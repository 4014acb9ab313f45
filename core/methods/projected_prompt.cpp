#include "core/methods/projected_prompt.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "core/methods/prompt_init.h"

namespace softprompt::core::methods {

ProjectedPromptImpl::ProjectedPromptImpl(std::shared_ptr<core::PromptSourceImpl> source, int64_t out_dim,
                                         uint64_t seed)
    : source_(std::move(source)) {
  if (!source_) throw InputError("projected prompt: no source prompt given");
  if (out_dim < 1) throw InputError("projected prompt: out_dim must be >= 1, got " + std::to_string(out_dim));
  proj = register_module("proj", torch::nn::Linear(torch::nn::LinearOptions(source_->dim(), out_dim)));
  init_linear_default(proj->weight, proj->bias, seed);  // MaPLe uses nn.Linear's defaults
}

core::SelectedPrompts ProjectedPromptImpl::select(const at::Tensor& rows) {
  core::SelectedPrompts p = source_->select(rows);  // [B,P,Din]
  p.vectors = proj(p.vectors);                      // [B,P,out_dim]
  return p;
}

}  // namespace softprompt::core::methods

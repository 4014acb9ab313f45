#include "core/methods/linear_verbalizer.h"

#include <torch/torch.h>

#include "core/errors.h"

namespace softprompt::core::methods {

LinearVerbalizerImpl::LinearVerbalizerImpl(const at::Tensor& label_embeddings) {
  if (!label_embeddings.defined() || label_embeddings.dim() != 2 || label_embeddings.size(0) < 2)
    throw InputError("linear verbalizer: label embeddings must be [K>=2,D], got " +
                     (label_embeddings.defined() ? c10::str(label_embeddings.sizes()) : std::string("none")));
  const int64_t K = label_embeddings.size(0), D = label_embeddings.size(1);
  linear = register_module("linear", torch::nn::Linear(torch::nn::LinearOptions(D, K).bias(true)));
  linear->to(label_embeddings.device());
  torch::NoGradGuard no_grad;
  linear->weight.copy_(label_embeddings.detach().to(torch::kFloat));
  linear->bias.zero_();
}

at::Tensor LinearVerbalizerImpl::forward(const at::Tensor& hidden) {
  TORCH_CHECK(hidden.size(-1) == linear->weight.size(1), "LinearVerbalizer: hidden width ", hidden.size(-1),
              " differs from ", linear->weight.size(1));
  // Computed in fp32 (a half-precision backbone's hidden state is upcast) and returned in hidden's dtype.
  return linear->forward(hidden.to(torch::kFloat)).to(hidden.scalar_type());
}

}  // namespace softprompt::core::methods

#include "models/gpt2/conv1d.h"

#include <torch/torch.h>

namespace softprompt::models::gpt2 {

Conv1DImpl::Conv1DImpl(int64_t in_features, int64_t out_features) {
  // Values come from the checkpoint; the init only matters for models built without one (tests).
  weight = register_parameter("weight", torch::randn({in_features, out_features}) * 0.02);
  bias = register_parameter("bias", torch::zeros({out_features}));
}

at::Tensor Conv1DImpl::forward(const at::Tensor& x) {
  // addmm on the flattened rows is what HF runs; it keeps the rounding identical.
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(1);
  return hooked(x, torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight).view(sizes));
}

void Conv1DImpl::add_to_weight(const at::Tensor& delta) {
  TORCH_CHECK(delta.sizes() == weight.sizes(), "gpt2 Conv1D: weight update ", delta.sizes(), " for a weight ",
              weight.sizes());
  torch::NoGradGuard no_grad;
  weight.add_(delta.to(weight.device(), weight.scalar_type()));
}

}  // namespace softprompt::models::gpt2

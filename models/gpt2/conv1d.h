#pragma once
// GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (y = x W + b), kept in that layout so
// that the checkpoint's tensors load without a transpose. Hookable (core/layer_hooks.h) for LoRA and
// adapters.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "core/layer_hooks.h"

namespace softprompt::models::gpt2 {

class Conv1DImpl : public torch::nn::Module, public core::HookableLinear {
 public:
  Conv1DImpl(int64_t in_features, int64_t out_features);
  // [...,in] -> [...,out]
  at::Tensor forward(const at::Tensor& x);

  int64_t in_features() const override { return weight.size(0); }
  int64_t out_features() const override { return weight.size(1); }
  void add_to_weight(const at::Tensor& delta) override;  // delta [in,out]

  at::Tensor weight;  // [in,out]
  at::Tensor bias;    // [out]
};
TORCH_MODULE(Conv1D);

}  // namespace softprompt::models::gpt2

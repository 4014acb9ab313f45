#pragma once
// GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (y = x W + b), kept in that layout so
// that the checkpoint's tensors load without a transpose.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace softprompt::models::gpt2 {

class Conv1DImpl : public torch::nn::Module {
 public:
  Conv1DImpl(int64_t in_features, int64_t out_features);
  // [...,in] -> [...,out]
  at::Tensor forward(const at::Tensor& x);

  at::Tensor weight;  // [in,out]
  at::Tensor bias;    // [out]
};
TORCH_MODULE(Conv1D);

}  // namespace softprompt::models::gpt2

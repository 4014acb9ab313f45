#pragma once
// One GPT-2 transformer block (pre-LayerNorm): x + attn(ln_1(x)), then + mlp(ln_2(.)). The MLP (c_fc ->
// activation -> c_proj) lives here too, as HF's GPT2MLP.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>

#include "core/slots.h"
#include "models/gpt2/attention.h"
#include "models/gpt2/config.h"
#include "models/gpt2/conv1d.h"

namespace softprompt::models::gpt2 {

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const Config& config);
  // [B,T,D] -> [B,T,D]
  at::Tensor forward(const at::Tensor& x);

  Conv1D c_fc{nullptr};    // [D,inner]
  Conv1D c_proj{nullptr};  // [inner,D]

 private:
  std::string activation_;
};
TORCH_MODULE(Mlp);

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const Config& config, int64_t layer_idx);
  // x [B,T,D], bias [B,1,T,P+T] (attention_bias), prefix key/value [B,P,D] -> [B,T,D]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& bias, const std::optional<core::KV>& prefix);

  torch::nn::LayerNorm ln_1{nullptr};
  Attention attn{nullptr};
  torch::nn::LayerNorm ln_2{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

// HF activations by name: gelu_new / gelu_pytorch_tanh (tanh approximation), gelu (erf), relu, silu.
at::Tensor activation(const std::string& name, const at::Tensor& x);

}  // namespace softprompt::models::gpt2

#include "models/gpt2/block.h"

#include <torch/torch.h>

namespace softprompt::models::gpt2 {

at::Tensor activation(const std::string& name, const at::Tensor& x) {
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return torch::gelu(x, "tanh");
  if (name == "gelu") return torch::gelu(x);
  if (name == "relu") return torch::relu(x);
  if (name == "silu") return torch::silu(x);
  TORCH_CHECK(false, "gpt2: unknown activation '", name, "'");
}

MlpImpl::MlpImpl(const Config& config) : activation_(config.activation) {
  c_fc = register_module("c_fc", Conv1D(config.n_embd, config.inner_dim()));
  c_proj = register_module("c_proj", Conv1D(config.inner_dim(), config.n_embd));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) { return c_proj(activation(activation_, c_fc(x))); }

BlockImpl::BlockImpl(const Config& config, int64_t layer_idx) {
  auto ln = torch::nn::LayerNormOptions({config.n_embd}).eps(config.layer_norm_epsilon);
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln));
  attn = register_module("attn", Attention(config, layer_idx));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln));
  mlp = register_module("mlp", Mlp(config));
}

at::Tensor BlockImpl::forward(const at::Tensor& x, const at::Tensor& bias,
                              const std::optional<core::KV>& prefix) {
  at::Tensor h = x + attn(ln_1(x), bias, prefix);
  return h + mlp(ln_2(h));
}

}  // namespace softprompt::models::gpt2

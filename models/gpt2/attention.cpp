#include "models/gpt2/attention.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace softprompt::models::gpt2 {

AttentionImpl::AttentionImpl(const Config& config, int64_t layer_idx)
    : n_embd_(config.n_embd), n_head_(config.n_head), divisor_(1.0) {
  c_attn = register_module("c_attn", Conv1D(config.n_embd, 3 * config.n_embd));
  c_proj = register_module("c_proj", Conv1D(config.n_embd, config.n_embd));
  if (config.scale_attn_weights) divisor_ = std::sqrt(static_cast<double>(config.head_dim()));
  if (config.scale_attn_by_inverse_layer_idx) divisor_ *= static_cast<double>(layer_idx + 1);
}

at::Tensor AttentionImpl::split_heads(const at::Tensor& x) const {
  return x.reshape({x.size(0), x.size(1), n_head_, n_embd_ / n_head_}).transpose(1, 2);
}

std::pair<at::Tensor, at::Tensor> AttentionImpl::key_value(const at::Tensor& x) {
  auto kv = c_attn(x).narrow(-1, n_embd_, 2 * n_embd_).chunk(2, -1);
  return {kv[0], kv[1]};
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& bias,
                                  const std::optional<core::KV>& prefix) {
  const int64_t b = x.size(0), t = x.size(1);
  auto qkv = c_attn(x).split(n_embd_, -1);  // 3 x [B,T,D]
  at::Tensor q = split_heads(qkv[0]), k = split_heads(qkv[1]), v = split_heads(qkv[2]);
  if (prefix) {
    TORCH_CHECK(prefix->key.dim() == 3 && prefix->key.size(0) == b && prefix->key.size(2) == n_embd_ &&
                    prefix->value.sizes() == prefix->key.sizes(),
                "gpt2 attention: prefix key/value must be [", b, ",P,", n_embd_, "], got ",
                prefix->key.sizes(), " and ", prefix->value.sizes());
    k = torch::cat({split_heads(prefix->key.to(k.device(), k.scalar_type())), k}, /*dim=*/2);
    v = torch::cat({split_heads(prefix->value.to(v.device(), v.scalar_type())), v}, /*dim=*/2);
  }
  TORCH_CHECK(bias.size(-1) == k.size(2) && bias.size(-2) == t, "gpt2 attention: mask ", bias.sizes(),
              " does not fit ", t, " queries and ", k.size(2), " keys");
  // [B,H,T,hd] x [B,H,hd,S] -> [B,H,T,S]; the softmax runs in float32 whatever the weights' dtype.
  at::Tensor scores = torch::matmul(q, k.transpose(-1, -2));
  if (divisor_ != 1.0) scores = scores / divisor_;
  at::Tensor probs = torch::softmax(scores.to(torch::kFloat) + bias, /*dim=*/-1).to(v.scalar_type());
  at::Tensor out = torch::matmul(probs, v).transpose(1, 2).reshape({b, t, n_embd_});  // [B,T,D]
  return c_proj(out);
}

at::Tensor attention_bias(const at::Tensor& mask, const at::Tensor& prefix_mask) {
  TORCH_CHECK(mask.dim() == 2, "gpt2: attention mask must be [B,T], got ", mask.sizes());
  const int64_t b = mask.size(0), t = mask.size(1);
  const int64_t p = prefix_mask.defined() ? prefix_mask.size(1) : 0;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat).device(mask.device());
  const float lowest = std::numeric_limits<float>::lowest();
  at::Tensor keys = mask.to(torch::kFloat);
  if (p > 0) {
    TORCH_CHECK(prefix_mask.dim() == 2 && prefix_mask.size(0) == b, "gpt2: prefix mask must be [", b,
                ",P], got ", prefix_mask.sizes());
    keys = torch::cat({prefix_mask.to(keys.device(), torch::kFloat), keys}, /*dim=*/1);
  }
  // Causal part: query i sees input key j <= i and every prefix key.
  at::Tensor causal = torch::ones({t, t}, opts.dtype(torch::kBool)).tril();
  if (p > 0) causal = torch::cat({torch::ones({t, p}, causal.options()), causal}, /*dim=*/1);
  at::Tensor causal_bias = torch::zeros({t, p + t}, opts).masked_fill(causal.logical_not(), lowest);
  at::Tensor pad_bias = (1.0f - keys) * lowest;  // [B,S]
  return causal_bias.view({1, 1, t, p + t}) + pad_bias.view({b, 1, 1, p + t});
}

}  // namespace softprompt::models::gpt2

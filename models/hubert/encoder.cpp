#include "models/hubert/encoder.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace softprompt::models::hubert {

AttentionImpl::AttentionImpl(const Config& config)
    : heads_(config.num_attention_heads), head_dim_(config.head_dim()) {
  const int64_t d = config.hidden_size;
  q_proj = register_module("q_proj", torch::nn::Linear(d, d));
  k_proj = register_module("k_proj", torch::nn::Linear(d, d));
  v_proj = register_module("v_proj", torch::nn::Linear(d, d));
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
}

at::Tensor AttentionImpl::split_heads(const at::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, head_dim_}).transpose(1, 2);
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& key_bias,
                                  const std::optional<core::KV>& prefix) {
  const int64_t b = x.size(0), t = x.size(1), d = heads_ * head_dim_;
  at::Tensor q = split_heads(q_proj(x) * std::pow(static_cast<double>(head_dim_), -0.5));
  at::Tensor k = split_heads(k_proj(x));
  at::Tensor v = split_heads(v_proj(x));
  if (prefix) {
    TORCH_CHECK(prefix->key.dim() == 3 && prefix->key.size(0) == b && prefix->key.size(2) == d &&
                    prefix->value.sizes() == prefix->key.sizes(),
                "hubert attention: prefix key/value must be [", b, ",P,", d, "], got ", prefix->key.sizes(),
                " and ", prefix->value.sizes());
    k = torch::cat({split_heads(prefix->key.to(k.scalar_type())), k}, /*dim=*/2);
    v = torch::cat({split_heads(prefix->value.to(v.scalar_type())), v}, /*dim=*/2);
  }
  TORCH_CHECK(key_bias.size(-1) == k.size(2), "hubert attention: key bias ", key_bias.sizes(),
              " does not fit ", k.size(2), " keys");
  // [B,H,T,hd] x [B,H,hd,S] -> [B,H,T,S]; the softmax runs in float32 at least (float64 weights keep
  // float64).
  const auto acc = q.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  at::Tensor scores = torch::matmul(q, k.transpose(-1, -2)).to(acc) + key_bias.to(acc);
  at::Tensor probs = torch::softmax(scores, /*dim=*/-1).to(v.scalar_type());
  return out_proj(torch::matmul(probs, v).transpose(1, 2).reshape({b, t, d}));
}

FeedForwardImpl::FeedForwardImpl(const Config& config) : activation_(config.hidden_act) {
  intermediate_dense =
      register_module("intermediate_dense", torch::nn::Linear(config.hidden_size, config.intermediate_size));
  output_dense =
      register_module("output_dense", torch::nn::Linear(config.intermediate_size, config.hidden_size));
}

at::Tensor FeedForwardImpl::forward(const at::Tensor& x) {
  return output_dense(activation(activation_, intermediate_dense(x)));
}

EncoderLayerImpl::EncoderLayerImpl(const Config& config) : pre_ln_(config.do_stable_layer_norm) {
  const auto ln = torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps);
  attention = register_module("attention", Attention(config));
  layer_norm = register_module("layer_norm", torch::nn::LayerNorm(ln));
  feed_forward = register_module("feed_forward", FeedForward(config));
  final_layer_norm = register_module("final_layer_norm", torch::nn::LayerNorm(ln));
}

at::Tensor EncoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& key_bias,
                                     const std::optional<core::KV>& prefix) {
  // [B,T,D] -> [B,T,D]
  if (pre_ln_) {
    at::Tensor h = x + attention(layer_norm(x), key_bias, prefix);
    return h + feed_forward(final_layer_norm(h));
  }
  at::Tensor h = layer_norm(x + attention(x, key_bias, prefix));
  return final_layer_norm(h + feed_forward(h));
}

EncoderImpl::EncoderImpl(const Config& config) {
  pos_conv_embed = register_module("pos_conv_embed", PositionalConvEmbedding(config));
  layer_norm = register_module(
      "layer_norm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layers->push_back(EncoderLayer(config));
}

at::Tensor key_bias_from_mask(const at::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "hubert: key mask must be [B,S], got ", mask.sizes());
  const at::Tensor keys = mask.to(torch::kFloat);
  return ((1.0f - keys) * std::numeric_limits<float>::lowest()).view({mask.size(0), 1, 1, mask.size(1)});
}

}  // namespace softprompt::models::hubert

#include "models/clip/layers.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.h"

namespace softprompt::models::clip {

ClipAttentionImpl::ClipAttentionImpl(int64_t hidden, int64_t heads) : heads_(heads), head_dim_(hidden / heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(hidden, hidden));
  k_proj = register_module("k_proj", torch::nn::Linear(hidden, hidden));
  v_proj = register_module("v_proj", torch::nn::Linear(hidden, hidden));
  out_proj = register_module("out_proj", torch::nn::Linear(hidden, hidden));
}

at::Tensor ClipAttentionImpl::forward(const at::Tensor& x, const at::Tensor& allowed,
                                      const std::optional<core::KV>& extra) {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2);
  // HF scales q before the product (q * head_dim^-0.5), so rounding follows the reference.
  auto q = q_proj(x) * (1.0 / std::sqrt(static_cast<double>(head_dim_)));
  auto k = k_proj(x);
  auto v = v_proj(x);
  at::Tensor pattern = allowed;
  if (extra) {
    TORCH_CHECK(extra->key.dim() == 3 && extra->key.size(0) == b && extra->key.size(2) == d,
                "key/value slot: key must be [", b, ",P,", d, "], got ", extra->key.sizes());
    TORCH_CHECK(extra->value.sizes() == extra->key.sizes(), "key/value slot: value ", extra->value.sizes(),
                " differs from key ", extra->key.sizes());
    const int64_t p = extra->key.size(1);
    k = torch::cat({extra->key.to(k.dtype()), k}, 1);
    v = torch::cat({extra->value.to(v.dtype()), v}, 1);
    auto kv_mask = extra->mask.defined() ? extra->mask.to(torch::kBool) : torch::ones({b, p}, x.options().dtype(torch::kBool));
    TORCH_CHECK(kv_mask.sizes() == at::IntArrayRef({b, p}), "key/value slot: mask must be [", b, ",", p, "]");
    auto prefix = kv_mask.view({b, 1, 1, p}).expand({b, 1, t, p});
    auto own = allowed.defined() ? allowed.expand({b, 1, t, t})
                                 : torch::ones({b, 1, t, t}, x.options().dtype(torch::kBool));
    pattern = torch::cat({prefix, own}, 3);
  }
  const int64_t s = k.size(1);
  q = q.view({b, t, heads_, head_dim_}).transpose(1, 2);  // [B,H,T,hd]
  k = k.view({b, s, heads_, head_dim_}).transpose(1, 2);  // [B,H,S,hd]
  v = v.view({b, s, heads_, head_dim_}).transpose(1, 2);
  auto scores = torch::matmul(q, k.transpose(2, 3));      // [B,H,T,S]
  // Softmax in float32 with the dtype's lowest value (not -inf): a fully masked row stays finite.
  auto scores32 = scores.to(torch::kFloat);
  if (pattern.defined()) scores32 = scores32.masked_fill(pattern.logical_not(), std::numeric_limits<float>::lowest());
  auto probs = torch::softmax(scores32, -1).to(v.dtype());
  auto out = torch::matmul(probs, v).transpose(1, 2).reshape({b, t, d});  // [B,T,D]
  return out_proj(out);
}

ClipMlpImpl::ClipMlpImpl(int64_t hidden, int64_t inner, Activation activation) : activation_(activation) {
  fc1 = register_module("fc1", torch::nn::Linear(hidden, inner));
  fc2 = register_module("fc2", torch::nn::Linear(inner, hidden));
}

at::Tensor ClipMlpImpl::forward(const at::Tensor& x) {
  auto h = fc1(x);
  h = activation_ == Activation::kQuickGelu ? h * torch::sigmoid(1.702 * h) : torch::gelu(h);
  return fc2(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(int64_t hidden, int64_t heads, int64_t inner, Activation activation,
                                           double eps) {
  self_attn = register_module("self_attn", ClipAttention(hidden, heads));
  layer_norm1 = register_module(
      "layer_norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(eps)));
  mlp = register_module("mlp", ClipMlp(hidden, inner, activation));
  layer_norm2 = register_module(
      "layer_norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(eps)));
}

at::Tensor ClipEncoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& allowed,
                                         const std::optional<core::KV>& extra) {
  auto h = x + self_attn(layer_norm1(x), allowed, extra);
  return h + mlp(layer_norm2(h));
}

ClipEncoderImpl::ClipEncoderImpl(int64_t n, int64_t hidden, int64_t heads, int64_t inner, Activation activation,
                                 double eps) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i) {
    blocks_.push_back(ClipEncoderLayer(hidden, heads, inner, activation, eps));
    layers->push_back(blocks_.back());
  }
}

namespace {

// Calls a layer slot on a sequence cut after its first T positions: pads it back to `length` (zeros, mask 0),
// then cuts the slot's output back to T. length <= T: a plain call.
core::SlotInput call_layer_slot(core::PromptInjector& prompts, const std::string& slot, core::SlotInput x,
                                int64_t length) {
  const int64_t b = x.embeds.size(0), t = x.embeds.size(1);
  if (length <= t) return prompts.at_slot(slot, std::move(x));
  auto embeds = torch::cat({x.embeds, torch::zeros({b, length - t, x.embeds.size(2)}, x.embeds.options())}, 1);
  auto mask = torch::cat({x.mask, torch::zeros({b, length - t}, x.mask.options())}, 1);
  auto y = prompts.at_slot(slot, {embeds, mask});
  if (y.embeds.dim() != 3 || y.embeds.size(1) != length) return y;  // the caller reports the length change
  return {y.embeds.narrow(1, 0, t), y.mask.narrow(1, 0, t)};
}

}  // namespace

core::SlotInput ClipEncoderImpl::forward(core::SlotInput x, bool causal, const std::string& modality,
                                         core::PromptInjector& prompts, bool fixed_length,
                                         std::vector<at::Tensor>* hidden_states, int64_t slot_length) {
  at::Tensor pattern = attention_pattern(x.mask, causal);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const auto slot = core::layer_slot(modality, static_cast<int64_t>(i));
    const int64_t t = x.embeds.size(1);
    x = call_layer_slot(prompts, slot, std::move(x), slot_length);
    TORCH_CHECK(x.embeds.dim() == 3 && x.mask.dim() == 2 && x.mask.size(1) == x.embeds.size(1),
                "slot ", slot, ": injector returned embeds ", x.embeds.sizes(), " and mask ", x.mask.sizes());
    if (x.embeds.size(1) != t) {
      if (fixed_length || slot_length > t)
        throw InputError("slot '" + slot + "' changed the sequence length from " +
                         std::to_string(std::max(t, slot_length)) + " to " + std::to_string(x.embeds.size(1)) +
                         "; layer prompts of this tower must replace tokens");
      pattern = attention_pattern(x.mask, causal);
    }
    if (hidden_states) hidden_states->push_back(x.embeds);
    auto extra = prompts.kv_at(core::kv_slot(modality, static_cast<int64_t>(i)), x.embeds.size(0));
    x.embeds = blocks_[i]->forward(x.embeds, pattern, extra);
  }
  if (hidden_states) hidden_states->push_back(x.embeds);
  return x;
}

at::Tensor attention_pattern(const at::Tensor& mask, bool causal) {
  TORCH_CHECK(mask.dim() == 2, "mask must be [B,T], got ", mask.sizes());
  const int64_t b = mask.size(0), t = mask.size(1);
  at::Tensor pattern;
  if (causal) pattern = torch::ones({t, t}, mask.options().dtype(torch::kBool)).tril().view({1, 1, t, t});
  if (!mask.ne(0).all().item<bool>()) {
    auto keys = mask.ne(0).view({b, 1, 1, t});
    pattern = pattern.defined() ? pattern.logical_and(keys) : keys.expand({b, 1, t, t});
  }
  return pattern;
}

at::Tensor last_real_position(const at::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "mask must be [B,T], got ", mask.sizes());
  auto pos = torch::arange(mask.size(1), mask.options().dtype(torch::kLong)).unsqueeze(0);
  return (pos * mask.ne(0).to(torch::kLong)).amax(1);
}

}  // namespace softprompt::models::clip

#pragma once
// HuBERT's transformer encoder, registered under Hugging Face's key names: encoder.pos_conv_embed,
// encoder.layer_norm, encoder.layers.N.{attention.{q,k,v,out}_proj, layer_norm,
// feed_forward.{intermediate,output}_dense, final_layer_norm}. Both layer orders: post-LN (hubert-base) and
// pre-LN "stable layer norm" (hubert-large).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>

#include "core/slots.h"
#include "models/hubert/config.h"
#include "models/hubert/layers.h"

namespace softprompt::models::hubert {

// Multi-head self-attention (BART style: q scaled by head_dim^-0.5 before the product).
class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const Config& config);
  // x [B,T,D]; key_bias [B,1,1,P+T] additive (0 = attend, lowest = masked) covering the prefix keys first;
  // prefix: extra keys/values [B,P,D] (prefix tuning) -> [B,T,D].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& key_bias, const std::optional<core::KV>& prefix);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  at::Tensor split_heads(const at::Tensor& x) const;  // [B,S,D] -> [B,H,S,hd]
  int64_t heads_;
  int64_t head_dim_;
};
TORCH_MODULE(Attention);

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const Config& config);
  at::Tensor forward(const at::Tensor& x);  // [B,T,D] -> [B,T,D]

  torch::nn::Linear intermediate_dense{nullptr}, output_dense{nullptr};

 private:
  std::string activation_;
};
TORCH_MODULE(FeedForward);

// One transformer layer. Post-LN: x = LN(x + Attn(x)); x = LN_final(x + FFN(x)).
// Pre-LN (stable): x = x + Attn(LN(x)); x = x + FFN(LN_final(x)).
class EncoderLayerImpl : public torch::nn::Module {
 public:
  explicit EncoderLayerImpl(const Config& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& key_bias, const std::optional<core::KV>& prefix);

  Attention attention{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  FeedForward feed_forward{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  bool pre_ln_;
};
TORCH_MODULE(EncoderLayer);

// The encoder's modules; the forward loop (with its slots) is ModelImpl::encode.
class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const Config& config);

  PositionalConvEmbedding pos_conv_embed{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};  // before the layers (post-LN) or after them (stable)
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Encoder);

// Additive key bias from a key mask [B,S] (1 = attend): [B,1,1,S] float32, 0 or float32 lowest (HF's
// finfo.min).
at::Tensor key_bias_from_mask(const at::Tensor& mask);

}  // namespace softprompt::models::hubert

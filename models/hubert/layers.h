#pragma once
// HuBERT's front layers, registered under Hugging Face's key names: the conv feature encoder
// (feature_extractor.conv_layers.N.{conv, layer_norm}), the feature projection
// (feature_projection.{layer_norm, projection}) and the weight-normalised positional convolution
// (encoder.pos_conv_embed.conv.{weight_g, weight_v, bias}).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "models/hubert/config.h"

namespace softprompt::models::hubert {

// HF activations by name: gelu (erf), gelu_new / gelu_pytorch_tanh (tanh approximation), relu.
at::Tensor activation(const std::string& name, const at::Tensor& x);

// One conv layer of the feature encoder: conv -> [GroupNorm | LayerNorm over channels | nothing] ->
// activation.
class ConvLayerImpl : public torch::nn::Module {
 public:
  ConvLayerImpl(const Config& config, int64_t index);
  at::Tensor forward(const at::Tensor& x);  // [B,C_in,L] -> [B,C_out,L']

  torch::nn::Conv1d conv{nullptr};
  // Registered as "layer_norm" (HF's name) for feat_extract_norm=group.
  torch::nn::GroupNorm group_norm{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};  // registered as "layer_norm" for feat_extract_norm=layer

 private:
  std::string activation_;
};
TORCH_MODULE(ConvLayer);

// Waveform -> frames: 25 ms receptive field, 20 ms hop with the standard strides.
class FeatureEncoderImpl : public torch::nn::Module {
 public:
  explicit FeatureEncoderImpl(const Config& config);
  at::Tensor forward(const at::Tensor& input_values);  // [B,N] -> [B,C,T]

  torch::nn::ModuleList conv_layers{nullptr};
};
TORCH_MODULE(FeatureEncoder);

// Conv features -> model width: [LayerNorm] -> Linear.
class FeatureProjectionImpl : public torch::nn::Module {
 public:
  explicit FeatureProjectionImpl(const Config& config);
  at::Tensor forward(const at::Tensor& features);  // [B,T,C] -> [B,T,D]

  torch::nn::LayerNorm layer_norm{nullptr};  // only when feat_proj_layer_norm
  torch::nn::Linear projection{nullptr};
};
TORCH_MODULE(FeatureProjection);

// Grouped Conv1d whose weight is weight_norm(dim=2): w = g * v / ||v||, the norm over (out, in) for each tap.
class WeightNormConv1dImpl : public torch::nn::Module {
 public:
  WeightNormConv1dImpl(int64_t channels, int64_t kernel, int64_t groups);
  at::Tensor weight() const;                // [D, D/groups, K]
  at::Tensor forward(const at::Tensor& x);  // [B,D,T] -> [B,D,T+1] (padding K/2 on both sides)

  at::Tensor weight_g;  // [1,1,K]
  at::Tensor weight_v;  // [D,D/groups,K]
  at::Tensor bias;      // [D]

 private:
  int64_t kernel_;
  int64_t groups_;
};
TORCH_MODULE(WeightNormConv1d);

// The convolutional relative positional embedding: conv, drop the extra last frame of an even kernel,
// activation.
class PositionalConvEmbeddingImpl : public torch::nn::Module {
 public:
  explicit PositionalConvEmbeddingImpl(const Config& config);
  at::Tensor forward(const at::Tensor& hidden);  // [B,T,D] -> [B,T,D]

  WeightNormConv1d conv{nullptr};

 private:
  bool drop_last_;
  std::string activation_;
};
TORCH_MODULE(PositionalConvEmbedding);

}  // namespace softprompt::models::hubert

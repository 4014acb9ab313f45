#include "models/hubert/layers.h"

#include <torch/torch.h>

namespace softprompt::models::hubert {

at::Tensor activation(const std::string& name, const at::Tensor& x) {
  if (name == "gelu") return at::gelu(x);
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return at::gelu(x, "tanh");
  if (name == "relu") return at::relu(x);
  TORCH_CHECK(false, "hubert: unknown activation '", name, "'");
}

ConvLayerImpl::ConvLayerImpl(const Config& config, int64_t index)
    : activation_(config.feat_extract_activation) {
  const int64_t in = index == 0 ? 1 : config.conv_dim[index - 1];
  const int64_t out = config.conv_dim[index];
  conv =
      register_module("conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, config.conv_kernel[index])
                                                    .stride(config.conv_stride[index])
                                                    .bias(config.conv_bias)));
  if (config.feat_extract_norm == "group" && index == 0)
    group_norm =
        register_module("layer_norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(out, out).eps(1e-5)));
  if (config.feat_extract_norm == "layer")
    layer_norm = register_module(
        "layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out}).eps(config.layer_norm_eps)));
}

at::Tensor ConvLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = conv(x);
  // GroupNorm(C, C) normalises each channel over time, zero padding included (the reference behaviour).
  if (group_norm) h = group_norm(h);
  if (layer_norm) h = layer_norm(h.transpose(-2, -1)).transpose(-2, -1);
  return activation(activation_, h);
}

FeatureEncoderImpl::FeatureEncoderImpl(const Config& config) {
  conv_layers = register_module("conv_layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < static_cast<int64_t>(config.conv_dim.size()); ++i)
    conv_layers->push_back(ConvLayer(config, i));
}

at::Tensor FeatureEncoderImpl::forward(const at::Tensor& input_values) {
  at::Tensor h = input_values.unsqueeze(1);  // [B,1,N]
  for (const auto& layer : *conv_layers) h = layer->as<ConvLayerImpl>()->forward(h);
  return h;
}

FeatureProjectionImpl::FeatureProjectionImpl(const Config& config) {
  if (config.feat_proj_layer_norm)
    layer_norm = register_module(
        "layer_norm", torch::nn::LayerNorm(
                          torch::nn::LayerNormOptions({config.conv_out_dim()}).eps(config.layer_norm_eps)));
  projection = register_module("projection", torch::nn::Linear(config.conv_out_dim(), config.hidden_size));
}

at::Tensor FeatureProjectionImpl::forward(const at::Tensor& features) {
  return projection(layer_norm ? layer_norm(features) : features);
}

WeightNormConv1dImpl::WeightNormConv1dImpl(int64_t channels, int64_t kernel, int64_t groups)
    : kernel_(kernel), groups_(groups) {
  weight_g = register_parameter("weight_g", torch::ones({1, 1, kernel}));
  weight_v = register_parameter("weight_v", torch::zeros({channels, channels / groups, kernel}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

at::Tensor WeightNormConv1dImpl::weight() const {
  // torch._weight_norm(v, g, dim=2) = v * (g / norm_except_dim(v, 2, dim=2))
  return weight_v * (weight_g / weight_v.pow(2).sum(at::IntArrayRef{0, 1}, /*keepdim=*/true).sqrt());
}

at::Tensor WeightNormConv1dImpl::forward(const at::Tensor& x) {
  return at::conv1d(x, weight(), bias, /*stride=*/1, /*padding=*/kernel_ / 2, /*dilation=*/1, groups_);
}

PositionalConvEmbeddingImpl::PositionalConvEmbeddingImpl(const Config& config)
    : drop_last_(config.num_conv_pos_embeddings % 2 == 0), activation_(config.feat_extract_activation) {
  conv = register_module("conv", WeightNormConv1d(config.hidden_size, config.num_conv_pos_embeddings,
                                                  config.num_conv_pos_embedding_groups));
}

at::Tensor PositionalConvEmbeddingImpl::forward(const at::Tensor& hidden) {
  at::Tensor h = conv(hidden.transpose(1, 2));  // [B,D,T+1] for an even kernel
  if (drop_last_) h = h.slice(2, 0, -1);        // HubertSamePadLayer
  return activation(activation_, h).transpose(1, 2);
}

}  // namespace softprompt::models::hubert

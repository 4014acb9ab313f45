#include "models/clip/vision_model.h"

#include <torch/torch.h>

#include <sstream>

#include "core/errors.h"

namespace softprompt::models::clip {

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const ClipVisionConfig& c) {
  class_embedding = register_parameter("class_embedding", torch::zeros({c.hidden_size}));
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size)
                            .stride(c.patch_size)
                            .bias(false)));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(c.num_positions(), c.hidden_size));
}

at::Tensor ClipVisionEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  const auto& w = patch_embedding->weight;
  auto patches = patch_embedding(pixel_values.to(w.device(), w.scalar_type()));  // [B,D,g,g]
  patches = patches.flatten(2).transpose(1, 2);                                  // [B,N,D]
  const int64_t b = patches.size(0);
  auto cls = class_embedding.view({1, 1, -1}).expand({b, 1, class_embedding.size(0)});
  return torch::cat({cls, patches}, 1) + position_embedding->weight.unsqueeze(0);  // [B,1+N,D]
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipVisionConfig& c) : config_(c) {
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)); };
  embeddings = register_module("embeddings", ClipVisionEmbeddings(c));
  pre_layrnorm = register_module("pre_layrnorm", ln());
  encoder = register_module("encoder", ClipEncoder(c.num_layers, c.hidden_size, c.num_heads, c.intermediate_size,
                                                   c.activation, c.layer_norm_eps));
  post_layernorm = register_module("post_layernorm", ln());
}

VisionEncoding ClipVisionTransformerImpl::encode(const at::Tensor& pixel_values, core::PromptInjector& prompts,
                                                 bool output_hidden_states) {
  const auto& c = config_;
  if (pixel_values.dim() != 4 || pixel_values.size(1) != c.num_channels || pixel_values.size(2) != c.image_size ||
      pixel_values.size(3) != c.image_size) {
    std::ostringstream msg;
    msg << "pixel_values must be [B," << c.num_channels << "," << c.image_size << "," << c.image_size << "], got "
        << pixel_values.sizes();
    throw InputError(msg.str());
  }
  if (!at::isFloatingType(pixel_values.scalar_type()))
    throw InputError("pixel_values must be floating point, got " + std::string(c10::toString(pixel_values.scalar_type())));
  core::SlotInput x{embeddings(pixel_values), {}};
  x.mask = torch::ones({x.embeds.size(0), x.embeds.size(1)}, x.embeds.options().dtype(torch::kLong));
  x = prompts.at_slot(core::input_slot("vision"), std::move(x));  // [B,1+N,D] -> [B,N',D]
  TORCH_CHECK(x.embeds.dim() == 3 && x.mask.dim() == 2 && x.mask.size(1) == x.embeds.size(1),
              "slot vision: injector returned embeds ", x.embeds.sizes(), " and mask ", x.mask.sizes());
  x.embeds = pre_layrnorm(x.embeds);
  VisionEncoding out;
  x = encoder(x, /*causal=*/false, "vision", prompts, /*fixed_length=*/false,
              output_hidden_states ? &out.hidden_states : nullptr);
  out.last_hidden_state = x.embeds;
  out.pooled = post_layernorm(x.embeds.select(1, 0));  // [B,D]
  out.mask = x.mask;
  return out;
}

}  // namespace softprompt::models::clip

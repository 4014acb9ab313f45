#include "models/clip/model.h"

#include <torch/torch.h>

#include "core/errors.h"

namespace softprompt::models::clip {

ClipModelImpl::ClipModelImpl(const ClipConfig& config) : config_(config) {
  validate(config_, "ClipModel");
  text_model = register_module("text_model", ClipTextTransformer(config_.text));
  vision_model = register_module("vision_model", ClipVisionTransformer(config_.vision));
  visual_projection = register_module(
      "visual_projection",
      torch::nn::Linear(torch::nn::LinearOptions(config_.vision.hidden_size, config_.projection_dim).bias(false)));
  text_projection = register_module(
      "text_projection",
      torch::nn::Linear(torch::nn::LinearOptions(config_.text.hidden_size, config_.projection_dim).bias(false)));
  logit_scale = register_parameter("logit_scale", torch::tensor(config_.logit_scale_init, torch::kFloat));
}

TextEncoding ClipModelImpl::encode_text(const at::Tensor& ids, core::PromptInjector& prompts,
                                        const TextOptions& options) {
  auto tokens = text_model->embed(ids);  // validates ids
  const int64_t b = ids.size(0), t = ids.size(1);
  auto eot = text_model->eot_index(ids).to(tokens.device());
  at::Tensor mask = options.attention_mask;
  if (mask.defined()) {
    if (mask.sizes() != ids.sizes())
      throw InputError("attention_mask must have the shape of input_ids [" + std::to_string(b) + "," +
                       std::to_string(t) + "]");
    mask = mask.to(tokens.device(), torch::kLong);
  }
  if (options.truncate) {
    // 1 up to the EOT: after any insertion before it, the EOT is still the mask's last real position.
    auto through = mask_through(eot, t);
    mask = mask.defined() ? mask * through : through;
    return encode_text(core::SlotInput{tokens, mask}, at::Tensor(), prompts, options);
  }
  auto out = encode_text(core::SlotInput{tokens, mask}, eot, prompts, options);
  if (out.last_hidden_state.size(1) != t)
    throw InputError("the \"text\" slot changed the sequence length from " + std::to_string(t) + " to " +
                     std::to_string(out.last_hidden_state.size(1)) +
                     "; a full-length text forward needs prompts that replace tokens (use truncate)");
  return out;
}

TextEncoding ClipModelImpl::encode_text(core::SlotInput embeds, const at::Tensor& eot_index,
                                        core::PromptInjector& prompts, const TextOptions& options) {
  TextEncodeOptions o;
  o.truncate = options.truncate;
  o.output_hidden_states = options.output_hidden_states;
  o.arange_positions = !options.truncate;  // HF's full-length semantics (differs only at padding)
  return text_model->encode(std::move(embeds), eot_index, prompts, o);
}

VisionEncoding ClipModelImpl::encode_image(const at::Tensor& pixel_values, core::PromptInjector& prompts,
                                           bool output_hidden_states) {
  return vision_model->encode(pixel_values, prompts, output_hidden_states);
}

at::Tensor ClipModelImpl::image_features(const VisionEncoding& v) { return visual_projection(v.pooled); }
at::Tensor ClipModelImpl::text_features(const TextEncoding& t) { return text_projection(t.pooled); }

at::Tensor ClipModelImpl::logits(const at::Tensor& image_features, const at::Tensor& text_features) {
  auto i = image_features / image_features.norm(2, -1, /*keepdim=*/true);
  auto t = text_features / text_features.norm(2, -1, /*keepdim=*/true);
  return logit_scale.exp().to(i.dtype()) * torch::matmul(i, t.t());  // [Bi,Bt]
}

ClipOutput ClipModelImpl::forward(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                                  core::PromptInjector& prompts, const TextOptions& text_options) {
  ClipOutput out;
  if (pixel_values.defined()) {
    out.vision = encode_image(pixel_values, prompts, text_options.output_hidden_states);
    out.image_features = image_features(out.vision);
    out.image_embeds = out.image_features / out.image_features.norm(2, -1, true);
  }
  if (input_ids.defined()) {
    out.text = encode_text(input_ids, prompts, text_options);
    out.text_features = text_features(out.text);
    out.text_embeds = out.text_features / out.text_features.norm(2, -1, true);
  }
  if (pixel_values.defined() && input_ids.defined()) {
    out.logits_per_image = logits(out.image_features, out.text_features);
    out.logits_per_text = out.logits_per_image.t();
  }
  return out;
}

at::Tensor ClipModelImpl::embed(const at::Tensor& ids) { return text_model->embed(ids); }

BackboneOutput ClipModelImpl::forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                                            const ForwardOptions& options) {
  TextEncodeOptions o;
  o.truncate = false;
  o.position_ids = options.position_ids;
  o.output_hidden_states = options.output_hidden_states;
  auto t = text_model->encode(std::move(x), at::Tensor(), prompts, o);
  BackboneOutput out;
  out.last_hidden_state = t.last_hidden_state;
  out.hidden_states = std::move(t.hidden_states);
  out.mask = t.mask;
  return out;
}

std::vector<std::string> ClipModelImpl::slots() const {
  std::vector<std::string> out;
  for (const auto& [modality, layers] :
       {std::pair<std::string, int64_t>{"text", config_.text.num_layers}, {"vision", config_.vision.num_layers}}) {
    out.push_back(core::input_slot(modality));
    for (int64_t i = 0; i < layers; ++i) out.push_back(core::layer_slot(modality, i));
    for (int64_t i = 0; i < layers; ++i) out.push_back(core::kv_slot(modality, i));
  }
  return out;
}

}  // namespace softprompt::models::clip

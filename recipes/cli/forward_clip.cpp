// `softprompt forward` for CLIP: a Hugging Face directory (config.json model_type "clip") or an OpenAI-layout
// state dict saved as one .safetensors file. Reproduces HF CLIPModel(pixel_values, input_ids, attention_mask)
// at full text length (pooled at HF's EOT rule; OpenAI files: argmax).
// Inputs: pixel_values [B,C,S,S] float, input_ids [B,T] int (either or both), attention_mask [B,T] (optional).
// Outputs: image_embeds, image_features, vision_model.pooler_output, vision_model.last_hidden_state;
// text_embeds, text_features, text_model.pooler_output, text_model.last_hidden_state; with both inputs
// logits_per_image [Bi,Bt] and logits_per_text [Bt,Bi]. *_embeds are L2-normalised, *_features are not.
#include <torch/torch.h>

#include <set>
#include <string>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "models/clip/load.h"
#include "recipes/cli/forward_family.h"

namespace softprompt::cli {
namespace {

using core::io::TensorMap;

const at::Tensor* find(const TensorMap& in, const std::string& name) {
  auto it = in.find(name);
  return it == in.end() ? nullptr : &it->second;
}

void expect_dtype(const std::string& name, const at::Tensor& t, bool floating) {
  const bool ok = floating ? at::isFloatingType(t.scalar_type())
                           : (t.scalar_type() == at::kLong || t.scalar_type() == at::kInt);
  if (!ok)
    throw InputError("input '" + name + "' has dtype " + core::io::safetensors_dtype(t.scalar_type()) +
                     (floating ? ", expected a float type" : ", expected I64 or I32"));
}

TensorMap run_clip(const std::string& path, const TensorMap& inputs) {
  static const std::set<std::string> kNames = {"pixel_values", "input_ids", "attention_mask"};
  for (const auto& [name, t] : inputs)
    if (!kNames.count(name))
      throw InputError("unknown input '" + name + "' (clip takes pixel_values, input_ids, attention_mask)");
  const at::Tensor* pixels = find(inputs, "pixel_values");
  const at::Tensor* ids = find(inputs, "input_ids");
  const at::Tensor* mask = find(inputs, "attention_mask");
  if (!pixels && !ids) throw InputError("clip needs 'pixel_values', 'input_ids' or both");
  if (mask && !ids) throw InputError("'attention_mask' given without 'input_ids'");
  if (pixels) expect_dtype("pixel_values", *pixels, /*floating=*/true);
  if (ids) expect_dtype("input_ids", *ids, /*floating=*/false);
  if (mask) {
    expect_dtype("attention_mask", *mask, /*floating=*/false);
    if (!(mask->eq(0) | mask->eq(1)).all().item<bool>())
      throw InputError("input 'attention_mask' must hold only 0 and 1");
  }
  // The model checks the id range and pixel shapes; a row without positions has no EOT to pool.
  if (ids && (ids->dim() != 2 || ids->size(1) == 0))
    throw InputError("input 'input_ids' has shape " + c10::str(ids->sizes()) + ", expected [B,T] with T >= 1");

  auto model = models::clip::load_clip(path).model;
  torch::NoGradGuard no_grad;
  core::NoPrompts none;
  models::clip::TextOptions options;
  options.truncate = false;  // HF's full last_hidden_state
  if (mask) options.attention_mask = *mask;
  const auto pixel_values = pixels ? pixels->to(at::kFloat) : at::Tensor();
  const auto input_ids = ids ? ids->to(at::kLong) : at::Tensor();
  if (input_ids.defined() && input_ids.size(1) > model->config().text.max_positions)
    throw InputError("input 'input_ids' has " + std::to_string(input_ids.size(1)) + " positions, the context length is " +
                     std::to_string(model->config().text.max_positions));
  const auto out = model->forward(pixel_values, input_ids, none, options);
  TensorMap result;
  if (pixels) {
    result["image_embeds"] = out.image_embeds;
    result["image_features"] = out.image_features;
    result["vision_model.pooler_output"] = out.vision.pooled;
    result["vision_model.last_hidden_state"] = out.vision.last_hidden_state;
  }
  if (ids) {
    result["text_embeds"] = out.text_embeds;
    result["text_features"] = out.text_features;
    result["text_model.pooler_output"] = out.text.pooled;
    result["text_model.last_hidden_state"] = out.text.last_hidden_state;
  }
  if (pixels && ids) {
    result["logits_per_image"] = out.logits_per_image;
    result["logits_per_text"] = out.logits_per_text.contiguous();
  }
  return result;
}

ForwardFamilyRegistration reg({"clip",
                               [](const std::string& path, const nlohmann::json& config) {
                                 if (config.is_object())
                                   return config.contains("model_type") && config["model_type"] == "clip";
                                 return models::clip::is_clip_checkpoint(path);
                               },
                               run_clip});

}  // namespace
}  // namespace softprompt::cli

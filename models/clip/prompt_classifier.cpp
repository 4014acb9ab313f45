#include "models/clip/prompt_classifier.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::clip {
namespace {

at::Tensor normalized(const at::Tensor& x) { return x / x.norm(2, -1, /*keepdim=*/true); }

// The K placed class rows repeated for each of B images (image-major), for a conditional method.
core::PlacedBatch repeat_rows(const core::PlacedBatch& p, int64_t times) {
  core::PlacedBatch out = p;
  out.input_ids = p.input_ids.repeat({times, 1});
  out.attention_mask = p.attention_mask.repeat({times, 1});
  out.position_ids = p.position_ids.repeat({times, 1});
  out.soft_index = p.soft_index.repeat({times, 1});
  out.read_position = p.read_position.repeat({times});
  out.mask_position = p.mask_position.repeat({times});
  return out;
}

}  // namespace

core::methods::VlDims vl_dims(const ClipConfig& config) {
  core::methods::VlDims d;
  d.text_dim = config.text.hidden_size;
  d.vision_dim = config.vision.hidden_size;
  d.text_layers = config.text.num_layers;
  d.vision_layers = config.vision.num_layers;
  d.feature_dim = config.projection_dim;
  const double patch = static_cast<double>(config.vision.patch_size);
  d.vision_init_range = std::sqrt(6.0 / (3.0 * patch * patch + static_cast<double>(d.vision_dim)));
  return d;
}

core::methods::VlPrompts make_vl_prompts(ClipModel& model, const core::methods::VlPromptOptions& options,
                                         const core::Tokenize& tokenize,
                                         const std::vector<std::string>& class_names) {
  core::methods::VlInitInputs init;
  init.token_embedding = model->text_model->embeddings->token_embedding->weight.detach();
  if (!options.ctx_init.empty()) init.ctx_init_ids = tokenize(options.ctx_init);
  return core::methods::build_vl_prompts(options, vl_dims(model->config()), init, class_names);
}

ClipPromptClassifier::ClipPromptClassifier(ClipModel model, core::methods::VlPrompts prompts,
                                           core::Tokenize tokenize, ClassifierOptions options)
    : model_(std::move(model)),
      prompts_(std::move(prompts)),
      tokenize_(std::move(tokenize)),
      options_(std::move(options)) {
  if (!model_ || !prompts_.set) throw InputError("ClipPromptClassifier: no model or no prompts");
  std::string hash = model_->backbone_id();
  cache_ = std::make_unique<core::FeatureCache>(hash, options_.cache_path);
}

void ClipPromptClassifier::set_classes(const std::vector<std::string>& class_names) {
  if (class_names.empty()) throw InputError("no class names");
  if (prompts_.class_prompts > 1 && static_cast<int64_t>(class_names.size()) != prompts_.class_prompts)
    throw InputError("the class-specific context was made for " + std::to_string(prompts_.class_prompts) +
                     " classes, not " + std::to_string(class_names.size()));
  std::vector<core::TemplateRow> rows;
  for (const auto& c : class_names) rows.push_back({{"class", c}});
  core::PlaceOptions po;
  po.bos_ids = {options_.sot_id};
  po.eos_ids = {options_.eot_id};
  po.pad_id = options_.pad_id;
  po.max_length = model_->config().text.max_positions;
  po.truncate_field = "class";
  po.pad_to_max_length = !options_.truncate_text;
  placed_ = core::place(prompts_.text_template, rows, tokenize_, po);
  classes_ = class_names;
  fixed_text_ = at::Tensor();
}

at::Tensor ClipPromptClassifier::frozen_image_features(const at::Tensor& pixel_values) {
  torch::NoGradGuard no_grad;
  core::NoPrompts none;
  return model_->image_features(model_->encode_image(pixel_values, none));  // [B,E]
}

at::Tensor ClipPromptClassifier::image_features(const at::Tensor& pixel_values,
                                                const std::vector<std::string>& image_ids) {
  if (prompts_.vision_prompts) {
    prompts_.set->begin_batch({});
    return model_->image_features(model_->encode_image(pixel_values, *prompts_.set));
  }
  if (image_ids.empty() || !options_.cache_image_features) return frozen_image_features(pixel_values);
  if (static_cast<int64_t>(image_ids.size()) != pixel_values.size(0))
    throw InputError(std::to_string(image_ids.size()) + " image ids for " +
                     std::to_string(pixel_values.size(0)) + " images");
  return cache_->get(image_ids, [&](const std::vector<int64_t>& rows) {
    // Every row missing (the first epoch): the batch as given, so the result is the uncached one.
    if (static_cast<int64_t>(rows.size()) == pixel_values.size(0)) return frozen_image_features(pixel_values);
    return frozen_image_features(pixel_values.index_select(0, torch::tensor(rows, torch::kLong)));
  });
}

at::Tensor ClipPromptClassifier::text_features(const at::Tensor& image_features) {
  if (classes_.empty()) throw InputError("ClipPromptClassifier: set_classes() before classifying");
  if (!prompts_.text_prompts) {
    // No text prompts: the class features are frozen, computed once.
    if (!fixed_text_.defined()) {
      torch::NoGradGuard no_grad;
      core::NoPrompts none;
      TextOptions to;
      to.attention_mask = placed_.attention_mask;
      to.truncate = options_.truncate_text;
      fixed_text_ = model_->text_features(model_->encode_text(placed_.input_ids, none, to));
    }
    return fixed_text_;
  }
  const int64_t K = num_classes();
  core::PlacedBatch batch = placed_;
  at::Tensor rows;
  if (prompts_.conditional) {
    const int64_t B = image_features.size(0);
    batch = repeat_rows(placed_, B);
    prompts_.conditional->set_condition(normalized(image_features), K);
  } else if (prompts_.class_prompts > 1) {
    rows = torch::arange(K, torch::kLong);  // class k uses context k
  }
  prompts_.set->begin_batch(rows, {{prompts_.text_slot, &batch}});
  TextOptions to;
  to.attention_mask = batch.attention_mask;
  to.truncate = options_.truncate_text;
  auto t = model_->text_features(model_->encode_text(batch.input_ids, *prompts_.set, to));  // [K or B*K, E]
  if (prompts_.conditional) return t.view({image_features.size(0), K, -1});
  return t;
}

at::Tensor ClipPromptClassifier::logits_from_features(const at::Tensor& image_features) {
  const at::Tensor text = text_features(image_features);
  if (text.dim() == 2) return model_->logits(image_features, text);  // [B,K]
  // Conditional: each image against its own K class features, [B,E] x [B,K,E] -> [B,K].
  const at::Tensor cos = torch::einsum("be,bke->bk", {normalized(image_features), normalized(text)});
  return model_->logit_scale.exp().to(cos.dtype()) * cos;
}

at::Tensor ClipPromptClassifier::logits(const at::Tensor& pixel_values,
                                        const std::vector<std::string>& image_ids) {
  return logits_from_features(image_features(pixel_values, image_ids));
}

core::io::TensorMap ClipPromptClassifier::trainable_parameters() const {
  core::io::TensorMap out;
  for (const auto& [name, t] : core::methods::vl_prompt_tensors(prompts_))
    if (t.requires_grad()) out[name] = t;
  return out;
}

void ClipPromptClassifier::load_parameters(const core::io::TensorMap& tensors, const std::string& source) {
  weights::load_strict(*prompts_.set, tensors, source);
}

}  // namespace softprompt::models::clip

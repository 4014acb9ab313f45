#pragma once
// CLIP (Radford et al. 2021): both towers, the two projections into the joint space and the learned logit
// scale, registered under Hugging Face CLIPModel's key names. As a models::Backbone it is the text tower
// (embed = token embeddings, forward_slots = text transformer); slots() lists both towers' slots.
// The tower APIs for prompt methods: encode_text (CoOp, CoCoOp, MaPLe text side), encode_image (VPT).
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "models/backbone.h"
#include "models/clip/config.h"
#include "models/clip/text_model.h"
#include "models/clip/vision_model.h"

namespace softprompt::models::clip {

struct ClipOutput {
  at::Tensor logits_per_image;  // [Bi,Bt] exp(logit_scale) * cosine similarity
  at::Tensor logits_per_text;   // [Bt,Bi] its transpose
  at::Tensor image_features;    // [Bi,E] visual_projection(pooled), unnormalised (OpenAI encode_image)
  at::Tensor text_features;     // [Bt,E] text_projection(pooled), unnormalised (OpenAI encode_text)
  at::Tensor image_embeds;      // [Bi,E] L2-normalised image_features (HF CLIPModel.forward)
  at::Tensor text_embeds;       // [Bt,E] L2-normalised text_features
  VisionEncoding vision;
  TextEncoding text;
};

struct TextOptions {
  at::Tensor attention_mask;  // optional [B,T] (1 = real); combined with "up to the EOT"
  // false: every position is run (HF's full last_hidden_state, needed for parity at padding positions);
  // the "text" slot must then keep the length. true: run to the longest EOT only (same pooled result).
  bool truncate = true;
  bool output_hidden_states = false;
};

class ClipModelImpl : public torch::nn::Module, public Backbone {
 public:
  explicit ClipModelImpl(const ClipConfig& config);

  // ids [B,T] -> text tower through the prompts -> TextEncoding (pooled at each row's EOT, followed through
  // any insertion the "text" slot makes before it).
  TextEncoding encode_text(const at::Tensor& ids, core::PromptInjector& prompts, const TextOptions& options = {});
  // Token embeddings (e.g. built by a prompt method) -> TextEncoding; see ClipTextTransformerImpl::encode.
  TextEncoding encode_text(core::SlotInput embeds, const at::Tensor& eot_index, core::PromptInjector& prompts,
                           const TextOptions& options = {});
  // pixel_values [B,C,H,W] -> VisionEncoding.
  VisionEncoding encode_image(const at::Tensor& pixel_values, core::PromptInjector& prompts,
                              bool output_hidden_states = false);

  at::Tensor image_features(const VisionEncoding& v);  // [B,Dv] -> [B,E]
  at::Tensor text_features(const TextEncoding& t);     // [B,Dt] -> [B,E]
  // features [Bi,E], [Bt,E] -> logits_per_image [Bi,Bt] = exp(logit_scale) * normalise(i) . normalise(t)^T
  at::Tensor logits(const at::Tensor& image_features, const at::Tensor& text_features);

  // The full CLIPModel.forward: either input may be undefined (its outputs stay undefined).
  ClipOutput forward(const at::Tensor& pixel_values, const at::Tensor& input_ids, core::PromptInjector& prompts,
                     const TextOptions& text_options = {});

  // Backbone (the text tower).
  at::Tensor embed(const at::Tensor& ids) override;  // [B,T] -> [B,T,Dt]
  // x [B,T,Dt] token embeddings -> every position after final_layer_norm; pooled index = last real position.
  BackboneOutput forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                               const ForwardOptions& options = {}) override;
  std::vector<std::string> slots() const override;
  int64_t hidden_size() const override { return config_.text.hidden_size; }
  int64_t num_layers() const override { return config_.text.num_layers; }
  std::string backbone_id() const override { return backbone_id_; }
  void set_backbone_id(std::string id) { backbone_id_ = std::move(id); }

  const ClipConfig& config() const { return config_; }

  ClipTextTransformer text_model{nullptr};
  ClipVisionTransformer vision_model{nullptr};
  torch::nn::Linear visual_projection{nullptr}, text_projection{nullptr};
  at::Tensor logit_scale;  // 0-dim, stored as log(scale)

 private:
  ClipConfig config_;
  std::string backbone_id_ = "clip";
};
TORCH_MODULE(ClipModel);

}  // namespace softprompt::models::clip

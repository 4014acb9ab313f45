#pragma once
// Contrastive image-text pretraining of a small CLIP (the starter CLIP, recipes/pretrain_clip): captions
// drawn from varied templates over each image's attributes, and the symmetric InfoNCE loss of Radford et al.
// 2021 with one change for a small label space: every caption that is true of an image is a positive (a
// caption may leave attributes out, and a batch repeats classes), so the targets spread over all true pairs.
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/trainer/task.h"
#include "modalities/text/clip_tokenizer.h"
#include "models/clip/model.h"
#include "recipes/common/image_sources.h"

namespace softprompt::recipes::clip {

struct Caption {
  std::string text;
  std::array<int64_t, images::kNumAttributes> attributes;  // what the text says; -1 = left unsaid
};

// A caption of an image with `attributes` (a row of ImageSet::attributes), template and wording drawn from
// rng.
Caption caption_for(const int64_t* attributes, std::mt19937_64& rng);

// Class names of a source id (fashion_mnist, mnist digit words, shape names).
const std::vector<std::string>& class_names(int64_t source);

// image attributes [Bi,A], caption attributes [Bt,A] -> [Bi,Bt] float: 1 where the caption is true of the
// image.
at::Tensor caption_matches(const at::Tensor& image_attributes, const at::Tensor& caption_attributes);

// [Bi,Bt] logits, [Bi,Bt] matches -> symmetric cross-entropy against the row/column-normalised matches.
at::Tensor contrastive_loss(const at::Tensor& logits_per_image, const at::Tensor& matches);

// HF CLIPPreTrainedModel._init_weights in spirit: N(0, 0.02) weights and embeddings, zero biases, unit
// LayerNorms, projections N(0, width^-0.5); logit_scale keeps its config value.
void init_clip_weights(models::clip::ClipModelImpl& model);

// A held-out zero-shot check during pretraining: one template over a set's classes.
struct ZeroShotSet {
  std::string name;
  at::Tensor pixels;  // [N,3,S,S]
  at::Tensor labels;  // [N]
  std::vector<std::string> classes;
  std::string templ;  // e.g. "a photo of a {}."
};

// Trains every CLIP weight. Metric "accuracy": the mean zero-shot accuracy over the dev sets (also reported
// per set as "<name>_accuracy").
class ClipPretrainTask : public core::trainer::Task {
 public:
  ClipPretrainTask(models::clip::ClipModel model, const modalities::text::ClipTokenizer& tok,
                   at::Tensor pixels, at::Tensor attributes, std::vector<ZeroShotSet> dev, uint64_t seed);
  int64_t train_size() const override { return pixels_.size(0); }
  // indices -> images [B,3,S,S] + one drawn caption each -> loss
  core::trainer::StepOutput train_step(const std::vector<int64_t>& indices) override;
  core::trainer::EvalResult evaluate(const std::string& split) override;
  core::io::TensorMap trainable_parameters() override;
  void set_training(bool training) override { model_->train(training); }

 private:
  models::clip::ClipModel model_;
  const modalities::text::ClipTokenizer& tok_;
  at::Tensor pixels_, attributes_;
  std::vector<ZeroShotSet> dev_;
  std::mt19937_64 rng_;
};

}  // namespace softprompt::recipes::clip

#pragma once
// The trainer tasks of the image_classification recipe: prompt learning through models/clip's
// ClipPromptClassifier (CoOp, CoCoOp, VPT, MaPLe, IVLP) and the linear-probe baseline (logistic regression on
// frozen, L2-normalised image features; Radford et al. 2021, section 3.2).
#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <vector>

#include "core/trainer/task.h"
#include "models/clip/prompt_classifier.h"

namespace softprompt::recipes::image_classification {

// Labelled, preprocessed images with a stable id each (the image-feature cache key).
struct Split {
  at::Tensor pixels;             // [N,3,S,S]
  at::Tensor labels;             // [N] int64 in 0..K-1 of the classes the classifier is set to
  std::vector<std::string> ids;  // [N]
};

// Predicted class per image, in batches, without gradients. -> [N] int64
at::Tensor predict(models::clip::ClipPromptClassifier& clf, const Split& split, int64_t batch = 256);

// Cross-entropy over the classifier's classes (set before training). evaluate(): accuracy on the train split.
class PromptLearningTask : public core::trainer::Task {
 public:
  PromptLearningTask(models::clip::ClipPromptClassifier& clf, Split train);
  int64_t train_size() const override { return train_.pixels.size(0); }
  // indices -> logits [B,K] -> loss
  core::trainer::StepOutput train_step(const std::vector<int64_t>& indices) override;
  core::trainer::EvalResult evaluate(const std::string& split) override;
  core::io::TensorMap trainable_parameters() override { return clf_.trainable_parameters(); }

 private:
  models::clip::ClipPromptClassifier& clf_;
  Split train_;
};

// Logistic regression [E] -> [K] on fixed features. evaluate(): accuracy on the train features.
class LinearProbeTask : public core::trainer::Task {
 public:
  LinearProbeTask(at::Tensor features, at::Tensor labels, int64_t num_classes);  // [N,E], [N]
  int64_t train_size() const override { return features_.size(0); }
  core::trainer::StepOutput train_step(const std::vector<int64_t>& indices) override;
  core::trainer::EvalResult evaluate(const std::string& split) override;
  core::io::TensorMap trainable_parameters() override;
  at::Tensor predict(const at::Tensor& features);  // [N,E] -> [N] int64

 private:
  at::Tensor features_, labels_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace softprompt::recipes::image_classification

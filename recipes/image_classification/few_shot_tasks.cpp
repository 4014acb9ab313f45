#include "recipes/image_classification/few_shot_tasks.h"

#include <torch/torch.h>

namespace softprompt::recipes::image_classification {
namespace {

std::vector<std::string> take(const std::vector<std::string>& ids, const std::vector<int64_t>& rows) {
  std::vector<std::string> out;
  for (auto r : rows) out.push_back(ids.at(static_cast<size_t>(r)));
  return out;
}

core::trainer::EvalResult accuracy_of(const at::Tensor& pred, const at::Tensor& labels) {
  core::trainer::EvalResult r;
  r.predictions = std::vector<int64_t>(pred.data_ptr<int64_t>(), pred.data_ptr<int64_t>() + pred.numel());
  r.labels = std::vector<int64_t>(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + labels.numel());
  r.metrics["accuracy"] = pred.eq(labels).to(torch::kDouble).mean().item<double>();
  return r;
}

}  // namespace

at::Tensor predict(models::clip::ClipPromptClassifier& clf, const Split& split, int64_t batch) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> out;
  for (int64_t b = 0; b < split.pixels.size(0); b += batch) {
    const int64_t e = std::min(split.pixels.size(0), b + batch);
    std::vector<std::string> ids(split.ids.begin() + b, split.ids.begin() + e);
    out.push_back(clf.logits(split.pixels.slice(0, b, e), ids).argmax(1));
  }
  return torch::cat(out);
}

PromptLearningTask::PromptLearningTask(models::clip::ClipPromptClassifier& clf, Split train)
    : clf_(clf), train_(std::move(train)) {}

core::trainer::StepOutput PromptLearningTask::train_step(const std::vector<int64_t>& indices) {
  const auto idx = torch::tensor(indices, torch::kLong);
  auto logits = clf_.logits(train_.pixels.index_select(0, idx), take(train_.ids, indices));  // [B,K]
  return {torch::nn::functional::cross_entropy(logits, train_.labels.index_select(0, idx))};
}

core::trainer::EvalResult PromptLearningTask::evaluate(const std::string&) {
  return accuracy_of(predict(clf_, train_), train_.labels);
}

LinearProbeTask::LinearProbeTask(at::Tensor features, at::Tensor labels, int64_t num_classes)
    : features_(std::move(features)),
      labels_(std::move(labels)),
      head_(torch::nn::LinearOptions(features_.size(1), num_classes)) {}

core::trainer::StepOutput LinearProbeTask::train_step(const std::vector<int64_t>& indices) {
  const auto idx = torch::tensor(indices, torch::kLong);
  // [B,E] -> [B,K]
  return {torch::nn::functional::cross_entropy(head_->forward(features_.index_select(0, idx)),
                                               labels_.index_select(0, idx))};
}

core::trainer::EvalResult LinearProbeTask::evaluate(const std::string&) {
  return accuracy_of(predict(features_), labels_);
}

at::Tensor LinearProbeTask::predict(const at::Tensor& features) {
  torch::NoGradGuard no_grad;
  return head_->forward(features).argmax(1);
}

core::io::TensorMap LinearProbeTask::trainable_parameters() {
  return {{"linear_probe.weight", head_->weight}, {"linear_probe.bias", head_->bias}};
}

}  // namespace softprompt::recipes::image_classification

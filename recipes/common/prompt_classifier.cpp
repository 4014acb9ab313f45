#include "recipes/common/prompt_classifier.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "core/metrics.h"

namespace softprompt::recipes {

PromptClassifierTask::PromptClassifierTask(std::shared_ptr<models::LanguageModel> model,
                                           torch::nn::Module* model_module, core::PromptSet prompts,
                                           core::Tokenize tokenize, PromptClassifierOptions options)
    : model_(std::move(model)), model_module_(model_module), prompts_(std::move(prompts)),
      tokenize_(std::move(tokenize)), options_(std::move(options)),
      template_(core::Template::parse(options_.prompt_template)) {
  if (options_.label_token_ids.size() < 2) throw InputError("a classifier needs at least two label words");
  if (options_.prompt_template.find("{mask}") == std::string::npos)
    throw InputError("template '" + options_.prompt_template + "' has no {mask}");
  options_.place.causal = true;
  const auto device = model_module_->parameters().front().device();
  label_ids_ = torch::tensor(options_.label_token_ids, torch::kLong).to(device);
}

void PromptClassifierTask::set_split(const std::string& name, std::vector<ClassifierExample> examples) {
  for (const auto& e : examples)
    if (e.label < 0 || e.label >= static_cast<int64_t>(options_.label_token_ids.size()))
      throw InputError("label index " + std::to_string(e.label) + " is outside the verbalizer");
  splits_[name] = std::move(examples);
}

int64_t PromptClassifierTask::train_size() const {
  auto it = splits_.find("train");
  return it == splits_.end() ? 0 : static_cast<int64_t>(it->second.size());
}

// texts -> [B,D]: the final hidden state at each row's read position (the one before {mask}).
at::Tensor PromptClassifierTask::pooled(const std::vector<std::string>& texts) {
  std::vector<core::TemplateRow> rows;
  rows.reserve(texts.size());
  for (const auto& t : texts) rows.push_back({{"text", t}});
  const auto placed = core::place(template_, rows, tokenize_, options_.place);
  const auto device = label_ids_.device();
  const auto ids = placed.input_ids.to(device);
  const auto mask = placed.attention_mask.to(device);
  core::SlotInput x{model_->embed(ids), mask};
  core::PlacedBatch on_device = placed;
  on_device.soft_index = placed.soft_index.to(device);
  const auto slots = prompts_->slots();
  const auto& in = options_.input_slot;
  const bool has_input = std::find(slots.begin(), slots.end(), in) != slots.end();
  prompts_->begin_batch(at::Tensor(), has_input ? std::map<std::string, const core::PlacedBatch*>{{in, &on_device}}
                                                : std::map<std::string, const core::PlacedBatch*>{});
  models::ForwardOptions fo;
  fo.position_ids = placed.position_ids.to(device);
  const auto out = model_->forward_slots(x, *prompts_, fo);
  const auto read = placed.read_position.to(device);
  const auto rows_idx = torch::arange(read.size(0), torch::TensorOptions().dtype(torch::kLong).device(device));
  return out.last_hidden_state.index({rows_idx, read});  // only the read positions
}

// texts -> [B,D] from the cache; the texts not seen yet run through the frozen backbone once.
at::Tensor PromptClassifierTask::pooled_cached(const std::vector<std::string>& texts) {
  std::vector<std::string> missing;
  for (const auto& t : texts)
    if (!feature_cache_.count(t) && std::find(missing.begin(), missing.end(), t) == missing.end())
      missing.push_back(t);
  if (!missing.empty()) {
    torch::NoGradGuard no_grad;
    const auto h = pooled(missing);
    for (size_t i = 0; i < missing.size(); ++i) feature_cache_[missing[i]] = h[static_cast<int64_t>(i)];
  }
  std::vector<at::Tensor> rows;
  rows.reserve(texts.size());
  for (const auto& t : texts) rows.push_back(feature_cache_.at(t));
  return torch::stack(rows);
}

at::Tensor PromptClassifierTask::logits(const std::vector<std::string>& texts) {
  if (method_ && method_->head) {
    const auto h = method_->frozen_features ? pooled_cached(texts) : pooled(texts);
    return method_->head->forward(h);  // [B,D] -> [B,K]: the linear probe
  }
  return model_->lm_logits(pooled(texts), label_ids_);  // [B,K]: only the label words
}

core::trainer::StepOutput PromptClassifierTask::train_step(const std::vector<int64_t>& indices) {
  const auto& train = splits_.at("train");
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  for (auto i : indices) {
    texts.push_back(train[i].text);
    labels.push_back(train[i].label);
  }
  const auto l = logits(texts);
  return {torch::nn::functional::cross_entropy(l, torch::tensor(labels, torch::kLong).to(l.device()))};
}

at::Tensor PromptClassifierTask::predict(const std::vector<std::string>& texts) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> parts;
  for (size_t b = 0; b < texts.size(); b += options_.eval_batch) {
    const auto end = std::min(texts.size(), b + static_cast<size_t>(options_.eval_batch));
    parts.push_back(logits({texts.begin() + b, texts.begin() + end}).to(torch::kCPU, torch::kFloat));
  }
  if (parts.empty()) return torch::zeros({0, static_cast<int64_t>(options_.label_token_ids.size())});
  return torch::cat(parts);
}

core::trainer::EvalResult PromptClassifierTask::evaluate(const std::string& split) {
  auto it = splits_.find(split);
  if (it == splits_.end() || it->second.empty()) throw InputError("no examples in split '" + split + "'");
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  for (const auto& e : it->second) {
    texts.push_back(e.text);
    labels.push_back(e.label);
  }
  const auto l = predict(texts);
  const auto pred_t = l.argmax(1);
  std::vector<int64_t> pred(pred_t.data_ptr<int64_t>(), pred_t.data_ptr<int64_t>() + pred_t.numel());
  auto metrics = core::classification_metrics(pred, labels, static_cast<int64_t>(options_.label_token_ids.size()));
  metrics["loss"] = torch::nn::functional::cross_entropy(l, torch::tensor(labels, torch::kLong)).item<double>();
  return {metrics, pred, labels};
}

void PromptClassifierTask::set_method(std::shared_ptr<MethodParts> method) {
  method_ = std::move(method);
  prompts_ = method_->prompts;
  feature_cache_.clear();
}

void PromptClassifierTask::set_training(bool training) {
  if (method_) method_->set_training(training);
}

core::io::TensorMap PromptClassifierTask::trainable_parameters() {
  if (method_) return method_->trainable();
  core::io::TensorMap out;
  for (const auto& p : prompts_->named_parameters(/*recurse=*/true))
    if (p.value().requires_grad()) out[p.key()] = p.value();
  return out;
}

}  // namespace softprompt::recipes

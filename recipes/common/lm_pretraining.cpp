#include "recipes/common/lm_pretraining.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"

namespace softprompt::recipes {

at::Tensor make_windows(const std::vector<std::vector<int64_t>>& docs, int64_t separator, int64_t length) {
  std::vector<int64_t> stream;
  for (const auto& d : docs) {
    stream.insert(stream.end(), d.begin(), d.end());
    stream.push_back(separator);
  }
  const int64_t n = stream.size() > 1 ? (static_cast<int64_t>(stream.size()) - 1) / length : 0;
  if (n == 0) throw InputError("the corpus has fewer than " + std::to_string(length + 1) + " tokens");
  auto all = torch::tensor(stream, torch::kLong);
  return all.as_strided({n, length + 1}, {length, 1}).clone();
}

void init_gpt2_weights(models::gpt2::ModelImpl& model) {
  torch::NoGradGuard no_grad;
  const double residual_std = 0.02 / std::sqrt(2.0 * model.config().n_layer);
  for (auto& p : model.named_parameters(/*recurse=*/true)) {
    const std::string& name = p.key();
    auto& t = p.value();
    const bool norm = name.find("ln_") != std::string::npos;
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      t.zero_();
    } else if (norm) {
      t.fill_(1.0);
    } else if (name.find("c_proj.weight") != std::string::npos) {
      t.normal_(0.0, residual_std);
    } else {
      t.normal_(0.0, 0.02);
    }
  }
}

LmPretrainTask::LmPretrainTask(models::gpt2::Model model, at::Tensor train_windows, at::Tensor dev_windows,
                               int64_t eval_batch)
    : model_(std::move(model)), train_(std::move(train_windows)), dev_(std::move(dev_windows)),
      eval_batch_(eval_batch) {
  TORCH_CHECK(train_.dim() == 2 && dev_.dim() == 2, "windows must be [N, L+1]");
}

core::trainer::StepOutput LmPretrainTask::train_step(const std::vector<int64_t>& indices) {
  const auto device = model_->wte->weight.device();
  auto w = train_.index_select(0, torch::tensor(indices, torch::kLong)).to(device);
  auto hidden = model_->forward(w.slice(1, 0, -1)).last_hidden_state;  // [B,L,D]
  return {model_->lm_loss(hidden, w.slice(1, 1))};
}

core::trainer::EvalResult LmPretrainTask::evaluate(const std::string& split) {
  if (split != "dev" && split != "train") throw InputError("LM pretraining has no split '" + split + "'");
  const auto& data = split == "dev" ? dev_ : train_;
  const auto device = model_->wte->weight.device();
  double total = 0;
  int64_t tokens = 0;
  for (int64_t b = 0; b < data.size(0); b += eval_batch_) {
    auto w = data.slice(0, b, std::min(b + eval_batch_, data.size(0))).to(device);
    auto hidden = model_->forward(w.slice(1, 0, -1)).last_hidden_state;
    const int64_t n = w.size(0) * (w.size(1) - 1);
    total += model_->lm_loss(hidden, w.slice(1, 1)).item<double>() * n;
    tokens += n;
  }
  const double loss = tokens ? total / tokens : 0.0;
  return {{{"loss", loss}, {"perplexity", std::exp(loss)}}, {}, {}};
}

core::io::TensorMap LmPretrainTask::trainable_parameters() {
  core::io::TensorMap out;
  for (const auto& p : model_->named_parameters(/*recurse=*/true))
    if (p.value().requires_grad()) out[p.key()] = p.value();
  return out;
}

}  // namespace softprompt::recipes

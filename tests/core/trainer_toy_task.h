#pragma once
// A tiny synthetic task for the trainer tests: softmax regression on random, linearly labelled data, with
// input dropout (so the run depends on LibTorch's random generator, which a resume must restore) and hooks
// that inject a NaN loss, a NaN gradient, a crash, or a scripted dev metric at a given call.
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

#include "core/metrics.h"
#include "core/trainer/task.h"

namespace softprompt::testing {

struct ToyConfig {
  int64_t n_train = 96;
  int64_t n_dev = 48;
  int64_t dim = 6;
  int64_t classes = 3;
  double dropout = 0.1;
  int64_t nan_loss_at_call = -1;        // train_step call (1-based) that returns a NaN loss
  int64_t nan_grad_at_call = -1;        // ... a finite loss whose gradient is NaN
  int64_t throw_at_call = -1;           // ... that throws (a crash)
  std::vector<double> scripted_metric;  // evaluate() #k reports scripted_metric[k] as "accuracy"
};

class ToyTask : public core::trainer::Task {
 public:
  explicit ToyTask(ToyConfig c = {}) : c_(std::move(c)) {
    // Data and init come from the global generator: seed_everything() before constructing.
    auto true_w = torch::randn({c_.classes, c_.dim});
    x_train_ = torch::randn({c_.n_train, c_.dim});
    x_dev_ = torch::randn({c_.n_dev, c_.dim});
    y_train_ = x_train_.matmul(true_w.t()).argmax(1);
    y_dev_ = x_dev_.matmul(true_w.t()).argmax(1);
    weight_ = (torch::randn({c_.classes, c_.dim}) * 0.01).requires_grad_();
    bias_ = torch::zeros({c_.classes}).requires_grad_();
  }

  int64_t train_size() const override { return c_.n_train; }

  core::trainer::StepOutput train_step(const std::vector<int64_t>& idx) override {
    ++calls_;
    if (calls_ == c_.throw_at_call) throw std::runtime_error("simulated crash");
    batches_.push_back(idx);
    auto index = torch::tensor(idx, torch::kLong);
    auto x = x_train_.index_select(0, index);
    if (training_ && c_.dropout > 0) x = torch::dropout(x, c_.dropout, /*train=*/true);
    auto loss = torch::cross_entropy_loss(logits(x), y_train_.index_select(0, index));
    if (calls_ == c_.nan_loss_at_call) loss = loss * std::numeric_limits<float>::quiet_NaN();
    if (calls_ == c_.nan_grad_at_call)
      loss = loss + torch::sqrt(bias_.abs().sum() * 0);  // d/dx sqrt(0) = inf
    return {loss};
  }

  core::trainer::EvalResult evaluate(const std::string& split) override {
    if (split != "dev") throw std::invalid_argument("no split " + split);
    auto lg = logits(x_dev_);
    auto pred = lg.argmax(1);
    std::vector<int64_t> p(pred.data_ptr<int64_t>(), pred.data_ptr<int64_t>() + pred.numel());
    std::vector<int64_t> y(y_dev_.data_ptr<int64_t>(), y_dev_.data_ptr<int64_t>() + y_dev_.numel());
    core::trainer::EvalResult r{core::classification_metrics(p, y, c_.classes), p, y};
    r.metrics["loss"] = torch::cross_entropy_loss(lg, y_dev_).item<double>();
    if (!c_.scripted_metric.empty()) r.metrics["accuracy"] = c_.scripted_metric.at(evals_);
    ++evals_;
    return r;
  }

  core::io::TensorMap trainable_parameters() override { return {{"weight", weight_}, {"bias", bias_}}; }
  void set_training(bool on) override { training_ = on; }

  torch::Tensor dev_loss() {
    torch::NoGradGuard g;
    return torch::cross_entropy_loss(logits(x_dev_), y_dev_);
  }
  const std::vector<std::vector<int64_t>>& batches() const { return batches_; }
  torch::Tensor weight_, bias_;

 private:
  torch::Tensor logits(const torch::Tensor& x) { return x.matmul(weight_.t()) + bias_; }  // [B,D] -> [B,C]
  ToyConfig c_;
  torch::Tensor x_train_, x_dev_, y_train_, y_dev_;
  int64_t calls_ = 0, evals_ = 0;
  bool training_ = true;
  std::vector<std::vector<int64_t>> batches_;
};

}  // namespace softprompt::testing

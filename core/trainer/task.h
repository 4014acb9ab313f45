#pragma once
// Task: what a recipe gives the Trainer. It owns the model, the data and the loss; the trainer owns the loop.
// The interface knows nothing about prompts or modalities, so the same trainer runs text, vision and speech
// tasks and the comparison methods (LoRA, adapters, full fine-tuning) alike.
//
// A minimal task (see tests/core/trainer_test_task.h for a complete one):
//
//   class SentimentTask : public core::trainer::Task {
//    public:
//     int64_t train_size() const override { return train_.size(); }
//     core::trainer::StepOutput train_step(const std::vector<int64_t>& idx) override {
//       auto batch = collate(train_, idx);                      // the task builds tensors from indices
//       auto logits = classifier_->forward(batch.ids, batch.mask);
//       return {torch::cross_entropy_loss(logits, batch.labels)};
//     }
//     core::trainer::EvalResult evaluate(const std::string& split) override {   // runs under NoGradGuard
//       auto [pred, gold] = predict(split);
//       return {core::classification_metrics(pred, gold, 2), pred, gold};
//     }
//     core::io::TensorMap trainable_parameters() override { return prompt_->named_trainable(); }
//     void set_training(bool on) override { prompt_->train(on); }
//   };
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace softprompt::core::trainer {

using TensorMap = core::io::TensorMap;

// One training step's result.
struct StepOutput {
  at::Tensor loss;  // a finite scalar that requires grad; the trainer calls backward() on it
};

// One evaluation's result.
struct EvalResult {
  std::map<std::string, double>
      metrics;  // must hold TrainerOptions::metric, e.g. {"accuracy", "macro_f1", "loss"}
  std::vector<int64_t> predictions;  // optional: predicted class per example (confusion matrices)
  std::vector<int64_t> labels;       // optional: true class per example
};

class Task {
 public:
  virtual ~Task() = default;

  // Number of training examples; the trainer shuffles [0, train_size) each epoch and hands out batches.
  virtual int64_t train_size() const = 0;
  // Forward pass on the examples `indices` (a batch, in the trainer's order). Gradients are zeroed before and
  // backward/optimizer steps happen after: the task must not call them.
  virtual StepOutput train_step(const std::vector<int64_t>& indices) = 0;
  // Evaluates a split (TrainerOptions::eval_split, or whatever the recipe asks for). The trainer calls it
  // under torch::NoGradGuard, between set_training(false) and set_training(true).
  virtual EvalResult evaluate(const std::string& split) = 0;
  // The tensors to optimize, by a stable name (the checkpoint key). Each must require grad. The trainer keeps
  // them for the whole run and restores checkpoints by copying into them in place, so return the same tensors
  // every time (e.g. a module's named_parameters() filtered on requires_grad).
  virtual TensorMap trainable_parameters() = 0;
  // Dropout and other train/eval differences; the backbone itself stays frozen and in eval mode.
  virtual void set_training(bool training) {}
};

}  // namespace softprompt::core::trainer

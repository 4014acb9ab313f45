#pragma once
// Multitask prompt training (Vu et al. 2022, "SPoT"; Asai et al. 2022, "ATTEMPT"; Wang et al. 2023 "MPT",
// simple form): one trainer::Task over several tasks whose prompts share tensors
// (PromptTuningImpl::share_with), so every batch mixes the tasks and one shared prompt learns from all of
// them. The trained prompt is then the initial value of a new task's prompt (prompt_tuning option init_from).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/trainer/task.h"

namespace softprompt::core::methods {

class MultitaskTask : public trainer::Task {
 public:
  // (name, task) pairs; InputError for none, duplicate names, or a task without training examples.
  explicit MultitaskTask(std::vector<std::pair<std::string, std::shared_ptr<trainer::Task>>> tasks);

  // The tasks' training examples back to back: index i < n_0 is task 0's example i, and so on.
  int64_t train_size() const override { return offsets_.back(); }
  // Each task's share of the batch runs as its own step; the loss is their mean weighted by rows, i.e. the
  // mean over the batch's rows when each task's loss is a mean over its rows.
  trainer::StepOutput train_step(const std::vector<int64_t>& indices) override;
  // Metrics "<task>/<metric>" for every task, and "<metric>" = the mean over the tasks that report it.
  trainer::EvalResult evaluate(const std::string& split) override;
  // The union of the tasks' trainable tensors; a name shared by two tasks must be the same tensor
  // (InputError otherwise): that is the shared prompt.
  trainer::TensorMap trainable_parameters() override;
  void set_training(bool training) override;

 private:
  std::vector<std::pair<std::string, std::shared_ptr<trainer::Task>>> tasks_;
  std::vector<int64_t> offsets_;  // [K+1] cumulative train sizes
};

}  // namespace softprompt::core::methods

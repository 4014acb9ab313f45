#include "core/methods/multitask_task.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/errors.h"

namespace softprompt::core::methods {

MultitaskTask::MultitaskTask(std::vector<std::pair<std::string, std::shared_ptr<trainer::Task>>> tasks)
    : tasks_(std::move(tasks)) {
  if (tasks_.empty()) throw InputError("multitask: no tasks given");
  std::set<std::string> names;
  offsets_.push_back(0);
  for (const auto& [name, task] : tasks_) {
    if (!task) throw InputError("multitask: task '" + name + "' is null");
    if (name.empty() || !names.insert(name).second)
      throw InputError("multitask: empty or duplicate task name '" + name + "'");
    if (task->train_size() < 1) throw InputError("multitask: task '" + name + "' has no training examples");
    offsets_.push_back(offsets_.back() + task->train_size());
  }
}

trainer::StepOutput MultitaskTask::train_step(const std::vector<int64_t>& indices) {
  std::vector<std::vector<int64_t>> per_task(tasks_.size());
  for (int64_t i : indices) {
    TORCH_CHECK(i >= 0 && i < train_size(), "multitask: example ", i, " outside [0,", train_size(), ")");
    const size_t k = std::upper_bound(offsets_.begin(), offsets_.end(), i) - offsets_.begin() - 1;
    per_task[k].push_back(i - offsets_[k]);
  }
  at::Tensor total;
  for (size_t k = 0; k < tasks_.size(); ++k) {
    if (per_task[k].empty()) continue;
    const double weight = static_cast<double>(per_task[k].size()) / static_cast<double>(indices.size());
    at::Tensor loss = tasks_[k].second->train_step(per_task[k]).loss * weight;
    total = total.defined() ? total + loss : loss;
  }
  TORCH_CHECK(total.defined(), "multitask: empty batch");
  return {total};
}

trainer::EvalResult MultitaskTask::evaluate(const std::string& split) {
  trainer::EvalResult out;
  std::map<std::string, std::pair<double, int>> sums;
  for (const auto& [name, task] : tasks_) {
    const trainer::EvalResult r = task->evaluate(split);
    for (const auto& [metric, value] : r.metrics) {
      out.metrics[name + "/" + metric] = value;
      sums[metric].first += value;
      sums[metric].second += 1;
    }
  }
  for (const auto& [metric, s] : sums) out.metrics[metric] = s.first / s.second;
  return out;
}

trainer::TensorMap MultitaskTask::trainable_parameters() {
  trainer::TensorMap out;
  for (const auto& [name, task] : tasks_)
    for (const auto& [key, t] : task->trainable_parameters()) {
      const auto [it, inserted] = out.emplace(key, t);
      if (!inserted && !it->second.is_same(t))
        throw InputError("multitask: tasks name different tensors '" + key + "' (task '" + name +
                         "'); shared prompts must be the same tensor");
    }
  return out;
}

void MultitaskTask::set_training(bool training) {
  for (auto& [name, task] : tasks_) task->set_training(training);
}

}  // namespace softprompt::core::methods

#pragma once
// Early stopping on a dev metric: tracks the best value (max or min), the step it was reached at, and how
// many evaluations in a row failed to improve on it; stops after `patience` of them (Prechelt 1998).
#include <cstdint>

#include "core/trainer/trainer_options.h"

namespace softprompt::core::trainer {

class EarlyStopping {
 public:
  EarlyStopping(MetricMode mode, int64_t patience, double min_delta = 0.0)
      : mode_(mode), patience_(patience), min_delta_(min_delta) {}

  // Records one evaluation; returns true when `value` is a new best (the first finite value always is).
  // A NaN metric never improves.
  bool update(double value, int64_t step);
  bool should_stop() const { return patience_ > 0 && bad_evals_ >= patience_; }

  bool has_best() const { return has_best_; }
  double best() const { return best_; }
  int64_t best_step() const { return best_step_; }
  int64_t bad_evals() const { return bad_evals_; }
  int64_t patience() const { return patience_; }
  // For resuming from a checkpoint.
  void restore(bool has_best, double best, int64_t best_step, int64_t bad_evals);

 private:
  MetricMode mode_;
  int64_t patience_;
  double min_delta_;
  bool has_best_ = false;
  double best_ = 0.0;
  int64_t best_step_ = -1;
  int64_t bad_evals_ = 0;
};

}  // namespace softprompt::core::trainer

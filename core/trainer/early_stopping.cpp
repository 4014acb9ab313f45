#include "core/trainer/early_stopping.h"

#include <cmath>

namespace softprompt::core::trainer {

bool EarlyStopping::update(double value, int64_t step) {
  bool improved = false;
  if (!std::isnan(value)) {
    if (!has_best_) {
      improved = true;
    } else {
      improved = mode_ == MetricMode::kMax ? value > best_ + min_delta_ : value < best_ - min_delta_;
    }
  }
  if (improved) {
    has_best_ = true;
    best_ = value;
    best_step_ = step;
    bad_evals_ = 0;
  } else {
    ++bad_evals_;
  }
  return improved;
}

void EarlyStopping::restore(bool has_best, double best, int64_t best_step, int64_t bad_evals) {
  has_best_ = has_best;
  best_ = best;
  best_step_ = best_step;
  bad_evals_ = bad_evals;
}

}  // namespace softprompt::core::trainer

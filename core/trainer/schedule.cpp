#include "core/trainer/schedule.h"

#include <algorithm>
#include <cmath>

namespace softprompt::core::trainer {

double Schedule::lr_at(int64_t step) const {
  step = std::clamp<int64_t>(step, 0, std::max<int64_t>(total_steps - 1, 0));
  if (step < warmup_steps) return peak_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const double span = static_cast<double>(std::max<int64_t>(total_steps - warmup_steps, 1));
  const double p = static_cast<double>(step - warmup_steps) / span;
  switch (kind) {
    case ScheduleKind::kConstant:
      return peak_lr;
    case ScheduleKind::kLinear:
      return peak_lr * (1.0 - p);
    case ScheduleKind::kCosine:
      return peak_lr * 0.5 * (1.0 + std::cos(M_PI * p));
  }
  return peak_lr;
}

}  // namespace softprompt::core::trainer

#pragma once
// Learning-rate schedules with linear warm-up: constant, linear decay to 0, cosine decay to 0 (Loshchilov &
// Hutter 2017, without restarts). A pure function of the step, so a resumed run needs only the step count.
#include <cstdint>

#include "core/trainer/trainer_options.h"

namespace softprompt::core::trainer {

struct Schedule {
  ScheduleKind kind = ScheduleKind::kConstant;
  double peak_lr = 0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  // The lr of the update that follows `step` completed updates (0-based, 0 <= step < total_steps):
  //   step <  W: peak * (step + 1) / W                   (the first update already moves the parameters)
  //   step >= W: peak * f(p), p = (step - W) / (total - W) in [0, 1)
  //              constant f = 1, linear f = 1 - p, cosine f = (1 + cos(pi p)) / 2
  // so the decay reaches 0 one step after the last update. Steps past the end get the last update's lr.
  double lr_at(int64_t step) const;
};

}  // namespace softprompt::core::trainer

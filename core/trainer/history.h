#pragma once
// History: the curves of a run (train loss and lr per log step, dev metrics per evaluation). Kept in the
// checkpoint so a resumed run still plots and summarizes the whole run.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace softprompt::core::trainer {

struct TrainPoint {
  int64_t step = 0;      // updates done
  double epoch = 0;      // fractional epochs done
  double loss = 0;       // mean train loss over the steps since the previous point
  double lr = 0;         // lr of the last of those steps
  double grad_norm = 0;  // global gradient norm (before clipping) of the last of those steps
};

struct EvalPoint {
  int64_t step = 0;
  double epoch = 0;
  std::map<std::string, double> metrics;
};

struct History {
  std::vector<TrainPoint> train;
  std::vector<EvalPoint> eval;

  // (steps, values) of one eval metric, for plots; evaluations without that metric are skipped.
  std::pair<std::vector<double>, std::vector<double>> eval_curve(const std::string& metric) const;
  std::pair<std::vector<double>, std::vector<double>> loss_curve() const;
};

}  // namespace softprompt::core::trainer

#include "core/trainer/history.h"

namespace softprompt::core::trainer {

std::pair<std::vector<double>, std::vector<double>> History::eval_curve(const std::string& metric) const {
  std::pair<std::vector<double>, std::vector<double>> out;
  for (const auto& p : eval) {
    auto it = p.metrics.find(metric);
    if (it == p.metrics.end()) continue;
    out.first.push_back(static_cast<double>(p.step));
    out.second.push_back(it->second);
  }
  return out;
}

std::pair<std::vector<double>, std::vector<double>> History::loss_curve() const {
  std::pair<std::vector<double>, std::vector<double>> out;
  for (const auto& p : train) {
    out.first.push_back(static_cast<double>(p.step));
    out.second.push_back(p.loss);
  }
  return out;
}

}  // namespace softprompt::core::trainer

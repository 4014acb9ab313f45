#include "recipes/common/method_report.h"

#include <sys/resource.h>

#include <fstream>
#include <numeric>
#include <string>

#include "core/metrics.h"

namespace softprompt::recipes {

int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:  123 kB"
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;  // kilobytes on Linux
}

nlohmann::json method_report(const MethodParts& parts, const MethodRun& run) {
  const auto acc = core::mean_std(run.test_accuracy);
  return {{"method", parts.name},
          {"method_options", parts.options()},
          {"accuracy_mean", acc.mean},
          {"accuracy_std", acc.std},
          {"per_seed", run.test_accuracy},
          {"trainable_params", parts.trainable_parameters()},
          {"backbone_params", parts.backbone_parameters},
          {"trainable_percent", parts.trainable_percent()},
          {"artifact_bytes", run.artifact_bytes},
          {"train_seconds", std::accumulate(run.train_seconds.begin(), run.train_seconds.end(), 0.0)},
          {"train_seconds_per_seed", run.train_seconds},
          {"peak_rss_bytes", peak_rss_bytes()}};
}

}  // namespace softprompt::recipes

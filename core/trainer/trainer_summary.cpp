// summary(): the human end-of-run report declared in trainer.h.
#include <sstream>

#include "core/progress.h"
#include "core/trainer/trainer.h"

namespace softprompt::core::trainer {

std::string summary(const TrainResult& r, const TrainerOptions& o) {
  std::ostringstream os;
  os << (r.interrupted     ? "training interrupted"
         : r.stopped_early ? "training stopped early"
                           : "training done")
     << ": " << r.steps << '/' << r.total_steps << " steps (" << format_value(r.epochs) << " epochs) in "
     << Progress::format_duration(r.elapsed_s);
  if (r.elapsed_s > 0) os << ", " << format_value(r.steps / r.elapsed_s) << " steps/s";
  os << "\n  train loss " << format_value(r.final_loss) << " (last " << o.log_every << " steps)\n";
  if (r.has_best) {
    os << "  best " << o.eval_split << ' ' << o.metric << ' ' << format_value(r.best_metric) << " at step "
       << r.best_step << (r.restored_best ? " (restored)" : "") << '\n';
    if (!r.history.eval.empty()) {
      const auto& last = r.history.eval.back();
      auto it = last.metrics.find(o.metric);
      if (it != last.metrics.end())
        os << "  last " << o.eval_split << ' ' << o.metric << ' ' << format_value(it->second) << " at step "
           << last.step << '\n';
    }
  }
  if (r.stopped_early) os << "  no improvement in " << o.patience << " evaluations (patience)\n";
  if (!r.checkpoint_path.empty()) os << "  checkpoint: " << r.checkpoint_path << '\n';
  if (!r.best_path.empty()) os << "  best state: " << r.best_path << '\n';
  if (!r.metrics_path.empty()) os << "  metrics: " << r.metrics_path << '\n';
  return os.str();
}

}  // namespace softprompt::core::trainer

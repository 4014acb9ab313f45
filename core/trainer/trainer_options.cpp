#include "core/trainer/trainer_options.h"

#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace softprompt::core::trainer {
namespace {

template <typename E>
using Names = std::vector<std::pair<const char*, E>>;

const Names<OptimizerKind> kOptimizers = {
    {"adamw", OptimizerKind::kAdamW}, {"sgd", OptimizerKind::kSgd}, {"adafactor", OptimizerKind::kAdafactor}};
const Names<ScheduleKind> kSchedules = {{"constant", ScheduleKind::kConstant},
                                        {"linear", ScheduleKind::kLinear},
                                        {"cosine", ScheduleKind::kCosine}};
const Names<MetricMode> kModes = {{"max", MetricMode::kMax}, {"min", MetricMode::kMin}};
const Names<ProgressStyle> kStyles = {{"auto", ProgressStyle::kAuto},
                                      {"bar", ProgressStyle::kBar},
                                      {"lines", ProgressStyle::kLines},
                                      {"off", ProgressStyle::kOff}};

template <typename E>
E parse(const Names<E>& names, const std::string& what, const std::string& value) {
  std::string valid;
  for (const auto& [name, e] : names) {
    if (value == name) return e;
    valid += (valid.empty() ? "" : ", ") + std::string(name);
  }
  throw InputError("unknown " + what + " '" + value + "' (expected one of: " + valid + ")");
}

template <typename E>
std::string name_of(const Names<E>& names, E value) {
  for (const auto& [name, e] : names)
    if (e == value) return name;
  return "?";
}

template <typename T>
[[noreturn]] void invalid(const std::string& field, const T& value, const std::string& why) {
  std::ostringstream os;
  os << "trainer option " << field << " = " << value << ": " << why;
  throw InputError(os.str());
}

void validate_optimizer(const TrainerOptions& o) {
  const bool adafactor = o.optimizer == OptimizerKind::kAdafactor;
  if (!std::isfinite(o.lr) || o.lr < 0 || (o.lr == 0 && !adafactor))
    invalid("lr", o.lr, adafactor ? "must be >= 0 (0 = relative step size)" : "must be > 0");
  if (!(o.weight_decay >= 0)) invalid("weight_decay", o.weight_decay, "must be >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1)) invalid("beta1", o.beta1, "must be in [0, 1)");
  if (!(o.beta2 >= 0 && o.beta2 < 1)) invalid("beta2", o.beta2, "must be in [0, 1)");
  if (!(o.eps > 0)) invalid("eps", o.eps, "must be > 0");
  if (!(o.momentum >= 0 && o.momentum < 1)) invalid("momentum", o.momentum, "must be in [0, 1)");
  if (o.nesterov && o.momentum == 0) invalid("nesterov", "true", "needs momentum > 0");
  if (!(o.adafactor_decay_rate < 0)) invalid("adafactor_decay_rate", o.adafactor_decay_rate, "must be < 0");
  if (!(o.adafactor_clip_threshold > 0))
    invalid("adafactor_clip_threshold", o.adafactor_clip_threshold, "must be > 0");
  if (!(o.adafactor_beta1 >= 0 && o.adafactor_beta1 < 1))
    invalid("adafactor_beta1", o.adafactor_beta1, "must be in [0, 1)");
  if (adafactor && o.lr == 0 && (o.schedule != ScheduleKind::kConstant || o.warmup_steps > 0))
    invalid("lr", 0,
            "Adafactor's relative step size has its own schedule: use schedule=constant, warmup_steps=0");
}

}  // namespace

OptimizerKind parse_optimizer(const std::string& name) { return parse(kOptimizers, "optimizer", name); }
ScheduleKind parse_schedule(const std::string& name) { return parse(kSchedules, "schedule", name); }
MetricMode parse_metric_mode(const std::string& name) { return parse(kModes, "metric mode", name); }
ProgressStyle parse_progress_style(const std::string& name) { return parse(kStyles, "progress style", name); }
std::string to_string(OptimizerKind kind) { return name_of(kOptimizers, kind); }
std::string to_string(ScheduleKind kind) { return name_of(kSchedules, kind); }
std::string to_string(MetricMode mode) { return name_of(kModes, mode); }
std::string to_string(ProgressStyle style) { return name_of(kStyles, style); }

void TrainerOptions::validate() const {
  validate_optimizer(*this);
  if (warmup_steps < 0) invalid("warmup_steps", warmup_steps, "must be >= 0");
  if (max_steps < 0) invalid("max_steps", max_steps, "must be >= 0");
  if (max_steps == 0 && epochs <= 0) invalid("epochs", epochs, "must be > 0 when max_steps is 0");
  if (batch_size <= 0) invalid("batch_size", batch_size, "must be > 0");
  if (!(grad_clip >= 0) || !std::isfinite(grad_clip))
    invalid("grad_clip", grad_clip, "must be >= 0 (0 = off)");
  if (eval_every < -1) invalid("eval_every", eval_every, "must be > 0, 0 (each epoch) or -1 (never)");
  if (eval_every != -1 && metric.empty()) invalid("metric", "\"\"", "must name a metric when evaluating");
  if (patience < 0) invalid("patience", patience, "must be >= 0");
  if (patience > 0 && eval_every == -1)
    invalid("patience", patience, "early stopping needs eval_every != -1");
  if (!(min_delta >= 0)) invalid("min_delta", min_delta, "must be >= 0");
  if (checkpoint_every < 0) invalid("checkpoint_every", checkpoint_every, "must be >= 0");
  if (resume && checkpoint_dir.empty()) invalid("resume", "true", "needs checkpoint_dir");
  if (log_every <= 0) invalid("log_every", log_every, "must be > 0");
  if (threads < 0) invalid("threads", threads, "must be >= 0");
}

}  // namespace softprompt::core::trainer

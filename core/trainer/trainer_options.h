#pragma once
// TrainerOptions: every knob of the training loop (optimizer, schedule, length, evaluation, early stopping,
// checkpoints, reporting) with defaults and validate(). Config readers turn strings into the enums with the
// parse_* functions below, which list the accepted values in their InputError.
#include <cstdint>
#include <string>

namespace softprompt::core::trainer {

enum class OptimizerKind { kAdamW, kSgd, kAdafactor };
enum class ScheduleKind { kConstant, kLinear, kCosine };
enum class MetricMode { kMax, kMin };                    // whether a larger or a smaller dev metric is better
enum class ProgressStyle { kAuto, kBar, kLines, kOff };  // auto: a bar on a terminal, plain lines otherwise

OptimizerKind parse_optimizer(const std::string& name);       // "adamw" | "sgd" | "adafactor"
ScheduleKind parse_schedule(const std::string& name);         // "constant" | "linear" | "cosine"
MetricMode parse_metric_mode(const std::string& name);        // "max" | "min"
ProgressStyle parse_progress_style(const std::string& name);  // "auto" | "bar" | "lines" | "off"
std::string to_string(OptimizerKind kind);
std::string to_string(ScheduleKind kind);
std::string to_string(MetricMode mode);
std::string to_string(ProgressStyle style);

struct TrainerOptions {
  // --- optimizer ---
  OptimizerKind optimizer = OptimizerKind::kAdamW;
  double lr = 1e-3;           // peak learning rate. Adafactor only: 0 = its relative step size (no schedule)
  double weight_decay = 0.0;  // decoupled for AdamW and Adafactor, L2 for SGD
  double beta1 = 0.9;         // AdamW
  double beta2 = 0.999;       // AdamW
  double eps = 1e-8;          // AdamW
  double momentum = 0.0;      // SGD
  bool nesterov = false;      // SGD, needs momentum > 0
  // Adafactor (Shazeer & Stern 2018); defaults follow Lester et al. 2021 (lr 0.3, parameter scaling off).
  double adafactor_decay_rate = -0.8;      // beta2_t = 1 - t^decay_rate
  double adafactor_clip_threshold = 1.0;   // update clipping: RMS(update) <= threshold
  double adafactor_beta1 = 0.0;            // 0 = no first moment (the memory-saving default)
  bool adafactor_scale_parameter = false;  // multiply the step by RMS(param)

  // --- learning-rate schedule (a function of the step, so resuming needs only the step) ---
  ScheduleKind schedule = ScheduleKind::kConstant;
  int64_t warmup_steps = 0;  // linear warm-up from lr/warmup_steps to lr, then the schedule

  // --- length ---
  int64_t max_steps = 0;  // optimizer updates; when > 0 it wins over epochs
  int64_t epochs = 1;     // used when max_steps == 0
  int64_t batch_size = 8;
  bool drop_last = false;  // drop each epoch's last, smaller batch
  double grad_clip = 0.0;  // clip the global L2 norm of the gradients to this; 0 = off

  // --- evaluation and early stopping ---
  int64_t eval_every = 0;  // > 0: every N steps (and at the end); 0: at the end of each epoch; -1: never
  std::string eval_split = "dev";
  std::string metric = "accuracy";  // the key of EvalResult::metrics that selects the best checkpoint
  MetricMode metric_mode = MetricMode::kMax;
  int64_t patience = 0;      // stop after this many evaluations without improvement; 0 = never stop early
  double min_delta = 0.0;    // an improvement must beat the best by more than this
  bool restore_best = true;  // at the end, load the best evaluated state into the task

  // --- reproducibility and checkpoints ---
  uint64_t seed = 42;            // data order; call seed_everything(seed) before building the task
  std::string checkpoint_dir;    // "" = keep nothing on disk; else last.ckpt, best.safetensors, metrics.jsonl
  int64_t checkpoint_every = 0;  // > 0: every N steps; 0: at every evaluation (and at the end)
  bool resume = false;           // continue from <checkpoint_dir>/last.ckpt (which must exist)

  // --- reporting ---
  int64_t log_every = 10;    // steps between JSON lines / plain progress lines
  std::string metrics_path;  // "" = <checkpoint_dir>/metrics.jsonl when checkpoint_dir is set, else none
  ProgressStyle progress = ProgressStyle::kAuto;
  int threads = 0;  // > 0: set LibTorch's intra-op threads when training starts

  // Throws softprompt::InputError naming the first invalid field and its value.
  void validate() const;
};

}  // namespace softprompt::core::trainer

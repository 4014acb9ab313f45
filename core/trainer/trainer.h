#pragma once
// Trainer: the one training loop every recipe uses. A Task (task.h) turns a batch of example indices into a
// loss and evaluates splits; the Trainer owns everything else: data order, optimizer (AdamW, SGD, Adafactor),
// lr schedule with warm-up, gradient clipping, NaN/Inf detection, evaluation, early stopping, best-state
// keeping, checkpoint/resume, the JSON-lines metrics log and the progress bar.
//
// Use from a recipe (parse -> build -> train -> evaluate -> save):
//
//   core::trainer::TrainerOptions opts;                 // or filled from the recipe's YAML
//   opts.optimizer = core::trainer::OptimizerKind::kAdafactor;  opts.lr = 0.3;  opts.max_steps = 3000;
//   opts.eval_every = 100;  opts.metric = "accuracy";  opts.patience = 5;  opts.checkpoint_dir = out_dir;
//   opts.validate();                                    // InputError on a bad value
//   core::trainer::seed_everything(opts.seed);          // before the task draws its random init
//   MyTask task(...);
//   core::trainer::Trainer trainer(opts);
//   core::trainer::stop_on_signals(trainer);            // Ctrl-C: checkpoint, then return
//   auto result = trainer.fit(task);                    // the task now holds the best state (restore_best)
//   std::cerr << core::trainer::summary(result, opts);
//   recipes::plot_training(out_dir, result.history, opts.metric);   // loss.png, dev_<metric>.png
//   auto test = task.evaluate("test");                  // then save the artifact
//
// Files in checkpoint_dir: last.ckpt (resume state, see checkpoint.h), best.safetensors (the trainable
// tensors at the best evaluation; metadata step/metric/value), metrics.jsonl (one JSON object per log or eval
// step). Resuming (opts.resume = true, same seed, batch size, data, optimizer and trainable shapes) continues
// from last.ckpt and ends with exactly the tensors an uninterrupted run ends with (given deterministic
// kernels, e.g. one thread). Other options (max_steps, eval_every, patience, ...) may change between the two
// runs.
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/errors.h"
#include "core/trainer/history.h"
#include "core/trainer/task.h"
#include "core/trainer/trainer_options.h"

namespace softprompt::core::trainer {

// A NaN or infinite loss or gradient norm; the message names the step and lr and what to try.
struct NonFiniteError : InputError {
  using InputError::InputError;
};

// What one update did; handed to the step callback.
struct StepInfo {
  int64_t step = 0;  // updates done, this one included
  double epoch = 0;
  double loss = 0;
  double lr = 0;
  double grad_norm = 0;  // before clipping
};

struct TrainResult {
  int64_t steps = 0;        // updates done (a resumed run counts the steps before the resume too)
  int64_t total_steps = 0;  // planned updates
  double epochs = 0;        // fractional epochs done
  double elapsed_s = 0;     // training time, all processes together
  double final_loss = 0;    // mean train loss over the last log window
  bool stopped_early = false;
  bool interrupted = false;  // request_stop() ended the run
  bool has_best = false;
  double best_metric = 0;
  int64_t best_step = -1;
  bool restored_best = false;  // the task holds the best state now
  History history;
  std::string checkpoint_path, best_path, metrics_path;  // files written ("" when none)
};

class Trainer {
 public:
  explicit Trainer(TrainerOptions options);  // validates; throws InputError
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains `task` to the end (max_steps/epochs), early stop or request_stop(). Throws InputError for a bad
  // task/checkpoint/option combination, NonFiniteError for NaN/Inf, IoError for files.
  TrainResult fit(Task& task);

  // Asks the loop to stop after the current update, write a checkpoint and return. Async-signal-safe.
  void request_stop() { stop_requested_.store(true); }
  // Called after every update (e.g. custom logging; tests stop a run at a given step).
  void set_step_callback(std::function<void(const StepInfo&)> callback) { callback_ = std::move(callback); }
  // Progress and summary output: default std::cerr, bar when it is a terminal (ProgressStyle::kAuto).
  void set_output(std::ostream& out) { out_ = &out; }

  const TrainerOptions& options() const { return options_; }

 private:
  TrainerOptions options_;
  std::atomic<bool> stop_requested_{false};
  std::function<void(const StepInfo&)> callback_;
  std::ostream* out_;
};

// Installs SIGINT/SIGTERM handlers that call trainer.request_stop() (a second signal kills as usual).
// The handlers forget the trainer when it is destroyed.
void stop_on_signals(Trainer& trainer);

// A short human summary of a finished run (steps, time, loss, best metric, files).
std::string summary(const TrainResult& result, const TrainerOptions& options);

}  // namespace softprompt::core::trainer

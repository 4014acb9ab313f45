#include "core/trainer/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/metrics.h"
#include "core/progress.h"
#include "core/threads.h"
#include "core/trainer/checkpoint.h"
#include "core/trainer/early_stopping.h"
#include "core/trainer/optimizer_factory.h"
#include "core/trainer/schedule.h"
#include "core/trainer/seed.h"

namespace softprompt::core::trainer {
namespace {

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<at::Tensor> values_of(const TensorMap& m) {
  std::vector<at::Tensor> out;
  for (const auto& [name, t] : m) out.push_back(t);
  return out;
}

// One call of Trainer::fit: the loop and its state.
class TrainingRun {
 public:
  TrainingRun(const TrainerOptions& o, Task& task, std::ostream& out, std::atomic<bool>& stop,
              const std::function<void(const StepInfo&)>& callback)
      : o_(o),
        task_(task),
        out_(out),
        stop_(stop),
        callback_(callback),
        early_(o.metric_mode, o.patience, o.min_delta) {}

  TrainResult run();

 private:
  void setup();
  void resume(const std::string& path);
  StepInfo train_one_step();
  void after_step(const StepInfo& info);
  void evaluate();
  void write_checkpoint();
  void write_best();
  TrainResult finish();
  [[noreturn]] void non_finite(const std::string& what, double value, double lr) const;
  double epochs_done() const {
    return static_cast<double>(st_.epoch) + static_cast<double>(st_.batch_in_epoch) / steps_per_epoch_;
  }
  double elapsed() const { return st_.elapsed_s + (seconds_now() - t_start_); }
  std::string path(const char* name) const {
    return (std::filesystem::path(o_.checkpoint_dir) / name).string();
  }

  const TrainerOptions& o_;
  Task& task_;
  std::ostream& out_;
  std::atomic<bool>& stop_;
  const std::function<void(const StepInfo&)>& callback_;
  TensorMap params_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  Schedule schedule_;
  TrainerState st_;
  EarlyStopping early_;
  TensorMap best_;
  std::unique_ptr<JsonlWriter> log_;
  std::unique_ptr<Progress> progress_;
  std::vector<int64_t> order_;  // this epoch's example order
  int64_t order_epoch_ = -1;
  int64_t train_size_ = 0, steps_per_epoch_ = 0, total_steps_ = 0;
  int64_t checkpoint_step_ = -1;  // step of the last checkpoint written (-1: none)
  double t_start_ = 0;
  double last_loss_ = 0;
  Progress::Values live_metric_;
  bool evaluated_now_ = false;
};

void TrainingRun::setup() {
  if (o_.threads > 0) core::configure_threads(o_.threads);
  train_size_ = task_.train_size();
  if (train_size_ <= 0)
    throw InputError("the task has no training examples (train_size " + std::to_string(train_size_) + ")");
  steps_per_epoch_ =
      o_.drop_last ? train_size_ / o_.batch_size : (train_size_ + o_.batch_size - 1) / o_.batch_size;
  if (steps_per_epoch_ == 0)
    throw InputError("batch_size " + std::to_string(o_.batch_size) + " > train_size " +
                     std::to_string(train_size_) + " with drop_last: an epoch has no batch");
  total_steps_ = o_.max_steps > 0 ? o_.max_steps : o_.epochs * steps_per_epoch_;
  if (o_.warmup_steps >= total_steps_)
    throw InputError("trainer option warmup_steps = " + std::to_string(o_.warmup_steps) +
                     " must be < the total steps (" + std::to_string(total_steps_) + ")");
  schedule_ = {o_.schedule, o_.lr, o_.warmup_steps, total_steps_};
  params_ = task_.trainable_parameters();
  if (params_.empty()) throw InputError("the task has no trainable tensors");
  for (const auto& [name, t] : params_)
    if (!t.requires_grad()) throw InputError("trainable tensor '" + name + "' does not require grad");
  optimizer_ = make_optimizer(o_, values_of(params_));
  st_.seed = o_.seed;
  st_.batch_size = o_.batch_size;
  st_.train_size = train_size_;
  st_.drop_last = o_.drop_last;
  st_.optimizer = to_string(o_.optimizer);
  if (o_.resume) resume(path("last.ckpt"));

  std::string metrics_path = o_.metrics_path;
  if (metrics_path.empty() && !o_.checkpoint_dir.empty()) metrics_path = path("metrics.jsonl");
  if (!metrics_path.empty()) {
    if (o_.resume) truncate_jsonl_after_step(metrics_path, st_.step);
    log_ = std::make_unique<JsonlWriter>(metrics_path, /*append=*/o_.resume);
  }
  const bool tty = o_.progress == ProgressStyle::kBar ||
                   (o_.progress == ProgressStyle::kAuto && &out_ == &std::cerr && Progress::stderr_is_tty());
  if (o_.progress != ProgressStyle::kOff)
    progress_ = std::make_unique<Progress>(out_, tty, total_steps_, o_.log_every, st_.step);
}

void TrainingRun::resume(const std::string& file) {
  const std::string label = "checkpoint '" + file + "'";
  if (!std::filesystem::exists(file)) throw InputError("resume: no checkpoint at '" + file + "'");
  Checkpoint c = load_checkpoint(file);
  const auto& s = c.state;
  auto check = [&](bool same, const std::string& what, const std::string& saved, const std::string& now) {
    if (!same)
      throw InputError("cannot resume from " + label + ": it was trained with " + what + " " + saved +
                       ", this run has " + now);
  };
  check(s.seed == st_.seed, "seed", std::to_string(s.seed), std::to_string(st_.seed));
  check(s.batch_size == st_.batch_size, "batch_size", std::to_string(s.batch_size),
        std::to_string(st_.batch_size));
  check(s.train_size == st_.train_size, "train_size", std::to_string(s.train_size),
        std::to_string(st_.train_size));
  check(s.drop_last == st_.drop_last, "drop_last", std::to_string(s.drop_last),
        std::to_string(st_.drop_last));
  check(s.optimizer == st_.optimizer, "optimizer", s.optimizer, st_.optimizer);
  copy_tensors_into(params_, c.trainable, label);
  load_optimizer_state(*optimizer_, c.optimizer_state, label);
  set_rng_state(c.rng_state);
  if (s.has_best) {
    best_ = clone_tensors(params_);
    copy_tensors_into(best_, c.best, label + " (best state)");
  }
  st_ = s;
  early_.restore(s.has_best, s.best_metric, s.best_step, s.bad_evals);
  checkpoint_step_ = s.step;
}

void TrainingRun::non_finite(const std::string& what, double value, double lr) const {
  std::ostringstream os;
  os << what << " is " << (std::isnan(value) ? "NaN" : "infinite") << " at step " << st_.step + 1 << " (lr "
     << format_value(lr) << "): lower the learning rate, set grad_clip, or check the inputs of this batch; ";
  if (checkpoint_step_ >= 0)
    os << "the last checkpoint ('" << path("last.ckpt") << "', step " << checkpoint_step_ << ") is intact";
  else
    os << "no checkpoint was written";
  throw NonFiniteError(os.str());
}

StepInfo TrainingRun::train_one_step() {
  if (order_epoch_ != st_.epoch) {
    order_ = epoch_order(o_.seed, st_.epoch, train_size_);
    order_epoch_ = st_.epoch;
  }
  const int64_t begin = st_.batch_in_epoch * o_.batch_size;
  const int64_t end = std::min(begin + o_.batch_size, train_size_);
  const std::vector<int64_t> batch(order_.begin() + begin, order_.begin() + end);

  const double lr = schedule_.lr_at(st_.step);
  set_learning_rate(*optimizer_, lr);
  optimizer_->zero_grad();
  StepOutput out = task_.train_step(batch);
  TORCH_CHECK(out.loss.defined() && out.loss.numel() == 1 && out.loss.requires_grad(),
              "Task::train_step must return a one-element loss that requires grad");
  const double loss = out.loss.item<double>();
  if (!std::isfinite(loss)) non_finite("loss", loss, lr);
  out.loss.backward();
  const double max_norm = o_.grad_clip > 0 ? o_.grad_clip : std::numeric_limits<double>::infinity();
  const double grad_norm = torch::nn::utils::clip_grad_norm_(values_of(params_), max_norm);
  if (!std::isfinite(grad_norm)) non_finite("the gradient norm", grad_norm, lr);
  optimizer_->step();

  ++st_.step;
  if (++st_.batch_in_epoch == steps_per_epoch_) {
    ++st_.epoch;
    st_.batch_in_epoch = 0;
  }
  return {st_.step, epochs_done(), loss, lr, grad_norm};
}

void TrainingRun::after_step(const StepInfo& info) {
  st_.loss_sum += info.loss;
  ++st_.loss_count;
  last_loss_ = st_.loss_sum / static_cast<double>(st_.loss_count);
  const bool last = info.step == total_steps_;
  if (info.step % o_.log_every == 0 || last) {
    st_.history.train.push_back({info.step, info.epoch, last_loss_, info.lr, info.grad_norm});
    if (log_)
      log_->write({{"event", "train"},
                   {"step", info.step},
                   {"epoch", info.epoch},
                   {"loss", last_loss_},
                   {"lr", info.lr},
                   {"grad_norm", info.grad_norm},
                   {"elapsed_s", elapsed()}});
    st_.loss_sum = 0;
    st_.loss_count = 0;
  }
  if (progress_) {
    Progress::Values v{{"loss", last_loss_}, {"lr", info.lr}};
    v.insert(v.end(), live_metric_.begin(), live_metric_.end());
    progress_->update(info.step, v);
  }
  evaluated_now_ = false;
  const bool epoch_end = st_.batch_in_epoch == 0;
  if (o_.eval_every != -1 && (last || (o_.eval_every > 0 ? info.step % o_.eval_every == 0 : epoch_end)))
    evaluate();
  if (!o_.checkpoint_dir.empty() &&
      (o_.checkpoint_every > 0 ? info.step % o_.checkpoint_every == 0 : evaluated_now_))
    write_checkpoint();
}

void TrainingRun::evaluate() {
  EvalResult r;
  {
    torch::NoGradGuard no_grad;
    task_.set_training(false);
    r = task_.evaluate(o_.eval_split);
    task_.set_training(true);
  }
  auto it = r.metrics.find(o_.metric);
  if (it == r.metrics.end()) {
    std::string have;
    for (const auto& [k, v] : r.metrics) have += (have.empty() ? "" : ", ") + k;
    throw InputError("the evaluation of '" + o_.eval_split + "' has no metric '" + o_.metric +
                     "' (it has: " + (have.empty() ? "none" : have) + ")");
  }
  const bool improved = early_.update(it->second, st_.step);
  st_.has_best = early_.has_best();
  st_.best_metric = early_.best();
  st_.best_step = early_.best_step();
  st_.bad_evals = early_.bad_evals();
  st_.history.eval.push_back({st_.step, epochs_done(), r.metrics});
  if (improved) {
    best_ = clone_tensors(params_);
    if (!o_.checkpoint_dir.empty()) write_best();
  }
  evaluated_now_ = true;
  const std::string key = o_.eval_split + "_" + o_.metric;
  live_metric_ = {{key, it->second}};
  if (log_) {
    // Train loss and lr too, so that every record reads on its own.
    const double lr = schedule_.lr_at(st_.step - 1);  // of the last update
    nlohmann::json rec = {{"event", "eval"},        {"split", o_.eval_split}, {"step", st_.step},
                          {"epoch", epochs_done()}, {"loss", last_loss_},     {"lr", lr},
                          {"best", improved},       {"elapsed_s", elapsed()}};
    for (const auto& [k, v] : r.metrics) rec[o_.eval_split + "_" + k] = v;
    log_->write(rec);
  }
  if (progress_) {
    std::ostringstream os;
    os << "eval step " << st_.step << ':';
    for (const auto& [k, v] : r.metrics) os << ' ' << o_.eval_split << '_' << k << ' ' << format_value(v);
    os << (improved ? "  (best)"
                    : "  (best " + format_value(early_.best()) + " at step " +
                          std::to_string(early_.best_step()) + ")");
    progress_->message(os.str());
  }
}

void TrainingRun::write_checkpoint() {
  st_.elapsed_s = elapsed();
  t_start_ = seconds_now();
  Checkpoint c{st_, params_, best_, save_optimizer_state(*optimizer_), get_rng_state()};
  save_checkpoint(path("last.ckpt"), c);
  checkpoint_step_ = st_.step;
}

void TrainingRun::write_best() {
  core::io::save_safetensors(path("best.safetensors"), best_,
                             {{"format", "softprompt.trainable"},
                              {"step", std::to_string(early_.best_step())},
                              {"metric", o_.eval_split + "_" + o_.metric},
                              {"value", format_value(early_.best())}});
}

TrainResult TrainingRun::run() {
  setup();
  t_start_ = seconds_now();
  task_.set_training(true);
  bool interrupted = false;
  while (st_.step < total_steps_ && !early_.should_stop()) {
    const StepInfo info = train_one_step();
    after_step(info);
    if (callback_) callback_(info);
    if (stop_.load() && st_.step < total_steps_) {
      interrupted = true;
      break;
    }
  }
  if (progress_) progress_->finish();
  if (!o_.checkpoint_dir.empty() && checkpoint_step_ != st_.step) write_checkpoint();
  TrainResult r = finish();
  r.interrupted = interrupted;
  return r;
}

TrainResult TrainingRun::finish() {
  TrainResult r;
  r.steps = st_.step;
  r.total_steps = total_steps_;
  r.epochs = epochs_done();
  r.elapsed_s = elapsed();
  r.final_loss = st_.history.train.empty() ? last_loss_ : st_.history.train.back().loss;
  r.stopped_early = early_.should_stop() && st_.step < total_steps_;
  r.has_best = early_.has_best();
  r.best_metric = early_.best();
  r.best_step = early_.best_step();
  if (o_.restore_best && r.has_best && !best_.empty()) {
    copy_tensors_into(params_, best_, "best state");
    r.restored_best = true;
  }
  r.history = st_.history;
  if (!o_.checkpoint_dir.empty()) {
    r.checkpoint_path = path("last.ckpt");
    if (r.has_best) {
      write_best();
      r.best_path = path("best.safetensors");
    }
  }
  if (log_) r.metrics_path = log_->path();
  return r;
}

Trainer* g_signal_target = nullptr;
extern "C" void handle_stop_signal(int sig) {
  if (g_signal_target) g_signal_target->request_stop();  // a lock-free atomic store
  std::signal(sig, SIG_DFL);                             // a second signal ends the process as usual
}

}  // namespace

Trainer::Trainer(TrainerOptions options) : options_(std::move(options)), out_(&std::cerr) {
  options_.validate();
}

TrainResult Trainer::fit(Task& task) {
  stop_requested_.store(false);
  TrainingRun run(options_, task, *out_, stop_requested_, callback_);
  return run.run();
}

Trainer::~Trainer() {
  if (g_signal_target == this) g_signal_target = nullptr;
}

void stop_on_signals(Trainer& trainer) {
  g_signal_target = &trainer;
  std::signal(SIGINT, handle_stop_signal);
  std::signal(SIGTERM, handle_stop_signal);
}

}  // namespace softprompt::core::trainer

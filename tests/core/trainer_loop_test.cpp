// The training loop: options validation, batching, gradient clipping, evaluation, early stopping,
// best-state restore, NaN/Inf detection, the metrics log and the progress output.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/progress.h"
#include "core/trainer/early_stopping.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "tests/core/trainer_toy_task.h"

using namespace softprompt;
using namespace softprompt::core::trainer;
namespace toy = softprompt::testing;
namespace fs = std::filesystem;

namespace {

TrainerOptions quiet() {
  TrainerOptions o;
  o.progress = ProgressStyle::kOff;
  o.threads = 1;
  return o;
}

std::string temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("softprompt_trainer_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TrainerOptionsTest, ValidateNamesTheField) {
  auto bad = [](auto mutate) {
    TrainerOptions o;
    mutate(o);
    return error_of([&] { o.validate(); });
  };
  EXPECT_NO_THROW(TrainerOptions().validate());
  EXPECT_NE(bad([](TrainerOptions& o) { o.lr = -1; }).find("lr = -1"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.lr = 0; }).find("lr"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.batch_size = 0; }).find("batch_size = 0"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.beta2 = 1.0; }).find("beta2"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.max_steps = 0, o.epochs = 0; }).find("epochs"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.resume = true; }).find("checkpoint_dir"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.patience = 2, o.eval_every = -1; }).find("patience"),
            std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.grad_clip = -1; }).find("grad_clip"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.nesterov = true; }).find("nesterov"), std::string::npos);
  EXPECT_NE(bad([](TrainerOptions& o) { o.log_every = 0; }).find("log_every"), std::string::npos);
  // Adafactor may run without an lr (relative step), but then without an external schedule.
  EXPECT_EQ(bad([](TrainerOptions& o) { o.optimizer = OptimizerKind::kAdafactor, o.lr = 0; }), "");
  EXPECT_NE(bad([](TrainerOptions& o) {
              o.optimizer = OptimizerKind::kAdafactor, o.lr = 0, o.schedule = ScheduleKind::kLinear;
            }).find("relative step"),
            std::string::npos);
  TrainerOptions negative;
  negative.batch_size = -3;
  EXPECT_THROW(Trainer{negative}, InputError);
}

TEST(TrainerOptionsTest, ParsesEnumNames) {
  EXPECT_EQ(parse_optimizer("adafactor"), OptimizerKind::kAdafactor);
  EXPECT_EQ(parse_schedule("cosine"), ScheduleKind::kCosine);
  EXPECT_EQ(parse_metric_mode("min"), MetricMode::kMin);
  EXPECT_EQ(parse_progress_style("lines"), ProgressStyle::kLines);
  EXPECT_EQ(to_string(OptimizerKind::kSgd), "sgd");
  const auto msg = error_of([] { parse_optimizer("adam"); });
  EXPECT_NE(msg.find("'adam'"), std::string::npos);
  EXPECT_NE(msg.find("adamw, sgd, adafactor"), std::string::npos);
  EXPECT_THROW(parse_schedule("Cosine"), InputError);
}

TEST(TrainerLoop, EpochsCoverEveryExampleOnceInSeededOrder) {
  seed_everything(0);
  toy::ToyConfig c;
  c.n_train = 10;
  toy::ToyTask task(c);
  auto o = quiet();
  o.batch_size = 4;
  o.epochs = 2;
  o.max_steps = 0;
  o.eval_every = -1;
  o.optimizer = OptimizerKind::kSgd;
  o.lr = 0.1;
  auto r = Trainer(o).fit(task);
  EXPECT_EQ(r.steps, 6);  // ceil(10/4) = 3 batches per epoch
  ASSERT_EQ(task.batches().size(), 6u);
  EXPECT_EQ(task.batches()[2].size(), 2u);  // the last, smaller batch is kept
  for (int e = 0; e < 2; ++e) {
    std::multiset<int64_t> seen;
    std::vector<int64_t> order;
    for (int b = 0; b < 3; ++b)
      for (auto i : task.batches()[e * 3 + b]) seen.insert(i), order.push_back(i);
    EXPECT_EQ(seen, (std::multiset<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(order, epoch_order(o.seed, e, 10));
  }
  EXPECT_NE(epoch_order(o.seed, 0, 10), epoch_order(o.seed, 1, 10));
  EXPECT_NE(epoch_order(1, 0, 10), epoch_order(2, 0, 10));

  o.drop_last = true;
  seed_everything(0);
  toy::ToyTask task2(c);
  EXPECT_EQ(Trainer(o).fit(task2).steps, 4);
  o.batch_size = 11;
  EXPECT_THROW(Trainer(o).fit(task2), InputError);
}

TEST(TrainerLoop, GradientClippingBoundsTheGlobalNorm) {
  // Plain SGD, lr 1: the parameters move by exactly the (clipped) gradient.
  for (double clip : {0.0, 1e-3}) {
    seed_everything(5);
    toy::ToyConfig c;
    c.dropout = 0;
    toy::ToyTask task(c);
    auto before = torch::cat({task.weight_.detach().flatten(), task.bias_.detach()}).clone();
    auto o = quiet();
    o.optimizer = OptimizerKind::kSgd;
    o.lr = 1.0;
    o.max_steps = 1;
    o.eval_every = -1;
    o.grad_clip = clip;
    Trainer trainer(o);
    double norm = 0;
    trainer.set_step_callback([&](const StepInfo& s) { norm = s.grad_norm; });
    trainer.fit(task);
    auto after = torch::cat({task.weight_.detach().flatten(), task.bias_.detach()});
    const double moved = (after - before).norm().item<double>();
    ASSERT_GT(norm, 1e-2);
    if (clip == 0)
      EXPECT_NEAR(moved, norm, 1e-5 * norm);
    else
      EXPECT_NEAR(moved, clip, 1e-6);
  }
}

TEST(TrainerLoop, EarlyStoppingCountsEvaluationsWithoutImprovement) {
  EarlyStopping max(MetricMode::kMax, /*patience=*/2, /*min_delta=*/0.01);
  EXPECT_TRUE(max.update(0.5, 1));
  EXPECT_FALSE(max.update(0.505, 2));  // within min_delta
  EXPECT_TRUE(max.update(0.6, 3));
  EXPECT_FALSE(max.update(std::nan(""), 4));
  EXPECT_FALSE(max.should_stop());
  EXPECT_FALSE(max.update(0.55, 5));
  EXPECT_TRUE(max.should_stop());
  EXPECT_EQ(max.best_step(), 3);
  EXPECT_DOUBLE_EQ(max.best(), 0.6);

  EarlyStopping min(MetricMode::kMin, 0);
  EXPECT_TRUE(min.update(2.0, 1));
  EXPECT_TRUE(min.update(1.0, 2));
  EXPECT_FALSE(min.update(3.0, 3));
  for (int i = 0; i < 100; ++i) min.update(5.0, 4 + i);
  EXPECT_FALSE(min.should_stop());  // patience 0 never stops
}

TEST(TrainerLoop, EarlyStopsAndRestoresTheBestState) {
  seed_everything(2);
  toy::ToyConfig c;
  c.scripted_metric = {0.5, 0.9, 0.7, 0.6, 0.95, 0.99};
  toy::ToyTask task(c);
  auto o = quiet();
  o.max_steps = 30;
  o.eval_every = 2;
  o.patience = 2;
  Trainer trainer(o);
  std::map<int64_t, torch::Tensor> weights;
  trainer.set_step_callback([&](const StepInfo& s) { weights[s.step] = task.weight_.detach().clone(); });
  auto r = trainer.fit(task);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.steps, 8);  // evaluations at 2 (0.5), 4 (0.9, best), 6, 8: two without improvement
  EXPECT_EQ(r.best_step, 4);
  EXPECT_DOUBLE_EQ(r.best_metric, 0.9);
  EXPECT_TRUE(r.restored_best);
  EXPECT_TRUE(torch::equal(task.weight_.detach(), weights.at(4)));
  EXPECT_FALSE(torch::equal(weights.at(8), weights.at(4)));
  ASSERT_EQ(r.history.eval.size(), 4u);
  EXPECT_NE(summary(r, o).find("stopped early"), std::string::npos);
  EXPECT_NE(summary(r, o).find("best dev accuracy 0.9 at step 4 (restored)"), std::string::npos);
}

TEST(TrainerLoop, EvaluatesEachEpochByDefaultAndAtTheEnd) {
  seed_everything(2);
  toy::ToyConfig c;
  c.n_train = 20;
  toy::ToyTask task(c);
  auto o = quiet();
  o.batch_size = 8;  // 3 steps per epoch
  o.max_steps = 7;
  o.eval_every = 0;
  auto r = Trainer(o).fit(task);
  std::vector<int64_t> steps;
  for (const auto& e : r.history.eval) steps.push_back(e.step);
  EXPECT_EQ(steps, (std::vector<int64_t>{3, 6, 7}));
  EXPECT_TRUE(r.has_best);
}

TEST(TrainerLoop, MissingMetricIsAnInputError) {
  seed_everything(2);
  toy::ToyTask task;
  auto o = quiet();
  o.max_steps = 2;
  o.eval_every = 1;
  o.metric = "bleu";
  const auto msg = error_of([&] { Trainer(o).fit(task); });
  EXPECT_NE(msg.find("no metric 'bleu'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("accuracy, loss, macro_f1"), std::string::npos) << msg;
}

TEST(TrainerLoop, NanLossStopsWithAClearMessage) {
  const auto dir = temp_dir("nan");
  seed_everything(2);
  toy::ToyConfig c;
  c.nan_loss_at_call = 12;
  toy::ToyTask task(c);
  auto o = quiet();
  o.optimizer = OptimizerKind::kAdafactor;
  o.lr = 0.3;
  o.max_steps = 20;
  o.eval_every = 5;
  o.checkpoint_dir = dir;
  auto before = fs::exists(dir);
  EXPECT_FALSE(before);
  try {
    Trainer(o).fit(task);
    FAIL() << "no exception";
  } catch (const NonFiniteError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("loss is NaN at step 12 (lr 0.3)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("step 10) is intact"), std::string::npos) << msg;
  }
  // the checkpoint of step 10 is still loadable
  o.resume = true;
  o.max_steps = 10;
  seed_everything(2);
  toy::ToyTask again;
  EXPECT_EQ(Trainer(o).fit(again).steps, 10);
  fs::remove_all(dir);
}

TEST(TrainerLoop, NanGradientIsDetected) {
  seed_everything(2);
  toy::ToyConfig c;
  c.nan_grad_at_call = 3;
  toy::ToyTask task(c);
  auto o = quiet();
  o.max_steps = 5;
  o.eval_every = -1;
  const auto msg = error_of([&] { Trainer(o).fit(task); });
  EXPECT_NE(msg.find("the gradient norm is NaN at step 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no checkpoint was written"), std::string::npos) << msg;
}

TEST(TrainerLoop, SignalStopsAfterTheCurrentStep) {
  seed_everything(2);
  toy::ToyTask task;
  auto o = quiet();
  o.max_steps = 20;
  o.eval_every = -1;
  Trainer trainer(o);
  stop_on_signals(trainer);
  trainer.set_step_callback([](const StepInfo& s) {
    if (s.step == 3) std::raise(SIGINT);
  });
  auto r = trainer.fit(task);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 3);
  EXPECT_NE(summary(r, o).find("training interrupted: 3/20 steps"), std::string::npos) << summary(r, o);
}

TEST(TrainerLoop, WritesJsonLinesMetrics) {
  const auto dir = temp_dir("jsonl");
  seed_everything(4);
  toy::ToyTask task;
  auto o = quiet();
  o.max_steps = 12;
  o.log_every = 5;
  o.eval_every = 6;
  o.checkpoint_dir = dir;
  auto r = Trainer(o).fit(task);
  EXPECT_EQ(r.metrics_path, dir + "/metrics.jsonl");
  std::ifstream in(r.metrics_path);
  std::string line;
  std::vector<std::pair<std::string, int64_t>> events;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    events.emplace_back(j.at("event").get<std::string>(), j.at("step").get<int64_t>());
    EXPECT_TRUE(j.contains("epoch") && j.contains("elapsed_s")) << line;
    EXPECT_TRUE(j.contains("loss") && j.contains("lr")) << line;
    if (j["event"] == "train") EXPECT_TRUE(j.contains("grad_norm"));
    if (j["event"] == "eval") EXPECT_TRUE(j.contains("dev_accuracy") && j.contains("dev_macro_f1"));
  }
  using E = std::pair<std::string, int64_t>;
  EXPECT_EQ(events, (std::vector<E>{{"train", 5}, {"eval", 6}, {"train", 10}, {"train", 12}, {"eval", 12}}));
  EXPECT_TRUE(fs::exists(dir + "/best.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/last.ckpt"));
  fs::remove_all(dir);
}

TEST(TrainerProgress, PlainLinesCarryEta) {
  std::ostringstream out;
  core::Progress p(out, /*tty=*/false, /*total=*/20, /*every=*/5);
  double t = 100;
  p.set_clock([&] { return t; });
  for (int64_t s = 1; s <= 20; ++s) {
    t += 1.0;  // one second per step
    p.update(s, {{"loss", 0.5}, {"lr", 3e-4}});
  }
  p.finish();
  std::istringstream lines(out.str());
  std::string first;
  std::getline(lines, first);
  EXPECT_EQ(first, "train step 5/20 (25.0%) loss 0.5 lr 3.00e-04 | 1.0 it/s elapsed 0:05 eta 0:15");
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
  EXPECT_EQ(text.find('\r'), std::string::npos);  // no terminal control in logs
  EXPECT_EQ(core::Progress::format_duration(3725), "1:02:05");
  EXPECT_EQ(core::Progress::format_duration(-1), "?");
}

TEST(TrainerProgress, BarRedrawsInPlace) {
  std::ostringstream out;
  core::Progress p(out, /*tty=*/true, /*total=*/10, /*every=*/5, /*start=*/4);
  double t = 0;
  p.set_clock([&] { return t; });
  t = 2;
  p.update(6, {{"loss", 1.25}});  // 2 steps in 2 s since the resume at 4
  p.message("eval step 6: dev_accuracy 0.8");
  p.finish();
  const auto s = out.str();
  EXPECT_NE(s.find("\r\033[K"), std::string::npos);
  EXPECT_NE(s.find(" 60% |"), std::string::npos) << s;
  EXPECT_NE(s.find("6/10 0:02<0:04 1.0 it/s loss 1.25"), std::string::npos) << s;
  EXPECT_NE(s.find("eval step 6: dev_accuracy 0.8\n"), std::string::npos) << s;
}

TEST(TrainerProgress, TrainerPrintsLinesWithEtaWhenNotATerminal) {
  seed_everything(2);
  toy::ToyTask task;
  auto o = quiet();
  o.progress = ProgressStyle::kAuto;  // the output below is not std::cerr -> plain lines
  o.max_steps = 20;
  o.log_every = 10;
  o.eval_every = 10;
  std::ostringstream out;
  Trainer trainer(o);
  trainer.set_output(out);
  trainer.fit(task);
  const auto s = out.str();
  EXPECT_NE(s.find("train step 10/20 (50.0%) loss "), std::string::npos) << s;
  EXPECT_NE(s.find("eta "), std::string::npos) << s;
  EXPECT_NE(s.find("eval step 10: dev_accuracy "), std::string::npos) << s;
  EXPECT_EQ(s.find('\r'), std::string::npos);
}

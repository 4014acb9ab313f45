// Checkpoint/resume: a run stopped (or crashed) at step k and resumed ends with exactly the tensors of an
// uninterrupted run; bad or mismatched checkpoints are clear errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "core/trainer/checkpoint.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "tests/core/trainer_toy_task.h"

using namespace softprompt;
using namespace softprompt::core::trainer;
namespace toy = softprompt::testing;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSeed = 11;

std::string temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("softprompt_resume_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

TrainerOptions options(OptimizerKind kind, const std::string& dir) {
  TrainerOptions o;
  o.optimizer = kind;
  o.lr = kind == OptimizerKind::kAdamW ? 0.05 : kind == OptimizerKind::kSgd ? 0.3 : 0.3;
  o.momentum = kind == OptimizerKind::kSgd ? 0.9 : 0.0;
  o.weight_decay = 1e-3;
  o.schedule = ScheduleKind::kCosine;
  o.warmup_steps = 3;
  o.max_steps = 27;  // 2.25 epochs of 12 batches: the resume lands mid-epoch
  o.batch_size = 8;
  o.eval_every = 5;
  o.grad_clip = 1.0;
  o.restore_best = false;
  o.seed = kSeed;
  o.checkpoint_dir = dir;
  o.progress = ProgressStyle::kOff;
  o.threads = 1;
  return o;
}

struct Outcome {
  core::io::TensorMap final_state, best_state;
  TrainResult result;
};

// Seeds, builds a fresh task (its random init differs from the checkpoint's when resuming), trains.
Outcome train(const TrainerOptions& o, toy::ToyConfig config = {}, int64_t stop_at = -1) {
  seed_everything(o.seed);
  toy::ToyTask task(config);
  Trainer trainer(o);
  if (stop_at > 0)
    trainer.set_step_callback([&](const StepInfo& s) {
      if (s.step == stop_at) trainer.request_stop();
    });
  Outcome out;
  out.result = trainer.fit(task);
  out.final_state = clone_tensors(task.trainable_parameters());
  if (!o.checkpoint_dir.empty() && fs::exists(o.checkpoint_dir + "/best.safetensors"))
    out.best_state = clone_tensors(core::io::load_safetensors(o.checkpoint_dir + "/best.safetensors"));
  return out;
}

void expect_same(const core::io::TensorMap& a, const core::io::TensorMap& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << what << ": " << name;
}

}  // namespace

TEST(TrainerResume, StoppedAndResumedEqualsUninterrupted) {
  for (auto kind : {OptimizerKind::kAdamW, OptimizerKind::kSgd, OptimizerKind::kAdafactor}) {
    const auto name = to_string(kind);
    const auto dir_a = temp_dir("a_" + name), dir_b = temp_dir("b_" + name);
    const auto full = train(options(kind, dir_a));
    EXPECT_EQ(full.result.steps, 27);

    auto first = train(options(kind, dir_b), {}, /*stop_at=*/13);
    EXPECT_TRUE(first.result.interrupted);
    EXPECT_EQ(first.result.steps, 13);
    EXPECT_FALSE(torch::equal(first.final_state.at("weight"), full.final_state.at("weight")));

    auto o = options(kind, dir_b);
    o.resume = true;
    const auto resumed = train(o);
    EXPECT_EQ(resumed.result.steps, 27);
    expect_same(resumed.final_state, full.final_state, name + " final");
    expect_same(resumed.best_state, full.best_state, name + " best");
    EXPECT_EQ(resumed.result.best_step, full.result.best_step);
    ASSERT_EQ(resumed.result.history.eval.size(), full.result.history.eval.size());
    ASSERT_EQ(resumed.result.history.train.size(), full.result.history.train.size());
    for (size_t i = 0; i < full.result.history.train.size(); ++i)
      EXPECT_EQ(resumed.result.history.train[i].loss, full.result.history.train[i].loss) << name << " " << i;
    // the metrics log of the resumed run is the log of the full run, line for line (times aside)
    std::ifstream la(dir_a + "/metrics.jsonl"), lb(dir_b + "/metrics.jsonl");
    std::string a, b;
    int lines = 0;
    while (std::getline(la, a)) {
      ASSERT_TRUE(static_cast<bool>(std::getline(lb, b))) << name;
      EXPECT_EQ(a.substr(0, a.find("\"elapsed_s\"")), b.substr(0, b.find("\"elapsed_s\""))) << name;
      ++lines;
    }
    EXPECT_FALSE(static_cast<bool>(std::getline(lb, b))) << name;
    EXPECT_GT(lines, 5);
    fs::remove_all(dir_a);
    fs::remove_all(dir_b);
  }
}

TEST(TrainerResume, CrashedAndResumedEqualsUninterrupted) {
  const auto dir_a = temp_dir("crash_a"), dir_b = temp_dir("crash_b");
  auto o = options(OptimizerKind::kAdafactor, dir_a);
  o.checkpoint_every = 4;  // checkpoints at 4, 8, 12; evaluations (best state) at 5, 10
  const auto full = train(o);
  toy::ToyConfig crash;
  crash.throw_at_call = 14;  // dies during step 14; the last checkpoint is step 12's
  o.checkpoint_dir = dir_b;
  EXPECT_THROW(train(o, crash), std::runtime_error);
  const auto saved = load_checkpoint(dir_b + "/last.ckpt");
  EXPECT_EQ(saved.state.step, 12);
  EXPECT_EQ(saved.best.size(), 2u);  // the best state of step 5 or 10 travels in the checkpoint
  o.resume = true;
  const auto resumed = train(o);
  expect_same(resumed.final_state, full.final_state, "after crash");
  expect_same(resumed.best_state, full.best_state, "best after crash");
  fs::remove_all(dir_a);
  fs::remove_all(dir_b);
}

TEST(TrainerResume, CheckpointRoundTrip) {
  Checkpoint c;
  c.state.step = 7;
  c.state.epoch = 1;
  c.state.batch_in_epoch = 2;
  c.state.has_best = true;
  c.state.best_metric = 0.75;
  c.state.best_step = 5;
  c.state.optimizer = "adamw";
  c.state.history.train.push_back({5, 0.5, 1.25, 0.1, 2.0});
  c.state.history.eval.push_back({5, 0.5, {{"accuracy", 0.75}, {"loss", std::nan("")}}});
  c.trainable["prompt.text"] = torch::randn({4, 3});
  c.best["prompt.text"] = torch::randn({4, 3});
  c.optimizer_state = std::string("\0\1\2binary", 9);
  c.rng_state = get_rng_state();
  const auto dir = temp_dir("roundtrip");
  fs::create_directories(dir);
  save_checkpoint(dir + "/c.ckpt", c);
  auto d = load_checkpoint(dir + "/c.ckpt");
  EXPECT_EQ(d.state.step, 7);
  EXPECT_EQ(d.state.batch_in_epoch, 2);
  EXPECT_EQ(d.state.best_step, 5);
  EXPECT_EQ(d.optimizer_state, c.optimizer_state);
  EXPECT_TRUE(torch::equal(d.trainable.at("prompt.text"), c.trainable.at("prompt.text")));
  EXPECT_TRUE(torch::equal(d.best.at("prompt.text"), c.best.at("prompt.text")));
  EXPECT_TRUE(torch::equal(d.rng_state.at(0), c.rng_state.at(0)));
  EXPECT_DOUBLE_EQ(d.state.history.eval.at(0).metrics.at("accuracy"), 0.75);
  EXPECT_TRUE(std::isnan(d.state.history.eval.at(0).metrics.at("loss")));
  fs::remove_all(dir);
}

TEST(TrainerResume, BadCheckpointsAreInputErrors) {
  const auto dir = temp_dir("bad");
  auto o = options(OptimizerKind::kAdamW, dir);
  o.max_steps = 6;
  train(o);
  const std::string ckpt = dir + "/last.ckpt";
  const std::string good = core::io::read_file(ckpt);
  o.resume = true;

  auto expect_error = [&](const std::string& contents, const std::string& needle) {
    core::io::write_file_atomically(ckpt, contents);
    try {
      train(o);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("garbage", ckpt);
  expect_error(good.substr(0, good.size() / 2), ckpt);  // torn write (what the atomic write prevents)
  expect_error(core::io::serialize_safetensors({{"w", torch::zeros({2})}}),
               "not a softprompt training checkpoint");

  core::io::write_file_atomically(ckpt, good);
  auto other = o;
  other.batch_size = 4;
  try {
    train(other);
    ADD_FAILURE() << "resumed with another batch size";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("batch_size 8, this run has 4"), std::string::npos) << e.what();
  }
  other = o;
  other.optimizer = OptimizerKind::kSgd;
  EXPECT_THROW(train(other), InputError);

  // a trainable tensor of another shape names the key
  auto c = load_checkpoint(ckpt);
  c.trainable["weight"] = torch::zeros({2, 2});
  save_checkpoint(ckpt, c);
  try {
    train(o);
    ADD_FAILURE() << "wrong shape accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'weight' has shape [2, 2], expected [3, 6]"),
              std::string::npos)
        << e.what();
  }

  fs::remove(ckpt);
  EXPECT_THROW(train(o), InputError);  // resume without a checkpoint
  fs::remove_all(dir);
}

TEST(TrainerResume, CopyTensorsIntoChecksNames) {
  auto target = core::io::TensorMap{{"a", torch::zeros({2})}};
  EXPECT_THROW(copy_tensors_into(target, {{"b", torch::ones({2})}}, "x"), InputError);
  EXPECT_THROW(copy_tensors_into(target, {{"a", torch::ones({2})}, {"b", torch::ones({2})}}, "x"),
               InputError);
  auto alias = target.at("a");
  copy_tensors_into(target, {{"a", torch::ones({2}, torch::kDouble)}}, "x");
  EXPECT_TRUE(torch::equal(alias, torch::ones({2})));  // in place, dtype kept
}

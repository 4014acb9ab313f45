// Optimizers (AdamW, SGD, our Adafactor against Hugging Face's reference) and lr schedules.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "core/trainer/adafactor.h"
#include "core/trainer/optimizer_factory.h"
#include "core/trainer/schedule.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "tests/core/trainer_toy_task.h"

using namespace softprompt;
using namespace softprompt::core::trainer;
namespace toy = softprompt::testing;

namespace {

// The same deterministic parameters and gradients as trainer_adafactor_reference.py.
torch::Tensor initial(std::vector<int64_t> shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return (torch::sin(torch::arange(n, torch::kFloat) * 0.7) * 0.5).reshape(shape);
}
torch::Tensor gradient(const torch::Tensor& p, int t) {
  return torch::cos(p * 3.0 + static_cast<double>(t)) +
         0.1 * torch::arange(p.numel(), torch::kFloat).reshape(p.sizes());
}

torch::Tensor run_adafactor(const AdafactorOptions& options, std::vector<int64_t> shape, int steps) {
  auto p = initial(shape).requires_grad_();
  Adafactor opt({p}, options);
  for (int t = 0; t < steps; ++t) {
    p.mutable_grad() = gradient(p.detach(), t);
    opt.step();
  }
  return p.detach();
}

struct Reference {
  const char* config;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// Printed by tests/core/trainer_adafactor_reference.py (HF transformers' Adafactor step, python3-torch 1.13).
const std::vector<Reference> kReference = {
    {"lester",
     {3, 4},
     {-1.85370386, 0.201994807, 0.107458383, -1.352247, -1.213099, -1.7036469, -1.92495859, -2.12022281,
      -1.75781155, -1.50876629, -1.20202863, -0.585794568}},
    {"lester", {5}, {-1.4277432, -0.35523057, 0.188867956, 0.0855004191, -1.19426322}},
    {"lester", {2, 3, 4}, {-1.85981023, 0.201016247,  0.107468992,  -1.43389845,  -1.24424756, -1.72117829,
                           -1.93414056, -2.12166595,  -1.77187943,  -1.52994907,  -1.23181033, -0.607505381,
                           -0.7375108,  -1.56500912,  -1.68204546,  -1.87156594,  -2.09332871, -1.90104532,
                           -1.49866962, -0.910075128, -0.930344284, -0.709943712, -1.28221333, -1.85421336}},
    {"relative",
     {3, 4},
     {0.0032769274, 0.32655406, 0.494293839, 0.430813581, 0.164526135, -0.181234986, -0.44855544,
      -0.507238686, -0.327599347, -0.000454579073, 0.317044348, 0.480219126}},
    {"relative", {5}, {0.00346805714, 0.325780958, 0.492835939, 0.430764139, 0.165731758}},
    {"relative", {2, 3, 4}, {0.00317584653, 0.326465487,  0.494286507,  0.430842698,   0.164576098,
                             -0.181136072,  -0.448306888, -0.506921172, -0.327367991,  -0.000285771966,
                             0.317280978,   0.480514318,  0.415447831,  0.148137301,   -0.195945963,
                             -0.455064505,  -0.507795274, -0.32449466,  0.00436165929, 0.322320014,
                             0.479212135,   0.40789932,   0.137569815,  -0.20675011}},
    {"momentum",
     {3, 4},
     {-0.00106969301, 0.323163331, 0.494092971, 0.431756437, 0.166066989, -0.178113803, -0.440019518,
      -0.49620077, -0.319602072, 0.00542100333, 0.325588465, 0.490991145}},
    {"momentum", {5}, {-0.000522155082, 0.322917074, 0.49340111, 0.431871772, 0.166398779}},
    {"momentum", {2, 3, 4}, {-0.00105079147, 0.323143512,  0.494068027,  0.431753874,  0.16609329,
                             -0.178063542,   -0.43994078,  -0.496108085, -0.319528282, 0.0054764268,
                             0.325642794,    0.49104926,   0.424439758,  0.15625225,   -0.18710281,
                             -0.444169462,   -0.494745016, -0.313572854, 0.0132524865, 0.331619352,
                             0.491390735,    0.41926989,   0.147841245,  -0.195543692}},
};

AdafactorOptions config(const std::string& name) {
  if (name == "lester") return AdafactorOptions(0.3).scale_parameter(false).weight_decay(1e-5);
  if (name == "relative") return AdafactorOptions(0.0);  // relative step, parameter scaling on (HF defaults)
  return AdafactorOptions(0.01).beta1(0.9);              // first moment, parameter scaling on
}

}  // namespace

TEST(TrainerAdafactor, MatchesHuggingFaceReference) {
  for (const auto& ref : kReference) {
    auto got = run_adafactor(config(ref.config), ref.shape, 5).flatten();
    auto want = torch::tensor(ref.values);
    ASSERT_EQ(got.numel(), want.numel());
    const double err = (got - want).abs().max().item<double>();
    EXPECT_LT(err, 2e-6) << ref.config << " shape " << got.numel();
  }
}

TEST(TrainerAdafactor, FactorsSecondMomentsOfMatrices) {
  auto p = initial({3, 4}).requires_grad_();
  auto v = initial({5}).requires_grad_();
  Adafactor opt({p, v}, AdafactorOptions(0.1));
  p.mutable_grad() = gradient(p.detach(), 0);
  v.mutable_grad() = gradient(v.detach(), 0);
  opt.step();
  const auto& sp =
      static_cast<AdafactorParamState&>(*opt.state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
  const auto& sv =
      static_cast<AdafactorParamState&>(*opt.state().at(c10::guts::to_string(v.unsafeGetTensorImpl())));
  EXPECT_EQ(sp.exp_avg_sq_row().sizes(), (c10::IntArrayRef{3}));
  EXPECT_EQ(sp.exp_avg_sq_col().sizes(), (c10::IntArrayRef{4}));
  EXPECT_FALSE(sp.exp_avg_sq().defined());
  EXPECT_EQ(sv.exp_avg_sq().sizes(), (c10::IntArrayRef{5}));
  EXPECT_FALSE(sv.exp_avg_sq_row().defined());
  EXPECT_FALSE(sp.exp_avg().defined());  // no first moment by default
}

TEST(TrainerAdafactor, FirstStepOfRankOneGradientIsLrTimesSign) {
  // For g = a b^T the factored estimate is exact: update = g / |g| = sign(g), RMS 1, so no clipping.
  auto a = torch::tensor({1.0f, -2.0f, 0.5f}), b = torch::tensor({3.0f, -1.0f, 0.25f, 2.0f});
  auto p = torch::zeros({3, 4}).requires_grad_();
  Adafactor opt({p}, AdafactorOptions(0.3).scale_parameter(false));
  p.mutable_grad() = torch::outer(a, b);
  opt.step();
  EXPECT_TRUE(torch::allclose(p.detach(), -0.3 * torch::outer(a, b).sign(), 1e-6, 1e-6));
}

TEST(TrainerAdafactor, UpdateClippingBoundsTheStep) {
  // A vector parameter at step 1: update = g / sqrt(g^2 + eps) = sign(g) has RMS 1 -> with threshold 0.5 the
  // update is halved.
  auto p = torch::zeros({4}).requires_grad_();
  Adafactor opt({p}, AdafactorOptions(1.0).scale_parameter(false).clip_threshold(0.5));
  p.mutable_grad() = torch::tensor({1.0f, -3.0f, 2.0f, -0.5f});
  opt.step();
  EXPECT_TRUE(torch::allclose(p.detach(), torch::tensor({-0.5f, 0.5f, -0.5f, 0.5f}), 1e-6, 1e-6));
}

TEST(TrainerAdafactor, StateRoundTripContinuesExactly) {
  auto opts = AdafactorOptions(0.05).beta1(0.9).weight_decay(1e-3);
  auto straight = run_adafactor(opts, {3, 4}, 6);

  auto p = initial({3, 4}).requires_grad_();
  auto v = initial({5}).requires_grad_();
  std::string bytes;
  {
    Adafactor opt({p, v}, opts);
    for (int t = 0; t < 3; ++t) {
      p.mutable_grad() = gradient(p.detach(), t);
      v.mutable_grad() = gradient(v.detach(), t);
      opt.step();
    }
    bytes = save_optimizer_state(opt);
  }
  auto p2 = p.detach().clone().requires_grad_();  // new tensors: state is matched by position
  auto v2 = v.detach().clone().requires_grad_();
  Adafactor opt2({p2, v2}, opts);  // the state holds moments and steps; options come from the caller
  load_optimizer_state(opt2, bytes, "test");
  for (int t = 3; t < 6; ++t) {
    p2.mutable_grad() = gradient(p2.detach(), t);
    v2.mutable_grad() = gradient(v2.detach(), t);
    opt2.step();
  }
  EXPECT_TRUE(torch::equal(p2.detach(), straight));
}

TEST(TrainerAdafactor, RejectsLrWithRelativeStep) {
  auto p = torch::zeros({2}).requires_grad_();
  EXPECT_THROW(Adafactor({p}, AdafactorOptions(0.1).relative_step(true)), c10::Error);
  EXPECT_THROW(Adafactor({p}, AdafactorOptions(0.1).decay_rate(0.5)), c10::Error);
}

TEST(TrainerOptimizers, GarbageStateIsInputError) {
  auto p = torch::zeros({2}).requires_grad_();
  TrainerOptions o;
  auto opt = make_optimizer(o, {p});
  EXPECT_THROW(load_optimizer_state(*opt, "not an archive", "ckpt"), InputError);
  // an SGD state is not an AdamW state
  o.optimizer = OptimizerKind::kSgd;
  o.momentum = 0.9;
  auto sgd = make_optimizer(o, {p});
  p.mutable_grad() = torch::ones({2});
  sgd->step();
  EXPECT_THROW(load_optimizer_state(*opt, save_optimizer_state(*sgd), "ckpt"), InputError);
}

// Each optimizer, with its usual settings, fits the toy task: dev loss falls well below its start.
TEST(TrainerOptimizers, LossDecreasesWithEachOptimizer) {
  struct Case {
    OptimizerKind kind;
    double lr;
  };
  for (const auto& c : {Case{OptimizerKind::kAdamW, 0.05}, Case{OptimizerKind::kSgd, 0.5},
                        Case{OptimizerKind::kAdafactor, 0.3}}) {
    seed_everything(3);
    toy::ToyTask task;
    const double before = task.dev_loss().item<double>();
    TrainerOptions o;
    o.optimizer = c.kind;
    o.lr = c.lr;
    o.momentum = c.kind == OptimizerKind::kSgd ? 0.9 : 0.0;
    o.max_steps = 120;
    o.batch_size = 16;
    o.eval_every = -1;
    o.progress = ProgressStyle::kOff;
    Trainer trainer(o);
    auto r = trainer.fit(task);
    const double after = task.dev_loss().item<double>();
    EXPECT_LT(after, 0.5 * before) << to_string(c.kind) << " lr " << c.lr << ": " << before << " -> "
                                   << after;
    EXPECT_LT(r.history.train.back().loss, r.history.train.front().loss) << to_string(c.kind);
    EXPECT_EQ(r.steps, 120);
  }
}

TEST(TrainerSchedule, ValuesAtChosenSteps) {
  Schedule constant{ScheduleKind::kConstant, 0.3, /*warmup_steps=*/4, /*total_steps=*/100};
  EXPECT_DOUBLE_EQ(constant.lr_at(0), 0.075);
  EXPECT_DOUBLE_EQ(constant.lr_at(1), 0.15);
  EXPECT_DOUBLE_EQ(constant.lr_at(3), 0.3);
  EXPECT_DOUBLE_EQ(constant.lr_at(50), 0.3);
  EXPECT_DOUBLE_EQ(constant.lr_at(99), 0.3);

  Schedule linear{ScheduleKind::kLinear, 1.0, 0, 10};
  EXPECT_DOUBLE_EQ(linear.lr_at(0), 1.0);
  EXPECT_DOUBLE_EQ(linear.lr_at(5), 0.5);
  EXPECT_DOUBLE_EQ(linear.lr_at(9), 0.1);
  EXPECT_DOUBLE_EQ(linear.lr_at(25), 0.1);  // past the end: the last update's lr

  Schedule linear_warm{ScheduleKind::kLinear, 2.0, 2, 12};
  EXPECT_DOUBLE_EQ(linear_warm.lr_at(0), 1.0);
  EXPECT_DOUBLE_EQ(linear_warm.lr_at(1), 2.0);
  EXPECT_DOUBLE_EQ(linear_warm.lr_at(2), 2.0);
  EXPECT_DOUBLE_EQ(linear_warm.lr_at(7), 1.0);

  Schedule cosine{ScheduleKind::kCosine, 1.0, 2, 10};
  EXPECT_DOUBLE_EQ(cosine.lr_at(0), 0.5);
  EXPECT_DOUBLE_EQ(cosine.lr_at(2), 1.0);
  EXPECT_NEAR(cosine.lr_at(6), 0.5, 1e-15);
  EXPECT_NEAR(cosine.lr_at(9), 0.5 * (1 + std::cos(M_PI * 7.0 / 8.0)), 1e-15);
  EXPECT_GT(cosine.lr_at(9), 0.0);
}

TEST(TrainerSchedule, TrainerAppliesTheScheduleEachStep) {
  seed_everything(1);
  toy::ToyTask task;
  TrainerOptions o;
  o.optimizer = OptimizerKind::kSgd;
  o.lr = 0.2;
  o.schedule = ScheduleKind::kCosine;
  o.warmup_steps = 3;
  o.max_steps = 15;
  o.eval_every = -1;
  o.progress = ProgressStyle::kOff;
  Trainer trainer(o);
  std::vector<double> lrs;
  trainer.set_step_callback([&](const StepInfo& s) { lrs.push_back(s.lr); });
  trainer.fit(task);
  Schedule expect{ScheduleKind::kCosine, 0.2, 3, 15};
  ASSERT_EQ(lrs.size(), 15u);
  for (int64_t s = 0; s < 15; ++s) EXPECT_DOUBLE_EQ(lrs[s], expect.lr_at(s)) << s;
}

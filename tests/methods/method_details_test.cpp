// Details of the comparison methods beyond the shared rows: trainable counts against hand counts (and PEFT's
// published LoRA count on gpt2-small), LoRA merge/unmerge, untrained LoRA/adapters are the identity, option
// errors name the bad value, folding, and the multitask prompt's training and transfer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/methods/lora.h"
#include "core/methods/method_registry.h"
#include "core/methods/multitask_task.h"
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

using tests::context;
using tests::gpt2;

torch::Tensor run(models::gpt2::Model& model, MethodContext& ctx, const torch::Tensor& ids) {
  ctx.prompts->begin_batch({});
  return model->forward_slots({model->embed(ids), {}}, *ctx.prompts).last_hidden_state;
}

torch::Tensor ids() {
  torch::manual_seed(1);
  return torch::randint(40, {2, 6}, torch::kLong);
}

void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error containing '" << needle << "'";
  } catch (const std::runtime_error& e) {  // InputError, or IoError for a missing file
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(MethodCounts, LoraOnTinyGpt2MatchesHandCount) {
  auto model = gpt2(32, 2);
  MethodContext ctx = context(model);
  Method lora = core::methods::make_method("lora", {{"rank", 4}, {"targets", json::array({"c_attn"})}}, ctx);
  const auto report = core::methods::parameter_report(*lora, *model);
  // Per layer: A [4,32] + B [96,4].
  EXPECT_EQ(report.trainable, 2 * (4 * 32 + 96 * 4));
  // wte + wpe + per block (ln_1, c_attn, c_proj, ln_2, c_fc, c_proj) + ln_f.
  const int64_t block = 64 + (32 * 96 + 96) + (32 * 32 + 32) + 64 + (32 * 128 + 128) + (128 * 32 + 32);
  EXPECT_EQ(report.backbone, 40 * 32 + 32 * 32 + 2 * block + 64);
  EXPECT_DOUBLE_EQ(report.percent, 100.0 * report.trainable / report.backbone);
}

TEST(MethodCounts, HandCountsOfTheOtherMethods) {
  auto model = gpt2(32, 2);
  auto count = [&](const std::string& name, const json& options) {
    MethodContext ctx = context(model);
    Method m = core::methods::make_method(name, options, ctx);
    return core::methods::parameter_report(*m, *model).trainable;
  };
  EXPECT_EQ(count("prompt_tuning", {{"num_tokens", 5}}), 5 * 32);
  EXPECT_EQ(count("p_tuning_v2", {{"num_tokens", 5}}), 2 * 2 * 5 * 32);
  // Embedding [5,32], Linear(32,8), Linear(8, 2*2*32).
  EXPECT_EQ(count("prefix", {{"num_tokens", 5}, {"encoder_hidden", 8}}), 5 * 32 + 32 * 8 + 8 + 8 * 128 + 128);
  // Embedding [4,32] + MLP 32 -> 8 -> 8 -> 32.
  EXPECT_EQ(count("p_tuning", {{"num_tokens", 4}, {"encoder", "mlp"}, {"encoder_hidden", 8}}),
            4 * 32 + (32 * 8 + 8) + (8 * 8 + 8) + (8 * 32 + 32));
  // Per adapter on a 32-wide output: down 32 -> 4, up 4 -> 32; Houlsby 2 per block, Pfeiffer 1.
  const int64_t adapter = (32 * 4 + 4) + (4 * 32 + 32);
  EXPECT_EQ(count("adapter_houlsby", {{"reduction_factor", 8}}), 2 * 2 * adapter);
  EXPECT_EQ(count("adapter_pfeiffer", {{"reduction_factor", 8}}), 2 * adapter);
}

// gpt2-small: PEFT prints "trainable params: 294,912 || all params: 124,734,720" for LoRA r=8 on c_attn,
// i.e. 124,439,808 backbone parameters. Also prints every method's default share (docs/methods.md).
TEST(MethodCounts, Gpt2SmallMatchesPeft) {
  torch::NoGradGuard no_grad;
  models::gpt2::Model model(models::gpt2::gpt2_small());
  models::weights::freeze(*model);
  MethodContext ctx = context(model);
  Method lora = core::methods::make_method("lora", {{"rank", 8}, {"targets", json::array({"c_attn"})}}, ctx);
  const auto r = core::methods::parameter_report(*lora, *model);
  EXPECT_EQ(r.trainable, 294912);
  EXPECT_EQ(r.backbone, 124439808);
  lora->detach();
  for (const auto& name : core::methods::registered_method_names()) {
    MethodContext c = context(model);
    Method m = core::methods::make_method(name, json::object(), c);
    const auto rep = core::methods::parameter_report(*m, *model);
    int64_t stored = 0;
    for (const auto& [k, t] : m->export_tensors()) stored += t.numel();
    std::cout << "gpt2-small " << name << " (defaults): trainable " << rep.trainable << " = " << rep.percent
              << "% of " << rep.backbone << ", stored " << stored << "\n";
    m->detach();
  }
}

TEST(Lora, MergeAndUnmergeKeepOutputs) {
  auto model = gpt2(32, 2);
  const torch::Tensor x = ids();
  MethodContext ctx = context(model);
  auto method =
      core::methods::make_method("lora", {{"rank", 4}, {"targets", json::array({"c_attn", "c_proj"})}}, ctx);
  auto* lora = dynamic_cast<core::methods::LoraImpl*>(method.get());
  ASSERT_NE(lora, nullptr);
  torch::NoGradGuard no_grad;
  const torch::Tensor w0 = model->named_parameters()["h.0.attn.c_attn.weight"].clone();
  for (auto& [name, t] : lora->trainable_parameters())
    if (name.find("lora_B") != std::string::npos) t.normal_(0, 0.1);
  const torch::Tensor unmerged = run(model, ctx, x);
  lora->merge();
  EXPECT_FALSE(torch::equal(model->named_parameters()["h.0.attn.c_attn.weight"], w0));
  EXPECT_LT((run(model, ctx, x) - unmerged).abs().max().item<double>(), 1e-5);
  lora->unmerge();
  EXPECT_LT((model->named_parameters()["h.0.attn.c_attn.weight"] - w0).abs().max().item<double>(), 1e-6);
  EXPECT_LT((run(model, ctx, x) - unmerged).abs().max().item<double>(), 1e-5);
  lora->detach();  // no hook left: the plain forward again
  EXPECT_TRUE(torch::equal(run(model, ctx, x), model->forward(x).last_hidden_state));
  EXPECT_FALSE(torch::equal(unmerged, model->forward(x).last_hidden_state));
}

TEST(LayerMethods, UntrainedLoraAndAdaptersAreTheIdentity) {
  auto model = gpt2(32, 2);
  const torch::Tensor x = ids();
  torch::NoGradGuard no_grad;
  const torch::Tensor plain = model->forward(x).last_hidden_state;
  for (const std::string name : {"lora", "adapter_houlsby", "adapter_pfeiffer"}) {
    MethodContext ctx = context(model);
    Method m = core::methods::make_method(name, json::object(), ctx);
    EXPECT_TRUE(torch::equal(run(model, ctx, x), plain)) << name;
    m->detach();
  }
  EXPECT_TRUE(torch::equal(model->forward(x).last_hidden_state, plain));  // detached: no hook left
}

TEST(MethodOptions, BadValuesAreNamed) {
  auto model = gpt2(32, 2);
  auto make = [&](const std::string& name, const json& options) {
    return [&model, name, options] {
      MethodContext ctx = context(model);
      core::methods::make_method(name, options, ctx);
    };
  };
  expect_error(make("loraa", json::object()), "loraa");
  expect_error(make("lora", {{"rank", 0}}), "rank");
  expect_error(make("lora", {{"rnk", 4}}), "rnk");
  expect_error(make("lora", {{"rank", "four"}}), "rank");
  expect_error(make("lora", {{"targets", json::array({"q_proj"})}}), "q_proj");
  expect_error(make("lora", {{"dropout", 1.5}}), "dropout");
  expect_error(make("adapter_houlsby", {{"reduction_factor", 0}}), "reduction_factor");
  expect_error(make("adapter_pfeiffer", {{"activation", "swish"}}), "swish");
  expect_error(make("prefix", {{"num_tokens", -1}}), "num_tokens");
  expect_error(make("prefix", {{"reparam", "lstm"}}), "lstm");
  expect_error(make("p_tuning", {{"encoder", "gru"}}), "gru");
  expect_error(make("prompt_tuning", {{"init", "text"}}), "init_text");
  expect_error(make("prompt_tuning", json::array({1, 2})), "mapping");
  expect_error(make("prompt_tuning", {{"init_from", "/nonexistent/prompt"}}), "/nonexistent/prompt");
}

TEST(Folding, ReparameterizedMethodsStorePlainTensors) {
  auto model = gpt2(32, 2);
  MethodContext ctx = context(model);
  Method prefix = core::methods::make_method("prefix", {{"num_tokens", 3}, {"encoder_hidden", 8}}, ctx);
  const auto stored = prefix->export_tensors();
  EXPECT_EQ(stored.size(), 4u);  // 2 layers x key, value
  EXPECT_EQ(stored.at("text_kv_1.value.prompt_embeddings").sizes().vec(), (std::vector<int64_t>{3, 32}));
  MethodContext ctx2 = context(model);
  Method pt = core::methods::make_method("p_tuning", {{"num_tokens", 4}, {"encoder_hidden", 8}}, ctx2);
  const auto p = pt->export_tensors();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p.at("text.prompt_embeddings").sizes().vec(), (std::vector<int64_t>{4, 32}));
  pt->load_tensors(p);  // now plain: the only trainable tensor is the prompt
  EXPECT_EQ(pt->trainable_parameters().size(), 1u);
}

// A toy task: push the mean output toward a task-specific target, through a shared prompt.
class ToyTask : public core::trainer::Task {
 public:
  ToyTask(models::gpt2::Model model, MethodContext ctx, double target)
      : model_(std::move(model)), ctx_(std::move(ctx)), target_(target) {}
  int64_t train_size() const override { return 4; }
  core::trainer::StepOutput train_step(const std::vector<int64_t>& idx) override {
    torch::Tensor x = ids().slice(0, 0, 1).expand({static_cast<int64_t>(idx.size()), -1});
    return {(run(model_, ctx_, x).mean() - target_).pow(2)};
  }
  core::trainer::EvalResult evaluate(const std::string&) override {
    return {{{"loss", train_step({0}).loss.item<double>()}}, {}, {}};
  }
  core::io::TensorMap trainable_parameters() override {
    core::io::TensorMap out;
    for (const auto& p : ctx_.prompts->named_parameters()) out.emplace(p.key(), p.value());
    return out;
  }

 private:
  models::gpt2::Model model_;
  MethodContext ctx_;
  double target_;
};

TEST(Multitask, SharedPromptTrainsOnMixedBatchesAndTransfers) {
  auto model = gpt2(32, 2);
  MethodContext a = context(model), b = context(model);
  Method m = core::methods::make_method("multitask_prompt", {{"num_tokens", 3}}, a);
  dynamic_cast<core::methods::PromptTuningImpl&>(*m).share_with(b);
  core::methods::MultitaskTask task({{"up", std::make_shared<ToyTask>(model, a, 1.0)},
                                     {"down", std::make_shared<ToyTask>(model, b, -1.0)}});
  EXPECT_EQ(task.train_size(), 8);
  const auto params = task.trainable_parameters();
  ASSERT_EQ(params.size(), 1u);  // one shared tensor
  EXPECT_TRUE(params.begin()->second.is_same(m->trainable_parameters().begin()->second));
  task.train_step({0, 5, 6}).loss.backward();  // one row of task "up", two of "down"
  EXPECT_GT(params.begin()->second.grad().abs().sum().item<double>(), 0);
  const auto metrics = task.evaluate("dev").metrics;
  EXPECT_NEAR(metrics.at("loss"), (metrics.at("up/loss") + metrics.at("down/loss")) / 2, 1e-9);

  // Transfer: a new task's prompt starts from the saved shared prompt (cycled to the new length).
  softprompt::testing::TempDir dir;
  core::Manifest manifest;
  manifest.method = m->name();
  manifest.method_options = m->options_json();
  manifest.slots = m->slots();
  core::save_artifact(dir / "shared", m->export_tensors(), manifest);
  MethodContext c = context(model);
  Method next =
      core::methods::make_method("prompt_tuning", {{"num_tokens", 5}, {"init_from", dir / "shared"}}, c);
  const torch::Tensor shared = m->export_tensors().at("text.prompt_embeddings");
  const torch::Tensor init = next->export_tensors().at("text.prompt_embeddings");
  EXPECT_TRUE(torch::equal(init.slice(0, 0, 3), shared));
  EXPECT_TRUE(torch::equal(init.slice(0, 3, 5), shared.slice(0, 0, 2)));
}

}  // namespace

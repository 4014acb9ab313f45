// The recipes' method factory (recipes/common/method_factory.h) on a tiny GPT-2: trainable counts against a
// hand count, the references (linear probe, full fine-tuning), the options the recipe supplies, the template
// each method trains with, and the errors for bad method settings.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "models/gpt2/model.h"
#include "recipes/common/method_factory.h"
#include "tests/recipes/recipe_test_util.h"

using namespace softprompt;
using namespace softprompt::recipes;

namespace {

struct Tiny {
  models::gpt2::Model model{test::tiny_gpt2_config()};
  MethodTarget target() {
    for (auto& p : model->parameters()) p.set_requires_grad(false);
    MethodTarget t;
    t.backbone = model.ptr();
    t.api = model.ptr().get();
    t.num_classes = 2;
    t.num_input_tokens = 4;
    t.init_inputs.embedding = model->wte->weight.detach();
    t.prompt_init = {{"init", "random"}};
    t.seed = 3;
    return t;
  }
};

MethodParts attach(Tiny& tiny, const std::string& name, nlohmann::json options = nlohmann::json::object()) {
  return attach_method({name, std::move(options)}, tiny.target());
}

// GPT-2, V = 50257, 64 positions, D = 16, one block with a 4*D MLP, tied LM head.
constexpr int64_t kTinyBackbone = 50257 * 16 + 64 * 16             // wte, wpe
                                  + 2 * 16 + (16 * 48 + 48)        // ln_1, c_attn
                                  + (16 * 16 + 16) + 2 * 16        // attn c_proj, ln_2
                                  + (16 * 64 + 64) + (64 * 16 + 16)  // c_fc, mlp c_proj
                                  + 2 * 16;                        // ln_f

}  // namespace

TEST(MethodFactory, CountsMatchAHandCount) {
  Tiny tiny;
  auto probe = attach(tiny, "linear_probe");
  EXPECT_EQ(probe.backbone_parameters, kTinyBackbone);
  EXPECT_EQ(probe.trainable_parameters(), 16 * 2 + 2);  // [K,D] weight + [K] bias
  EXPECT_NEAR(probe.trainable_percent(), 100.0 * 34 / kTinyBackbone, 1e-12);
  EXPECT_TRUE(probe.frozen_features);
  EXPECT_FALSE(probe.input_prompt);

  Tiny tiny2;
  auto prompt = attach(tiny2, "prompt_tuning");
  EXPECT_EQ(prompt.trainable_parameters(), 4 * 16);  // {soft:4} x D
  EXPECT_TRUE(prompt.input_prompt);
  EXPECT_EQ(prompt.method->options_json()["seed"], 3);  // the run's seed, supplied by the recipe

  Tiny tiny3;
  tiny3.model->eval();  // as a loaded backbone is
  auto full = attach(tiny3, "full_ft");
  EXPECT_EQ(full.trainable_parameters(), kTinyBackbone);  // the tied LM head counts once
  EXPECT_DOUBLE_EQ(full.trainable_percent(), 100.0);
  for (const auto& p : tiny3.model->parameters()) EXPECT_TRUE(p.requires_grad());
  full.method->train(true);
  EXPECT_FALSE(tiny3.model->is_training());  // the backbone keeps its eval-mode behaviour
}

TEST(MethodFactory, BackboneCountExcludesWhatAMethodAdds) {
  Tiny tiny;
  const int64_t before = core::methods::count_parameters(*tiny.model);
  auto lora = attach(tiny, "lora", {{"rank", 2}, {"targets", {"c_attn"}}});
  EXPECT_EQ(lora.backbone_parameters, before);
  EXPECT_EQ(lora.trainable_parameters(), 2 * 16 + 2 * 48);  // A [r,in] + B [out,r] on the one c_attn
}

TEST(MethodFactory, TemplateKeepsSoftRunsOnlyForInputPrompts) {
  Tiny a, b;
  const std::string t = "{soft:4} {text} It was {mask}";
  EXPECT_EQ(template_for_method(attach(a, "prompt_tuning"), t), t);
  EXPECT_EQ(template_for_method(attach(b, "p_tuning_v2"), t), "{text} It was {mask}");
}

TEST(MethodFactory, BadSettingsAreInputErrors) {
  Tiny tiny;
  EXPECT_THROW(attach(tiny, "lorra"), InputError);
  EXPECT_THROW(attach(tiny, "linear_probe", {{"rank", 2}}), InputError);
  EXPECT_THROW(attach(tiny, "prompt_tuning", {{"num_tokens", 8}}), InputError);  // template says {soft:4}
  auto t = tiny.target();
  t.num_input_tokens = 0;
  EXPECT_THROW(attach_method({"prompt_tuning", nlohmann::json::object()}, t), InputError);
  EXPECT_THROW(attach_method({"prompt_tuning", nlohmann::json::array()}, tiny.target()), InputError);
}

// The prompt-facing API: EOT-truncated text forward == full forward, slot injection shapes, the EOT followed
// through insertion, gradients reaching only prompts, key/value and layer slots, input validation.
#include <gtest/gtest.h>

#include <iostream>

#include "clip_test_util.h"
#include "core/errors.h"

namespace softprompt::test {
namespace {

using models::clip::ClipModel;
using models::clip::TextOptions;

class ClipSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = models::clip::load_clip(fixture("clip_multihead/hf")).model;
    auto io = core::io::load_safetensors(fixture("clip_multihead/io.safetensors"));
    ids_ = io.at("input_ids");
    pixels_ = io.at("pixel_values");
  }
  ClipModel model_{nullptr};
  at::Tensor ids_, pixels_;
  core::NoPrompts none_;
};

TEST_F(ClipSlotsTest, TruncatedTextEqualsFullLength) {
  torch::NoGradGuard no_grad;
  auto ids = ids_.narrow(0, 0, 2);  // EOT at 6 and 21: the truncated run stops at 22 of 77 positions
  TextOptions full, cut;
  full.truncate = false;
  auto a = model_->encode_text(ids, none_, full);
  auto b = model_->encode_text(ids, none_, cut);
  EXPECT_EQ(a.last_hidden_state.size(1), 77);
  EXPECT_EQ(b.last_hidden_state.size(1), 22);
  EXPECT_TRUE(torch::equal(a.eot_index, b.eot_index));
  const double pooled = max_abs_diff(a.pooled, b.pooled);
  // Positions up to each row's EOT agree (after it the truncated run masks the padding: never read).
  auto upto = b.mask.unsqueeze(2).to(torch::kFloat);
  const double hidden = max_abs_diff(a.last_hidden_state.narrow(1, 0, 22) * upto, b.last_hidden_state * upto);
  std::cout << "[eot-truncation] pooled max_abs_diff " << pooled << ", hidden up to EOT " << hidden << "\n";
  EXPECT_LE(pooled, 1e-6);
  EXPECT_LE(hidden, 1e-6);
  // And against the reference pooled output.
  auto io = core::io::load_safetensors(fixture("clip_multihead/io.safetensors"));
  EXPECT_TRUE(torch::allclose(b.pooled, io.at("text_pooler_output").narrow(0, 0, 2), 1e-4, 1e-4));
}

TEST_F(ClipSlotsTest, TextPromptsFollowTheEot) {
  torch::NoGradGuard no_grad;
  const int64_t p = 4, d = model_->hidden_size();
  auto prompt = torch::randn({p, d});
  OnePrompt after_sot("text", prompt, /*at=*/1);
  auto ids = ids_.narrow(0, 0, 2);
  auto got = model_->encode_text(ids, after_sot, {});
  EXPECT_EQ(got.last_hidden_state.size(1), 22 + p);
  EXPECT_TRUE(torch::equal(got.eot_index, torch::tensor({6 + p, 21 + p})));
  // The same sequence built by hand, pooled at the shifted EOT given explicitly, full length.
  auto tok = model_->embed(ids);
  auto manual = torch::cat({tok.narrow(1, 0, 1), prompt.unsqueeze(0).expand({2, p, d}), tok.narrow(1, 1, 77 - p - 1)}, 1);
  TextOptions full;
  full.truncate = false;
  auto want = model_->encode_text(core::SlotInput{manual, {}}, torch::tensor({6 + p, 21 + p}), none_, full);
  EXPECT_LE(max_abs_diff(got.pooled, want.pooled), 1e-5);
  // A full-length forward cannot follow an insertion: clear error.
  EXPECT_THROW(model_->encode_text(ids, after_sot, full), InputError);
  // Too long for the context after insertion: the 75-token row has its EOT at 76.
  EXPECT_THROW(model_->encode_text(ids_, after_sot, {}), InputError);
}

// A padded (masked) prompt position, as a per-sample bank makes for a shorter prompt: the row must equal
// the shorter prompt run alone (positions follow the mask, the hole is never attended to).
TEST_F(ClipSlotsTest, MaskedPromptPositionsAreInvisible) {
  torch::NoGradGuard no_grad;
  auto prompt = torch::randn({4, model_->hidden_size()});
  OnePrompt padded("text", prompt, 1, torch::tensor({1, 1, 1, 0}, torch::kLong));
  OnePrompt alone("text", prompt.narrow(0, 0, 3), 1);
  auto a = model_->encode_text(ids_.narrow(0, 0, 2), padded, {});
  auto b = model_->encode_text(ids_.narrow(0, 0, 2), alone, {});
  EXPECT_TRUE(torch::equal(a.eot_index, b.eot_index + 1));
  EXPECT_LE(max_abs_diff(a.pooled, b.pooled), 1e-5);
}

TEST_F(ClipSlotsTest, GradientsReachOnlyPrompts) {
  const int64_t d = model_->hidden_size();
  auto text_prompt = torch::randn({3, d}, torch::requires_grad());
  auto vision_prompt = torch::randn({2, model_->config().vision.hidden_size}, torch::requires_grad());
  struct Both : core::PromptInjector {
    OnePrompt t, v;
    Both(at::Tensor a, at::Tensor b) : t("text", a, 1), v("vision", b, 1) {}
    core::SlotInput at_slot(const std::string& s, core::SlotInput x) override {
      return v.at_slot(s, t.at_slot(s, std::move(x)));
    }
    std::optional<core::KV> kv_at(const std::string&, int64_t) override { return std::nullopt; }
  } prompts(text_prompt, vision_prompt);
  auto out = model_->forward(pixels_, ids_.narrow(0, 0, 2), prompts);
  EXPECT_EQ(out.vision.last_hidden_state.size(1), 17 + 2);
  EXPECT_EQ(out.logits_per_image.sizes(), at::IntArrayRef({2, 2}));
  out.logits_per_image.logsumexp(1).sum().backward();
  ASSERT_TRUE(text_prompt.grad().defined());
  ASSERT_TRUE(vision_prompt.grad().defined());
  EXPECT_GT(text_prompt.grad().abs().sum().item<double>(), 0);
  EXPECT_GT(vision_prompt.grad().abs().sum().item<double>(), 0);
  for (const auto& p : model_->named_parameters()) {
    EXPECT_FALSE(p.value().requires_grad()) << p.key();
    EXPECT_FALSE(p.value().grad().defined()) << p.key();
  }
}

TEST_F(ClipSlotsTest, LayerSlots) {
  torch::NoGradGuard no_grad;
  auto base = model_->encode_text(ids_, none_, {});
  OnePrompt deep("text.layer.1", torch::randn({2, model_->hidden_size()}), /*at=*/1);
  auto got = model_->encode_text(ids_, deep, {});
  EXPECT_EQ(got.last_hidden_state.sizes(), base.last_hidden_state.sizes());
  EXPECT_GT(max_abs_diff(got.pooled, base.pooled), 1e-3);
  // Text layer slots must keep the length (the EOT index is fixed by then); vision ones may grow.
  struct Grow : core::PromptInjector {
    std::string slot;
    explicit Grow(std::string s) : slot(std::move(s)) {}
    core::SlotInput at_slot(const std::string& s, core::SlotInput x) override {
      if (s != slot) return x;
      return {torch::cat({x.embeds, x.embeds.narrow(1, 0, 1)}, 1), torch::cat({x.mask, x.mask.narrow(1, 0, 1)}, 1)};
    }
    std::optional<core::KV> kv_at(const std::string&, int64_t) override { return std::nullopt; }
  };
  Grow grow_text("text.layer.1"), grow_vision("vision.layer.1");
  EXPECT_THROW(model_->encode_text(ids_, grow_text, {}), InputError);
  EXPECT_EQ(model_->encode_image(pixels_, grow_vision).last_hidden_state.size(1), 18);
  // Vision deep prompts replace hidden states after the class token.
  auto vbase = model_->encode_image(pixels_, none_);
  OnePrompt vdeep("vision.layer.1", torch::randn({3, model_->config().vision.hidden_size}), 1);
  auto v = model_->encode_image(pixels_, vdeep);
  EXPECT_EQ(v.last_hidden_state.size(1), 17);
  EXPECT_GT(max_abs_diff(v.pooled, vbase.pooled), 1e-3);
}

TEST_F(ClipSlotsTest, KeyValueSlots) {
  torch::NoGradGuard no_grad;
  const int64_t d = model_->hidden_size(), p = 5;
  struct Prefix : core::PromptInjector {
    at::Tensor key, value, mask;
    core::SlotInput at_slot(const std::string&, core::SlotInput x) override { return x; }
    std::optional<core::KV> kv_at(const std::string& s, int64_t b) override {
      if (s != "text.kv.0" && s != "vision.kv.1") return std::nullopt;
      return core::KV{key.expand({b, -1, -1}), value.expand({b, -1, -1}), mask.expand({b, -1})};
    }
  } prefix;
  prefix.key = torch::randn({1, p, d});
  prefix.value = torch::randn({1, p, d});
  prefix.mask = torch::ones({1, p}, torch::kLong);
  auto base = model_->forward(pixels_, ids_, none_);
  auto with = model_->forward(pixels_, ids_, prefix);
  EXPECT_GT(max_abs_diff(with.text.pooled, base.text.pooled), 1e-3);
  EXPECT_GT(max_abs_diff(with.vision.pooled, base.vision.pooled), 1e-3);
  // Fully masked prefix keys have no effect.
  prefix.mask = torch::zeros({1, p}, torch::kLong);
  auto masked = model_->forward(pixels_, ids_, prefix);
  EXPECT_LE(max_abs_diff(masked.text.pooled, base.text.pooled), 1e-6);
  EXPECT_LE(max_abs_diff(masked.vision.pooled, base.vision.pooled), 1e-6);
}

TEST_F(ClipSlotsTest, BackboneInterface) {
  torch::NoGradGuard no_grad;
  models::Backbone& backbone = *model_;
  auto slots = backbone.slots();
  EXPECT_EQ(slots.size(), 2u * (1 + 2 * 2));
  for (const char* s : {"text", "text.layer.0", "text.kv.1", "vision", "vision.layer.1", "vision.kv.0"})
    EXPECT_NE(std::find(slots.begin(), slots.end(), s), slots.end()) << s;
  EXPECT_EQ(backbone.hidden_size(), 32);
  EXPECT_EQ(backbone.num_layers(), 2);
  models::ForwardOptions opt;
  opt.output_hidden_states = true;
  auto x = core::SlotInput{backbone.embed(ids_), torch::ones_like(ids_)};
  auto out = backbone.forward_slots(x, none_, opt);
  auto io = core::io::load_safetensors(fixture("clip_multihead/io.safetensors"));
  EXPECT_TRUE(torch::allclose(out.last_hidden_state, io.at("text_last_hidden_state"), 1e-4, 1e-4));
  EXPECT_EQ(out.hidden_states.size(), 3u);
}

TEST_F(ClipSlotsTest, BadInputs) {
  EXPECT_THROW(model_->encode_image(torch::zeros({1, 3, 31, 32}), none_), InputError);
  EXPECT_THROW(model_->encode_image(torch::zeros({1, 3, 32, 32}, torch::kLong), none_), InputError);
  EXPECT_THROW(model_->encode_text(torch::full({1, 5}, 512, torch::kLong), none_, {}), InputError);
  EXPECT_THROW(model_->encode_text(torch::zeros({5}, torch::kLong), none_, {}), InputError);
  TextOptions o;
  o.attention_mask = torch::ones({2, 3}, torch::kLong);
  EXPECT_THROW(model_->encode_text(ids_, none_, o), InputError);
}

}  // namespace
}  // namespace softprompt::test

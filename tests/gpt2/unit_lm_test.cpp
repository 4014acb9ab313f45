// The unit LM (models/unit_lm): a GPT-2 over acoustic units with "units" slots, saved and loaded in GPT-2's
// HF layout, driven by the core PromptSet (input + key/value prompts, as SpeechPrompt uses it).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/methods/soft_prompt.h"
#include "core/prompt_set.h"
#include "gpt2_test_util.h"
#include "models/gpt2/prefix_cache.h"
#include "models/gpt2/saver.h"
#include "models/unit_lm/model.h"

namespace core = softprompt::core;
namespace gpt2 = softprompt::models::gpt2;
namespace unit_lm = softprompt::models::unit_lm;
using gpt2_test::max_diff;
using gpt2_test::TempDir;

namespace {

unit_lm::Config tiny_config() {
  unit_lm::Config c;
  c.name = "tiny-unit-lm";
  c.num_units = 20;
  c.num_extra_tokens = 2;
  c.n_positions = 48;
  c.n_embd = 32;
  c.n_layer = 2;
  c.n_head = 4;
  return c;
}

core::methods::SoftPrompt soft(int64_t p, int64_t d, uint64_t seed) {
  core::methods::SoftPromptOptions o;
  o.num_tokens = p;
  o.dim = d;
  o.seed = seed;
  return core::methods::SoftPrompt(o);
}

// Two rows of units, the second right-padded with pad ids (mask 0).
std::pair<torch::Tensor, torch::Tensor> unit_batch(const unit_lm::Config& c) {
  torch::Tensor ids = torch::randint(0, c.num_units, {2, 9}, torch::kLong);
  ids.index_put_({1, torch::indexing::Slice(6)}, c.pad_id());
  torch::Tensor mask = torch::ones({2, 9}, torch::kLong);
  mask.index_put_({1, torch::indexing::Slice(6)}, 0);
  return {ids, mask};
}

}  // namespace

TEST(UnitLm, VocabularyLayoutAndSlots) {
  const unit_lm::Config c = tiny_config();
  EXPECT_EQ(c.bos_id(), 20);
  EXPECT_EQ(c.eos_id(), 21);
  EXPECT_EQ(c.pad_id(), 22);
  EXPECT_EQ(c.vocab_size(), 25);
  gpt2::Model model = unit_lm::build(c);
  EXPECT_EQ(model->vocab_size(), 25);
  const auto slots = model->slots();
  ASSERT_EQ(slots.size(), 5u);
  EXPECT_EQ(slots[0], "units");
  EXPECT_EQ(slots[1], "units.layer.0");
  EXPECT_EQ(slots[4], "units.kv.1");
}

TEST(UnitLm, SaveLoadGivesIdenticalLogitsAndConfig) {
  torch::manual_seed(0);
  const unit_lm::Config c = tiny_config();
  gpt2::Model model = unit_lm::build(c);
  TempDir dir;
  unit_lm::save_pretrained(*model, c, dir.path("lm"));
  EXPECT_TRUE(unit_lm::is_unit_lm_dir(dir.path("lm")));
  gpt2::Model loaded = unit_lm::load_pretrained(dir.path("lm"));
  const unit_lm::Config back = unit_lm::read_config(dir.path("lm"));
  EXPECT_EQ(back.num_units, 20);
  EXPECT_EQ(back.num_extra_tokens, 2);
  EXPECT_EQ(back.name, "tiny-unit-lm");
  EXPECT_EQ(loaded->slots(), model->slots());
  EXPECT_FALSE(loaded->wte->weight.requires_grad());  // frozen by default
  torch::NoGradGuard no_grad;
  auto [ids, mask] = unit_batch(c);
  const auto a = model->lm_logits(model->forward(ids, mask).last_hidden_state);
  const auto b = loaded->lm_logits(loaded->forward(ids, mask).last_hidden_state);
  EXPECT_EQ(max_diff(a, b), 0.0);
  // The directory is still a GPT-2 one: the plain GPT-2 loader reads it (slots then named "text").
  EXPECT_EQ(gpt2::load_pretrained(dir.path("lm"))->slots()[0], "text");
}

TEST(UnitLm, RejectsPlainGpt2AndMismatchedConfigs) {
  torch::manual_seed(1);
  TempDir dir;
  gpt2::Model plain(tiny_config().to_gpt2());
  gpt2::save_pretrained(*plain, dir.path("plain"));
  EXPECT_FALSE(unit_lm::is_unit_lm_dir(dir.path("plain")));
  EXPECT_THROW(unit_lm::load_pretrained(dir.path("plain")), softprompt::InputError);
  unit_lm::Config other = tiny_config();
  other.num_units = 30;
  EXPECT_THROW(unit_lm::save_pretrained(*plain, other, dir.path("x")), softprompt::InputError);
  // A config.json whose num_units disagrees with vocab_size names the mismatch.
  unit_lm::save_pretrained(*unit_lm::build(tiny_config()), tiny_config(), dir.path("lm"));
  nlohmann::json json = nlohmann::json::parse(std::ifstream(dir.path("lm/config.json")));
  json["num_units"] = 21;
  std::ofstream(dir.path("lm/config.json")) << json.dump();
  try {
    unit_lm::load_pretrained(dir.path("lm"));
    FAIL() << "expected an InputError";
  } catch (const softprompt::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("do not match num_units 21"), std::string::npos) << e.what();
  }
}

// SpeechPrompt's prompts: input prompts at "units" and key/value prompts at every "units.kv.i", placed by
// the core PromptSet; a row run alone equals the batched row, and the prompts change the output.
TEST(UnitLm, InputAndKeyValuePromptsThroughPromptSet) {
  torch::manual_seed(2);
  const unit_lm::Config c = tiny_config();
  gpt2::Model model = unit_lm::build(c);
  for (auto& p : model->parameters()) p.set_requires_grad(false);
  auto input = soft(3, 32, 1), k0 = soft(2, 32, 2), v0 = soft(2, 32, 3), k1 = soft(2, 32, 4), v1 = soft(2, 32, 5);
  core::PromptSet set;
  set->add_insert_slot("units", input.ptr(), core::InsertAt{});
  set->add_kv_slot("units.kv.0", std::make_shared<core::KvPairImpl>(k0.ptr(), v0.ptr()));
  set->add_kv_slot("units.kv.1", std::make_shared<core::KvPairImpl>(k1.ptr(), v1.ptr()));
  auto [ids, mask] = unit_batch(c);
  set->begin_batch({});
  const auto out = model->forward_slots({model->embed(ids), mask}, *set);
  ASSERT_EQ(out.last_hidden_state.sizes(), (at::IntArrayRef{2, 12, 32}));
  EXPECT_EQ(out.mask.sum(1)[1].item<int64_t>(), 3 + 6);
  set->begin_batch({});
  const auto alone = model->forward_slots({model->embed(ids.slice(0, 0, 1)), mask.slice(0, 0, 1)}, *set);
  EXPECT_LT(max_diff(alone.last_hidden_state[0], out.last_hidden_state[0]), 1e-5);
  core::NoPrompts none;
  const auto plain = model->forward_slots({model->embed(ids), mask}, none);
  EXPECT_GT(max_diff(out.last_hidden_state.slice(1, 3), plain.last_hidden_state), 1e-3);
}

TEST(UnitLm, PrefixCacheServesUnitsKvSlots) {
  torch::manual_seed(3);
  gpt2::Model model = unit_lm::build(tiny_config());
  torch::NoGradGuard no_grad;
  const torch::Tensor prompt = torch::randn({4, 32}) * 0.3;
  gpt2::PrefixCache cache(*model, prompt);
  EXPECT_TRUE(cache.kv_at("units.kv.1", 2).has_value());
  EXPECT_FALSE(cache.kv_at("text.kv.1", 2).has_value());
  auto [ids, mask] = unit_batch(tiny_config());
  gpt2_test::PrependInjector prepend(prompt, "units");
  const auto reference = model->forward_slots({model->embed(ids), mask}, prepend).last_hidden_state.slice(1, 4);
  softprompt::models::ForwardOptions opts;
  opts.position_ids = cache.position_ids(mask);
  const auto cached = model->forward_slots({model->embed(ids), mask}, cache, opts).last_hidden_state;
  EXPECT_LT(gpt2_test::max_diff_where(cached, reference, mask), 1e-5);
}

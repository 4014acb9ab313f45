// SpeechPrompt on a tiny random GPT-2 (the method is modality-agnostic; the unit LM is the same model with the
// slot prefix "units"): slots it configures, the learnable verbalizer's start equals the fixed one, deep
// prompts reach the output and get gradients while the backbone stays frozen, state round trip, bad options.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "core/methods/speech_prompt.h"
#include "models/gpt2/model.h"
#include "models/weights/strict_loader.h"

using namespace softprompt;
using core::methods::SpeechPrompt;
using core::methods::SpeechPromptInit;
using core::methods::SpeechPromptOptions;
using core::methods::VerbalizerKind;

namespace {

models::gpt2::Model tiny_lm() {
  torch::manual_seed(0);
  models::gpt2::Config c;
  c.vocab_size = 40;
  c.n_positions = 32;
  c.n_embd = 16;
  c.n_layer = 2;
  c.n_head = 2;
  c.bos_token_id = c.eos_token_id = 39;
  models::gpt2::Model m(c);
  models::weights::freeze(*m);
  return m;
}

SpeechPromptOptions options(const models::gpt2::Model& m, VerbalizerKind v) {
  SpeechPromptOptions o;
  o.modality = "text";
  o.input.num_tokens = 3;
  o.input.dim = m->hidden_size();
  o.input.init = core::methods::PromptInit::kVocab;
  o.input.seed = 5;
  o.deep_tokens = 2;
  o.num_layers = m->num_layers();
  o.verbalizer = v;
  o.label_units = {4, 9, 17};
  return o;
}

SpeechPromptInit init_for(const models::gpt2::Model& m, const SpeechPromptOptions& o) {
  SpeechPromptInit in;
  in.input.embedding = m->wte->weight.detach();
  in.label_embeddings = m->lm_head_weight().index_select(0, torch::tensor(o.label_units)).detach();
  return in;
}

// Runs ids [B,T] with the prompt (input prompt as a prefix via a template placement) -> last hidden [B,D].
at::Tensor last_hidden(models::gpt2::Model& m, SpeechPrompt& sp, const at::Tensor& ids) {
  const int64_t B = ids.size(0), P = sp->options().input.num_tokens, T = ids.size(1);
  auto full = torch::cat({torch::zeros({B, P}, torch::kLong), ids}, 1);  // [B,P+T]
  core::PlacedBatch placed;
  placed.attention_mask = torch::ones_like(full);
  placed.soft_index = torch::cat({torch::arange(P).expand({B, P}), torch::full({B, T}, -1L)}, 1);
  placed.num_soft = P;
  sp->prompts->begin_batch(at::Tensor(), {{"text", &placed}});
  const auto out = m->forward_slots({m->embed(full), placed.attention_mask}, *sp->prompts);
  return out.last_hidden_state.select(1, P + T - 1);
}

}  // namespace

TEST(SpeechPrompt, ConfiguresTheInputSlotAndEveryKeyValueSlot) {
  auto m = tiny_lm();
  const auto o = options(m, VerbalizerKind::kFixed);
  SpeechPrompt sp(o, init_for(m, o));
  EXPECT_EQ(sp->prompts->slots(), (std::vector<std::string>{"text", "text.kv.0", "text.kv.1"}));
  EXPECT_FALSE(sp->verbalizer);
  const auto state = sp->trainable_state();
  // input [3,16] + 2 layers x (key, value) [2,16]
  ASSERT_EQ(state.size(), 5u);
  EXPECT_EQ(state.at("prompts.text.prompt_embeddings").sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(state.at("prompts.text_kv_1.value.prompt_embeddings").sizes(), (std::vector<int64_t>{2, 16}));
  EXPECT_TRUE(torch::equal(sp->label_ids(), torch::tensor({4L, 9L, 17L})));
}

TEST(SpeechPrompt, LearnableVerbalizerStartsAsTheFixedOneAndTrainsWithThePrompts) {
  auto m = tiny_lm();
  const auto o = options(m, VerbalizerKind::kLearnable);
  SpeechPrompt sp(o, init_for(m, o));
  const auto ids = torch::randint(0, 30, {4, 6}, torch::kLong);
  const auto h = last_hidden(m, sp, ids);
  const auto fixed = m->lm_logits(h, sp->label_ids());  // [4,3]
  const auto learned = sp->verbalizer->forward(h);      // [4,3]
  EXPECT_TRUE(torch::allclose(fixed, learned, 1e-5, 1e-6));

  torch::nn::functional::cross_entropy(learned, torch::tensor({0L, 1L, 2L, 0L})).backward();
  for (const auto& [name, t] : sp->trainable_state()) {
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_GT(t.grad().abs().sum().item<double>(), 0) << name;  // every prompt layer and the head learn
  }
  for (const auto& p : m->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(SpeechPrompt, DeepPromptsChangeTheOutputAndStateRoundTrips) {
  auto m = tiny_lm();
  auto o = options(m, VerbalizerKind::kLearnable);
  SpeechPrompt a(o, init_for(m, o));
  o.input.seed = 6;
  SpeechPrompt b(o, init_for(m, o));
  const auto ids = torch::randint(0, 30, {2, 5}, torch::kLong);
  {
    torch::NoGradGuard ng;
    b->prompts->named_parameters()["text_kv_0.key.prompt_embeddings"].mul_(3);
  }
  EXPECT_FALSE(torch::allclose(last_hidden(m, a, ids), last_hidden(m, b, ids)));
  b->load_state(a->trainable_state(), "a");
  EXPECT_TRUE(torch::equal(last_hidden(m, a, ids), last_hidden(m, b, ids)));

  auto missing = a->trainable_state();
  missing.erase("verbalizer.linear.bias");
  EXPECT_THROW(b->load_state(missing, "x"), InputError);
  auto wrong = a->trainable_state();
  wrong["prompts.text.prompt_embeddings"] = torch::zeros({4, 16});
  EXPECT_THROW(b->load_state(wrong, "x"), InputError);
}

TEST(SpeechPrompt, DeepPromptsStartFromGivenActivations) {
  auto m = tiny_lm();
  const auto o = options(m, VerbalizerKind::kFixed);
  auto in = init_for(m, o);
  in.deep = m->prefix_key_values(m->embed(torch::tensor({{1L, 2L}})));
  SpeechPrompt sp(o, in);
  EXPECT_TRUE(torch::allclose(sp->trainable_state().at("prompts.text_kv_1.key.prompt_embeddings"), in.deep[1].key[0]));
  in.deep.pop_back();
  EXPECT_THROW(SpeechPrompt(o, in), InputError);
}

TEST(SpeechPrompt, RejectsBadOptions) {
  auto m = tiny_lm();
  auto bad = [&](auto edit) {
    auto o = options(m, VerbalizerKind::kLearnable);
    edit(o);
    EXPECT_THROW(SpeechPrompt(o, init_for(m, options(m, VerbalizerKind::kLearnable))), InputError);
  };
  bad([](SpeechPromptOptions& o) { o.label_units = {4}; });
  bad([](SpeechPromptOptions& o) { o.label_units = {4, 4, 5}; });
  bad([](SpeechPromptOptions& o) { o.modality = "text.kv"; });
  bad([](SpeechPromptOptions& o) { o.num_layers = 0; });
  bad([](SpeechPromptOptions& o) { o.label_units = {4, 9}; });  // label embeddings are [3,D]
  bad([](SpeechPromptOptions& o) {
    o.input.num_tokens = 0;
    o.deep_tokens = 0;
    o.verbalizer = VerbalizerKind::kFixed;
  });
  EXPECT_THROW(core::methods::parse_verbalizer("linear"), InputError);
}

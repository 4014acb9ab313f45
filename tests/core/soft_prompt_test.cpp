// SoftPrompt options and initializations (Lester et al. 2021), and PromptBank.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "core/methods/prompt_bank.h"
#include "core/methods/soft_prompt.h"

using namespace softprompt;
using namespace softprompt::core::methods;

namespace {
SoftPromptOptions opts(int64_t P, int64_t D, PromptInit init) {
  SoftPromptOptions o;
  o.num_tokens = P;
  o.dim = D;
  o.init = init;
  return o;
}
// Index of the embedding row equal to v, or -1.
int64_t find_row(const at::Tensor& embedding, const at::Tensor& v) {
  for (int64_t i = 0; i < embedding.size(0); ++i)
    if (embedding[i].to(at::kFloat).equal(v)) return i;
  return -1;
}
}  // namespace

TEST(SoftPromptOptions, ValidateNamesTheOption) {
  auto throws_with = [](SoftPromptOptions o, const std::string& needle) {
    try {
      o.validate();
      ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  SoftPromptOptions o = opts(4, 8, PromptInit::kRandomUniform);
  EXPECT_NO_THROW(o.validate());
  o.num_tokens = 0;
  throws_with(o, "num_tokens");
  o = opts(4, 0, PromptInit::kRandomUniform);
  throws_with(o, "dim");
  o = opts(4, 8, PromptInit::kRandomUniform);
  o.init_range = -1;
  throws_with(o, "init_range");
  o.init_range = std::nan("");
  throws_with(o, "init_range");
  o = opts(4, 8, PromptInit::kVocab);
  o.vocab_top_n = -3;
  throws_with(o, "vocab_top_n");
  throws_with(opts(4, 8, PromptInit::kText), "init_text");
  EXPECT_EQ(parse_prompt_init("labels"), PromptInit::kLabels);
  for (auto i : {PromptInit::kRandomUniform, PromptInit::kVocab, PromptInit::kText, PromptInit::kLabels})
    EXPECT_EQ(parse_prompt_init(to_string(i)), i);
  EXPECT_THROW(parse_prompt_init("sampled"), InputError);
}

TEST(SoftPrompt, RandomUniformIsSeededFp32Parameter) {
  SoftPromptOptions o = opts(5, 6, PromptInit::kRandomUniform);
  o.init_range = 0.25;
  o.seed = 7;
  SoftPrompt a(o), b(o);
  EXPECT_EQ(a->weight.sizes(), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(a->weight.scalar_type(), at::kFloat);
  EXPECT_TRUE(a->weight.requires_grad());
  EXPECT_TRUE(a->weight.equal(b->weight));
  EXPECT_LE(a->weight.abs().max().item<float>(), 0.25f);
  EXPECT_GT(a->weight.std().item<float>(), 0.05f);
  o.seed = 8;
  EXPECT_FALSE(SoftPrompt(o)->weight.equal(a->weight));
  const auto params = a->named_parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params.begin()->key(), "prompt_embeddings");
  EXPECT_TRUE(a->forward().is_same(a->weight));
  const auto sel = a->select(torch::tensor({0, 0, 0}, at::kLong));
  EXPECT_EQ(sel.vectors.sizes(), (std::vector<int64_t>{3, 5, 6}));
  EXPECT_TRUE(sel.mask.equal(at::ones({3, 5}, at::kLong)));
}

TEST(SoftPrompt, VocabSamplesDistinctRowsAmongTopN) {
  const at::Tensor emb = at::randn({50, 4}).to(at::kBFloat16);  // the backbone's dtype does not leak in
  SoftPromptOptions o = opts(8, 4, PromptInit::kVocab);
  o.vocab_top_n = 10;
  o.seed = 3;
  SoftPrompt p(o, PromptInitInputs{emb});
  EXPECT_EQ(p->weight.scalar_type(), at::kFloat);
  std::set<int64_t> ids;
  for (int64_t k = 0; k < 8; ++k) {
    const int64_t id = find_row(emb, p->weight[k].detach());
    EXPECT_GE(id, 0);
    EXPECT_LT(id, 10);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 8u);  // without replacement
  // Modifying the prompt never touches the frozen matrix (a copy, not a view).
  const at::Tensor before = emb.clone();
  torch::NoGradGuard g;
  p->weight.add_(1);
  EXPECT_TRUE(emb.equal(before));
  // More tokens than candidates: with replacement.
  o.num_tokens = 30;
  SoftPrompt many(o, PromptInitInputs{emb});
  for (int64_t k = 0; k < 30; ++k) EXPECT_LT(find_row(emb, many->weight[k].detach()), 10);
  o.vocab_top_n = 51;
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb}), InputError);
  o.vocab_top_n = 0;
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{}), InputError);                    // no embedding matrix
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{at::randn({50, 5})}), InputError);  // wrong width
}

TEST(SoftPrompt, TextRepeatsOrTruncates) {
  const at::Tensor emb = at::randn({20, 3});
  SoftPromptOptions o = opts(5, 3, PromptInit::kText);
  o.init_text = "classify the sentiment";
  SoftPrompt rep(o, PromptInitInputs{emb, {4, 9}});
  const std::vector<int64_t> want = {4, 9, 4, 9, 4};
  for (int64_t k = 0; k < 5; ++k) EXPECT_TRUE(rep->weight[k].detach().equal(emb[want[k]])) << k;
  SoftPrompt cut(o, PromptInitInputs{emb, {1, 2, 3, 4, 5, 6, 7}});
  for (int64_t k = 0; k < 5; ++k) EXPECT_TRUE(cut->weight[k].detach().equal(emb[k + 1])) << k;
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb, {}}), InputError);
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb, {3, 20}}), InputError);
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb, {-1}}), InputError);
}

TEST(SoftPrompt, LabelsAreMeanLabelEmbeddingsThenVocab) {
  const at::Tensor emb = at::randn({30, 4});
  SoftPromptOptions o = opts(4, 4, PromptInit::kLabels);
  o.vocab_top_n = 5;
  SoftPrompt p(o, PromptInitInputs{emb, {}, {{7}, {8, 9, 10}}});
  EXPECT_TRUE(p->weight[0].detach().allclose(emb[7]));
  EXPECT_TRUE(p->weight[1].detach().allclose((emb[8] + emb[9] + emb[10]) / 3));
  for (int64_t k = 2; k < 4; ++k) {
    const int64_t id = find_row(emb, p->weight[k].detach());
    EXPECT_TRUE(id >= 0 && id < 5) << id;
  }
  // More labels than tokens: the first P labels.
  o.num_tokens = 1;
  EXPECT_TRUE(SoftPrompt(o, PromptInitInputs{emb, {}, {{3}, {4}}})->weight[0].detach().equal(emb[3]));
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb, {}, {}}), InputError);
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb, {}, {{}}}), InputError);
  EXPECT_THROW(SoftPrompt(o, PromptInitInputs{emb, {}, {{30}}}), InputError);
}

TEST(PromptBank, PadsMasksAndSelectsByGather) {
  const at::Tensor a = at::randn({2, 3}), b = at::randn({4, 3}), c = at::randn({1, 3}).to(at::kHalf);
  PromptBank bank(std::vector<std::string>{"a", "b", "c"}, std::vector<at::Tensor>{a, b, c});
  EXPECT_EQ(bank->weight.sizes(), (std::vector<int64_t>{3, 4, 3}));
  EXPECT_EQ(bank->weight.scalar_type(), at::kFloat);
  EXPECT_EQ(bank->length(), 4);
  EXPECT_EQ(bank->num_prompts(), 3);
  EXPECT_TRUE(bank->prompt(0).equal(a));
  EXPECT_TRUE(bank->prompt(2).equal(c.to(at::kFloat)));
  const at::Tensor rows = bank->rows_for({"c", "a", "a", "b"});
  EXPECT_TRUE(rows.equal(torch::tensor({2, 0, 0, 1}, at::kLong)));
  const auto sel = bank->select(rows);
  EXPECT_TRUE(sel.mask.equal(torch::tensor({1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1}, at::kLong).view({4, 4})));
  EXPECT_TRUE(sel.vectors[1].slice(0, 0, 2).equal(a));
  EXPECT_TRUE(sel.vectors[3].equal(b));
  // Gradients reach the selected prompts only (a twice, b once, c once).
  sel.vectors.sum().backward();
  EXPECT_TRUE(bank->weight.grad()[0].slice(0, 0, 2).equal(at::full({2, 3}, 2.f)));
  EXPECT_TRUE(bank->weight.grad()[1].equal(at::ones({4, 3})));
  EXPECT_THROW(bank->rows_for({"d"}), InputError);
  EXPECT_THROW(PromptBank(std::vector<std::string>{"a", "a"}, std::vector<at::Tensor>{a, a}), InputError);
  EXPECT_THROW(PromptBank(std::vector<std::string>{"a", "b"}, std::vector<at::Tensor>{a, at::randn({2, 4})}), InputError);
  EXPECT_THROW(PromptBank(std::vector<std::string>{"a"}, std::vector<at::Tensor>{a, b}), InputError);
  EXPECT_THROW(PromptBank(std::vector<std::string>{}, std::vector<at::Tensor>{}), InputError);
  EXPECT_THROW(PromptBank(std::vector<std::string>{""}, std::vector<at::Tensor>{a}), InputError);
}

// PromptSet: slots of every kind, per-sample selection (a row's result equals its prompt alone, through a tiny
// causal transformer that uses the slot contract), gradients reaching prompts only, dtypes, bad configuration.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <regex>
#include <sstream>

#include "core/errors.h"
#include "core/methods/prompt_bank.h"
#include "core/methods/soft_prompt.h"
#include "core/placement.h"
#include "core/prompt_set.h"

using namespace softprompt;
using namespace softprompt::core;
using methods::PromptBank;
using methods::SoftPrompt;

namespace {

constexpr int64_t kD = 8, kVocab = 20;

// Two causal single-head attention blocks over the slot contract: input slot "text", layer slot
// "text.layer.1" and key/value slots "text.kv.0/1". Position ids follow the mask after injection.
struct TinyLM {
  at::Tensor wte = at::randn({kVocab, kD}), wpe = at::randn({32, kD}) * 0.1;
  std::vector<at::Tensor> wq, wk, wv;
  TinyLM() {
    for (int i = 0; i < 2; ++i) {
      wq.push_back(at::randn({kD, kD}) / 3);
      wk.push_back(at::randn({kD, kD}) / 3);
      wv.push_back(at::randn({kD, kD}) / 3);
    }
  }
  // h [B,T,D], mask [B,T] -> [B,T,D]; kv keys/values are prepended and visible to every query.
  at::Tensor attend(const at::Tensor& h, const at::Tensor& mask, int i, const std::optional<KV>& kv) const {
    const int64_t T = h.size(1);
    at::Tensor k = h.matmul(wk[i]), v = h.matmul(wv[i]);
    at::Tensor allowed = at::ones({T, T}, at::kBool).tril().unsqueeze(0) & mask.to(at::kBool).unsqueeze(1);
    if (kv) {
      k = at::cat({kv->key.to(h.scalar_type()), k}, 1);
      v = at::cat({kv->value.to(h.scalar_type()), v}, 1);
      const at::Tensor kv_allowed = kv->mask.to(at::kBool).unsqueeze(1).expand({h.size(0), T, kv->mask.size(1)});
      allowed = at::cat({kv_allowed, allowed.expand({h.size(0), T, T})}, 2);
    }
    const at::Tensor scores = h.matmul(wq[i]).matmul(k.transpose(1, 2)) / std::sqrt(double(kD));
    return h + scores.masked_fill(~allowed, -1e9).softmax(-1).matmul(v);
  }
  // embeds [B,T,D], mask [B,T] -> hidden [B,T',D], mask [B,T'].
  SlotInput forward(SlotInput x, PromptInjector& p) const {
    x = p.at_slot("text", x);
    const int64_t B = x.embeds.size(0);
    at::Tensor h = x.embeds + wpe.index_select(0, position_ids_from_mask(x.mask).flatten()).view_as(x.embeds);
    h = attend(h, x.mask, 0, p.kv_at("text.kv.0", B));
    SlotInput l1 = p.at_slot("text.layer.1", {h, x.mask});
    return {attend(l1.embeds, l1.mask, 1, p.kv_at("text.kv.1", B)), l1.mask};
  }
  SlotInput embed(const std::vector<std::vector<int64_t>>& rows, PaddingSide side) const {
    int64_t T = 0;
    for (const auto& r : rows) T = std::max<int64_t>(T, r.size());
    at::Tensor ids = at::zeros({(int64_t)rows.size(), T}, at::kLong), mask = at::zeros_like(ids);
    for (size_t b = 0; b < rows.size(); ++b) {
      const int64_t s = side == PaddingSide::kLeft ? T - rows[b].size() : 0;
      for (size_t t = 0; t < rows[b].size(); ++t) {
        ids[b][s + t] = rows[b][t];
        mask[b][s + t] = 1;
      }
    }
    return {wte.index_select(0, ids.flatten()).view({ids.size(0), T, kD}), mask};
  }
};

// A row's real positions, in order: [n,D].
at::Tensor real(const SlotInput& out, int64_t b) {
  return out.embeds[b].index_select(0, out.mask[b].nonzero().flatten());
}

std::shared_ptr<PromptBank::Impl> bank(const std::vector<int64_t>& lengths, const std::string& tag) {
  std::vector<std::string> names;
  std::vector<at::Tensor> prompts;
  for (size_t i = 0; i < lengths.size(); ++i) {
    names.push_back(tag + std::to_string(i));
    prompts.push_back(at::randn({lengths[i], kD}));
  }
  return PromptBank(names, prompts).ptr();
}

// Prompt i of each source alone, as a bank of one.
std::shared_ptr<PromptBank::Impl> alone(const PromptBank::Impl& b, int64_t i) {
  return PromptBank(std::vector<std::string>{"only"}, std::vector<at::Tensor>{b.prompt(i).detach()}).ptr();
}

struct Banks {
  std::shared_ptr<PromptBank::Impl> input = bank({2, 4, 3}, "in"), layer = bank({2, 4, 3}, "l1"),
                                    key = bank({1, 3, 2}, "k"), value = bank({1, 3, 2}, "v");
};

const std::vector<std::vector<int64_t>> kTokens = {{3, 5, 7}, {11}, {2, 13}};
const std::vector<int64_t> kRowsSel = {2, 0, 1};

}  // namespace

TEST(PromptSet, PerSampleInsertEqualsEachPromptAlone) {
  torch::manual_seed(0);
  TinyLM lm;
  Banks banks;
  for (auto side : {PaddingSide::kRight, PaddingSide::kLeft}) {
    for (auto kind : {InsertAt::Kind::kPrefix, InsertAt::Kind::kSuffix}) {
      SCOPED_TRACE(std::string(side == PaddingSide::kLeft ? "left " : "right ") +
                   (kind == InsertAt::Kind::kPrefix ? "prefix" : "suffix"));
      PromptSet set;
      set->add_insert_slot("text", banks.input, {kind, 0});
      set->add_layer_slot("text.layer.1", banks.layer);
      set->add_kv_slot("text.kv.1", std::make_shared<KvPairImpl>(banks.key, banks.value));
      set->begin_batch(torch::tensor(kRowsSel, at::kLong));
      const SlotInput out = lm.forward(lm.embed(kTokens, side), *set);
      for (size_t b = 0; b < kTokens.size(); ++b) {
        const int64_t i = kRowsSel[b];
        PromptSet one;
        one->add_insert_slot("text", alone(*banks.input, i), {kind, 0});
        one->add_layer_slot("text.layer.1", alone(*banks.layer, i));
        one->add_kv_slot("text.kv.1", std::make_shared<KvPairImpl>(alone(*banks.key, i), alone(*banks.value, i)));
        const SlotInput ref = lm.forward(lm.embed({kTokens[b]}, side), *one);
        ASSERT_EQ(real(out, b).sizes(), ref.embeds[0].sizes()) << "row " << b;
        EXPECT_LT((real(out, b) - ref.embeds[0]).abs().max().item<float>(), 1e-5) << "row " << b;
      }
    }
  }
}

TEST(PromptSet, PerSampleTemplateEqualsEachPromptAlone) {
  torch::manual_seed(1);
  TinyLM lm;
  Banks banks;
  auto tokenize = [](const std::string& s) {
    std::vector<int64_t> ids;
    std::stringstream ss(s);
    for (int64_t id; ss >> id;) ids.push_back(id);
    return ids;
  };
  std::vector<TemplateRow> rows;
  for (const auto& r : kTokens) {
    std::string text;
    for (int64_t id : r) text += " " + std::to_string(id);
    rows.push_back({{"text", text.substr(1)}});
  }
  auto run = [&](PromptSet& set, const Template& t, const std::vector<TemplateRow>& rs, PaddingSide side,
                 const at::Tensor& sel) {
    PlaceOptions o;
    o.padding_side = side;
    o.bos_ids = {1};
    const PlacedBatch placed = place(t, rs, tokenize, o);
    set->begin_batch(sel, {{"text", &placed}});
    const SlotInput x{lm.wte.index_select(0, placed.input_ids.flatten()).view({placed.input_ids.size(0), -1, kD}),
                      placed.attention_mask};
    return lm.forward(x, *set);
  };
  for (auto side : {PaddingSide::kRight, PaddingSide::kLeft}) {
    for (const std::string form : {"{soft:N} {text}", "{text} {soft:N}"}) {
      auto tmpl = [&](int64_t n) { return Template::parse(std::regex_replace(form, std::regex("N"), std::to_string(n))); };
      SCOPED_TRACE(form + (side == PaddingSide::kLeft ? " left" : " right"));
      PromptSet set;
      set->add_template_slot("text", banks.input);
      set->add_layer_slot("text.layer.1", banks.layer);
      set->add_kv_slot("text.kv.0", std::make_shared<KvPairImpl>(banks.key, banks.value));
      const SlotInput out = run(set, tmpl(4), rows, side, torch::tensor(kRowsSel, at::kLong));
      for (size_t b = 0; b < rows.size(); ++b) {
        const int64_t i = kRowsSel[b];
        PromptSet one;
        one->add_template_slot("text", alone(*banks.input, i));
        one->add_layer_slot("text.layer.1", alone(*banks.layer, i));
        one->add_kv_slot("text.kv.0", std::make_shared<KvPairImpl>(alone(*banks.key, i), alone(*banks.value, i)));
        const SlotInput ref = run(one, tmpl(banks.input->prompt_length(i)), {rows[b]}, side, {});
        ASSERT_EQ(real(out, b).sizes(), ref.embeds[0].sizes()) << "row " << b;
        EXPECT_LT((real(out, b) - ref.embeds[0]).abs().max().item<float>(), 1e-5) << "row " << b;
      }
    }
  }
}

TEST(PromptSet, GradientsReachSelectedPromptsOnly) {
  torch::manual_seed(2);
  TinyLM lm;
  Banks banks;
  PromptSet set;
  set->add_insert_slot("text", banks.input, {InsertAt::Kind::kPrefix, 0});
  set->add_layer_slot("text.layer.1", banks.layer);
  set->add_kv_slot("text.kv.1", std::make_shared<KvPairImpl>(banks.key, banks.value));
  // Only prompt parameters, each once.
  const auto params = set->named_parameters();
  EXPECT_EQ(params.size(), 4u);
  EXPECT_EQ(set->prompt_parameters().size(), 4u);
  for (const auto& p : params) EXPECT_NE(p.key().find("prompt_embeddings"), std::string::npos) << p.key();
  set->begin_batch(torch::tensor({1, 1, 0}, at::kLong));  // prompt 2 unused
  const SlotInput out = lm.forward(lm.embed(kTokens, PaddingSide::kRight), *set);
  out.embeds.masked_select(out.mask.to(at::kBool).unsqueeze(-1)).sum().backward();
  for (const auto& b : {banks.input, banks.layer, banks.key, banks.value}) {
    const at::Tensor g = b->weight.grad();
    ASSERT_TRUE(g.defined());
    EXPECT_GT(g[0].slice(0, 0, b->prompt_length(0)).abs().sum().item<float>(), 0);
    EXPECT_GT(g[1].abs().sum().item<float>(), 0);
    EXPECT_EQ(g[2].abs().sum().item<float>(), 0);                                          // not selected
    EXPECT_EQ(g[0].slice(0, b->prompt_length(0)).abs().sum().item<float>(), 0);            // padding
  }
  EXPECT_FALSE(lm.wte.grad().defined());
}

TEST(PromptSet, SharedSoftPromptAndHalfPrecision) {
  torch::manual_seed(3);
  methods::SoftPromptOptions o;
  o.num_tokens = 3;
  o.dim = kD;
  SoftPrompt shared(o);
  PromptSet set;
  set->add_insert_slot("text", shared.ptr(), {InsertAt::Kind::kPrefix, 0});
  set->add_layer_slot("text.layer.1", shared.ptr());  // one source, two slots: registered once
  set->add_kv_slot("text.kv.0", std::make_shared<KvPairImpl>(shared.ptr(), shared.ptr()));
  EXPECT_EQ(set->prompt_parameters().size(), 1u);
  EXPECT_TRUE(set->prompt_parameters()[0].is_same(shared->weight));
  EXPECT_EQ(set->num_prompts(), 1);
  EXPECT_EQ(set->slots(), (std::vector<std::string>{"text", "text.kv.0", "text.layer.1"}));
  for (auto dtype : {at::kBFloat16, at::kHalf}) {
    set->begin_batch({});  // N = 1: every row uses the prompt
    const SlotInput x{at::randn({2, 4, kD}).to(dtype), at::ones({2, 4}, at::kLong)};
    const SlotInput y = set->at_slot("text", x);
    EXPECT_EQ(y.embeds.scalar_type(), dtype);
    EXPECT_EQ(y.embeds.sizes(), (std::vector<int64_t>{2, 7, kD}));
    const auto kv = set->kv_at("text.kv.0", 2);
    ASSERT_TRUE(kv.has_value());
    EXPECT_EQ(kv->key.scalar_type(), dtype);
    EXPECT_EQ(kv->key.sizes(), (std::vector<int64_t>{2, 3, kD}));
    const SlotInput z = set->at_slot("text.layer.1", y);
    y.embeds.to(at::kFloat).sum().backward();
    EXPECT_EQ(shared->weight.scalar_type(), at::kFloat);
    EXPECT_EQ(shared->weight.grad().scalar_type(), at::kFloat);
    EXPECT_EQ(z.embeds.scalar_type(), dtype);
  }
  // Unconfigured slots are the identity.
  const SlotInput x{at::randn({1, 2, kD}), at::ones({1, 2}, at::kLong)};
  EXPECT_TRUE(set->at_slot("vision", x).embeds.is_same(x.embeds));
  EXPECT_FALSE(set->kv_at("text.kv.5", 1).has_value());
}

TEST(PromptSet, BadConfigurationAndSelection) {
  Banks banks;
  PromptSet set;
  EXPECT_THROW(set->add_layer_slot("text", banks.layer), InputError);
  EXPECT_THROW(set->add_template_slot("text.layer.1", banks.input), InputError);
  EXPECT_THROW(set->add_kv_slot("text.layer.1", std::make_shared<KvPairImpl>(banks.key, banks.value)), InputError);
  EXPECT_THROW(set->add_template_slot("text.foo.1", banks.input), InputError);
  EXPECT_THROW(set->add_template_slot("text", nullptr), InputError);
  EXPECT_THROW(set->add_insert_slot("text", banks.input, {InsertAt::Kind::kPrefix, -1}), InputError);
  set->add_template_slot("text", banks.input);
  EXPECT_THROW(set->add_insert_slot("text", banks.input, {}), InputError);  // configured twice
  set->add_layer_slot("text.layer.1", banks.layer);
  EXPECT_THROW(std::make_shared<KvPairImpl>(banks.key, banks.input), InputError);  // shapes differ

  try {
    set->select(torch::tensor({0, 3}, at::kLong));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(set->select(torch::tensor({-1}, at::kLong)), InputError);
  EXPECT_THROW(set->select(at::zeros({2, 2}, at::kLong)), InputError);

  PlacedBatch wrong;
  wrong.num_soft = 3;  // the bank holds prompts of up to 4 vectors
  wrong.soft_index = at::full({1, 5}, -1, at::kLong);
  EXPECT_THROW(set->set_placement("text", wrong), InputError);
  EXPECT_THROW(set->set_placement("vision", wrong), InputError);
  wrong.num_soft = 4;
  wrong.soft_index = torch::tensor({0, 1, 2, 4, -1}, at::kLong).view({1, 5});
  EXPECT_THROW(set->set_placement("text", wrong), InputError);  // vector 4 of a 4-vector prompt

  set->begin_batch(torch::tensor({0}, at::kLong));
  const SlotInput x{at::randn({1, 5, kD}), at::ones({1, 5}, at::kLong)};
  EXPECT_THROW(set->at_slot("text", x), InputError);              // no placement for this batch
  EXPECT_THROW(set->at_slot("text.layer.1", x), c10::Error);      // before the input slot
  set->begin_batch(torch::tensor({0, 1}, at::kLong));
  PlacedBatch ok;
  ok.num_soft = 4;
  ok.soft_index = torch::tensor({0, 1, 2, 3, -1}, at::kLong).view({1, 5});
  set->set_placement("text", ok);
  EXPECT_THROW(set->at_slot("text", x), c10::Error);              // 2 rows selected, batch of 1
}

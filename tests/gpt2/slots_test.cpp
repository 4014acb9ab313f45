// GPT-2 slots and heads: gradients reach only the prompt, slot call order, key/value slots and the prefix
// cache against running the prefix through the model, verbalizer logits and the chunked loss against the
// plain ones.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gpt2_test_util.h"
#include "models/gpt2/lm_head.h"
#include "models/gpt2/loader.h"
#include "models/gpt2/prefix_cache.h"

using namespace softprompt;
using namespace softprompt::models;
using namespace gpt2_test;

namespace {

gpt2::Model fixture_model() {
  static gpt2::Model model = gpt2::load_pretrained(model_dir());
  return model;
}

// Records every slot the backbone passes; optionally serves one fixed KV at every key/value slot.
class RecordingInjector final : public core::PromptInjector {
 public:
  std::vector<std::string> calls;
  std::optional<core::KV> kv;
  core::SlotInput at_slot(const std::string& slot, core::SlotInput x) override {
    calls.push_back(slot);
    return x;
  }
  std::optional<core::KV> kv_at(const std::string& slot, int64_t batch) override {
    calls.push_back(slot);
    return kv;
  }
};

// A mixed batch: row 0 full, row 1 right-padded, row 2 left-padded.
std::pair<torch::Tensor, torch::Tensor> mixed_batch() {
  torch::Tensor ids = torch::randint(0, 999, {3, 6}, torch::kLong);
  torch::Tensor mask = torch::ones({3, 6}, torch::kLong);
  mask.index_put_({1, torch::indexing::Slice(4)}, 0);
  mask.index_put_({2, torch::indexing::Slice(0, 2)}, 0);
  return {ids.masked_fill(mask == 0, 999), mask};
}

}  // namespace

TEST(Gpt2Slots, GradientsReachOnlyThePrompt) {
  torch::manual_seed(0);
  auto model = fixture_model();
  auto f = io("io_right_pad.safetensors");
  torch::Tensor prompt = (torch::randn({4, 32}) * 0.1).requires_grad_();
  PrependInjector injector(prompt);
  auto out = model->forward_slots({model->embed(f["input_ids"]), f["attention_mask"]}, injector);
  torch::Tensor targets =
      torch::cat({torch::full({2, 4}, -100, torch::kLong), f["input_ids"]}, 1).roll(-1, 1);
  targets.select(1, 10).fill_(-100);
  model->lm_loss(out.last_hidden_state, targets).backward();
  ASSERT_TRUE(prompt.grad().defined());
  EXPECT_GT(prompt.grad().abs().sum().item<double>(), 0.0);
  for (const auto& p : model->named_parameters()) EXPECT_FALSE(p.value().grad().defined()) << p.key();
}

TEST(Gpt2Slots, CallOrder) {
  auto model = fixture_model();
  torch::NoGradGuard no_grad;
  RecordingInjector rec;
  model->forward_slots({model->embed(torch::zeros({1, 3}, torch::kLong)), {}}, rec);
  EXPECT_EQ(rec.calls,
            (std::vector<std::string>{"text", "text.layer.0", "text.kv.0", "text.layer.1", "text.kv.1"}));
}

TEST(Gpt2Slots, LayerSlotMayLengthenTheSequence) {
  torch::manual_seed(1);
  auto model = fixture_model();
  torch::NoGradGuard no_grad;
  auto [ids, mask] = mixed_batch();
  PrependInjector deep(torch::randn({3, 32}), "text.layer.1");
  ForwardOptions opts;
  opts.output_hidden_states = true;
  auto out = model->forward_slots({model->embed(ids), mask}, deep, opts);
  EXPECT_EQ(out.last_hidden_state.sizes(), (std::vector<int64_t>{3, 9, 32}));
  EXPECT_EQ(out.hidden_states[0].size(1), 6);
  EXPECT_EQ(out.hidden_states[1].size(1), 9);
  EXPECT_EQ(out.mask.sizes(), (std::vector<int64_t>{3, 9}));
  // Block 0 never saw the layer-1 prompt: its output (hidden_states[1] minus the prompt) is the plain one.
  auto plain = model->forward(ids, mask, opts);
  EXPECT_LT(max_diff_where(out.hidden_states[1].slice(1, 3), plain.hidden_states[1], mask), 1e-6);
}

TEST(Gpt2Slots, MaskedOutPrefixIsInvisible) {
  torch::manual_seed(2);
  auto model = fixture_model();
  torch::NoGradGuard no_grad;
  auto [ids, mask] = mixed_batch();
  RecordingInjector kv;
  kv.kv = core::KV{torch::randn({3, 5, 32}), torch::randn({3, 5, 32}), torch::zeros({3, 5}, torch::kLong)};
  auto plain = model->forward(ids, mask).last_hidden_state;
  auto masked = model->forward_slots({model->embed(ids), mask}, kv).last_hidden_state;
  EXPECT_LT(max_diff_where(masked, plain, mask), 1e-6);
  kv.kv->mask = torch::ones({3, 5}, torch::kLong);  // and a visible one does change the output
  auto visible = model->forward_slots({model->embed(ids), mask}, kv).last_hidden_state;
  EXPECT_GT(max_diff_where(visible, plain, mask), 1e-2);
}

TEST(Gpt2Slots, PrefixCacheEqualsRunningThePrefix) {
  torch::manual_seed(3);
  auto model = fixture_model();
  torch::NoGradGuard no_grad;
  auto [ids, mask] = mixed_batch();
  const torch::Tensor prompt = torch::randn({5, 32}) * 0.3;
  PrependInjector prepend(prompt);
  auto reference = model->forward_slots({model->embed(ids), mask}, prepend).last_hidden_state.slice(1, 5);

  gpt2::PrefixCache cache(*model, prompt);
  EXPECT_EQ(cache.length(), 5);
  ForwardOptions opts;
  opts.position_ids = cache.position_ids(mask);
  auto cached = model->forward_slots({model->embed(ids), mask}, cache, opts);
  EXPECT_EQ(cached.last_hidden_state.sizes(), (std::vector<int64_t>{3, 6, 32}));
  const double err = max_diff_where(cached.last_hidden_state, reference, mask);
  std::cout << "[prefix cache] max abs err vs prepending the prompt: " << err << "\n";
  EXPECT_LT(err, 1e-5);
  // A hard prompt (token ids) works the same way; its keys come from the cache for every new batch.
  auto hard = model->embed(torch::tensor({{5, 17, 99}}, torch::kLong));
  gpt2::PrefixCache hard_cache(*model, hard);
  PrependInjector hard_prepend(hard[0]);
  opts.position_ids = hard_cache.position_ids(mask);
  EXPECT_LT(
      max_diff_where(
          model->forward_slots({model->embed(ids), mask}, hard_cache, opts).last_hidden_state,
          model->forward_slots({model->embed(ids), mask}, hard_prepend).last_hidden_state.slice(1, 3), mask),
      1e-5);
}

TEST(Gpt2Heads, SelectedIdsEqualFullLogitsGathered) {
  torch::manual_seed(4);
  auto model = fixture_model();
  torch::NoGradGuard no_grad;
  torch::Tensor hidden = torch::randn({2, 3, 32});
  torch::Tensor ids = torch::tensor({7, 998, 0, 500}, torch::kLong);
  torch::Tensor full = model->lm_logits(hidden);
  EXPECT_EQ(full.sizes(), (std::vector<int64_t>{2, 3, 1000}));
  torch::Tensor picked = model->lm_logits(hidden, ids);
  EXPECT_EQ(picked.sizes(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_LT(max_diff(picked, full.index_select(-1, ids)), 1e-5);
  EXPECT_THROW(model->lm_logits(hidden, torch::tensor({1000}, torch::kLong)), c10::Error);
  EXPECT_THROW(model->lm_logits(hidden, torch::tensor({1.0f})), c10::Error);
}

TEST(Gpt2Heads, ChunkedLossEqualsPlainLoss) {
  torch::manual_seed(5);
  auto model = fixture_model();
  torch::Tensor weight = model->lm_head_weight();
  torch::Tensor targets = torch::randint(0, 1000, {3, 7}, torch::kLong);
  targets.index_put_({0, 2}, -100);
  targets.index_put_({2, 6}, -100);
  torch::Tensor base = torch::randn({3, 7, 32});
  torch::Tensor h_plain = base.clone().requires_grad_();
  torch::Tensor w_plain = weight.detach().clone().requires_grad_();
  torch::Tensor plain = torch::nn::functional::cross_entropy(torch::linear(h_plain, w_plain).view({-1, 1000}),
                                                             targets.view({-1}));
  plain.backward();
  for (int64_t chunk : {1, 4, 0, 100}) {
    torch::Tensor h = base.clone().requires_grad_();
    torch::Tensor w = weight.detach().clone().requires_grad_();
    torch::Tensor loss = gpt2::chunked_cross_entropy(h, w, targets, chunk);
    loss.backward();
    EXPECT_NEAR(loss.item<double>(), plain.item<double>(), 1e-5) << "chunk " << chunk;
    EXPECT_LT(max_diff(h.grad(), h_plain.grad()), 1e-6) << "chunk " << chunk;
    EXPECT_LT(max_diff(w.grad(), w_plain.grad()), 1e-6) << "chunk " << chunk;
  }
  // Through the model's head (frozen weight): same value, gradient only to the hidden states.
  torch::Tensor h = base.clone().requires_grad_();
  torch::Tensor loss = model->lm_loss(h, targets, 2);
  EXPECT_NEAR(loss.item<double>(), plain.item<double>(), 1e-5);
  loss.backward();
  EXPECT_LT(max_diff(h.grad(), h_plain.grad()), 1e-6);
  EXPECT_FALSE(weight.grad().defined());
  // Nothing to predict: 0, not NaN.
  EXPECT_EQ(gpt2::chunked_cross_entropy(base, weight, torch::full({3, 7}, -100, torch::kLong)).item<double>(),
            0.0);
  EXPECT_THROW(gpt2::chunked_cross_entropy(base, weight, torch::full({3, 7}, 1000, torch::kLong)),
               c10::Error);
}

TEST(Gpt2Slots, BadInputsAreCaught) {
  auto model = fixture_model();
  torch::NoGradGuard no_grad;
  EXPECT_THROW(model->embed(torch::tensor({{1, 1000}}, torch::kLong)), c10::Error);
  EXPECT_THROW(model->embed(torch::tensor({{-1, 2}}, torch::kLong)), c10::Error);
  EXPECT_THROW(model->forward(torch::zeros({1, 33}, torch::kLong)), c10::Error);  // past n_positions
  ForwardOptions opts;
  opts.position_ids = torch::arange(4).unsqueeze(0);  // wrong length
  EXPECT_THROW(model->forward(torch::zeros({1, 3}, torch::kLong), {}, opts), c10::Error);
  core::NoPrompts none;
  EXPECT_THROW(model->forward_slots({torch::zeros({1, 3, 16}), {}}, none), c10::Error);
}

// HuBERT with the core PromptSet: input prompts at "audio", deep prompts at "audio.layer.i", key/value
// prompts at "audio.kv.i", on a padded batch; prompts train while the backbone stays frozen.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/io/safetensors.h"
#include "core/methods/soft_prompt.h"
#include "core/prompt_set.h"
#include "models/hubert/loader.h"

namespace core = softprompt::core;
namespace hb = softprompt::models::hubert;

namespace {

const std::string kDir = std::string(SOFTPROMPT_TEST_FIXTURES) + "/hubert";

core::methods::SoftPrompt soft(int64_t p, int64_t d, uint64_t seed) {
  core::methods::SoftPromptOptions o;
  o.num_tokens = p;
  o.dim = d;
  o.seed = seed;
  return core::methods::SoftPrompt(o);
}

}  // namespace

TEST(HubertPromptSet, InputDeepAndKeyValuePromptsOnAPaddedBatch) {
  hb::Model model = hb::load_pretrained(kDir + "/hf");
  const auto io = core::io::load_safetensors(kDir + "/io.safetensors");
  const at::Tensor x = io.at("masked.input_values");
  const at::Tensor mask =
      (at::arange(4000).unsqueeze(0) < io.at("masked.input_lengths").unsqueeze(1)).to(at::kLong);
  auto input = soft(4, 32, 1), deep = soft(4, 32, 2), key = soft(3, 32, 3), value = soft(3, 32, 4);
  core::PromptSet set;
  set->add_insert_slot("audio", input.ptr(), core::InsertAt{});
  set->add_layer_slot("audio.layer.1", deep.ptr());
  set->add_kv_slot("audio.kv.0", std::make_shared<core::KvPairImpl>(key.ptr(), value.ptr()));

  set->begin_batch({});
  const hb::Output out = model->forward(x, mask, {}, set.get());
  ASSERT_EQ(out.last_hidden_state.sizes(), (at::IntArrayRef{2, 203, 32}));
  EXPECT_EQ(out.mask.sum(1)[1].item<int64_t>(), 4 + 149);  // prompts + the valid frames of row 1
  // Row 0 (no padding) run alone gives the same result: rows do not leak into each other.
  set->begin_batch({});
  const hb::Output alone = model->forward(x.slice(0, 0, 1), mask.slice(0, 0, 1), {}, set.get());
  EXPECT_LT((alone.last_hidden_state[0] - out.last_hidden_state[0]).abs().max().item<double>(), 1e-5);

  // A few optimizer steps move a pooled output toward a target; only prompt tensors change.
  const at::Tensor before = model->encoder->layers[0]->named_parameters()["attention.q_proj.weight"].clone();
  torch::optim::Adam opt(set->prompt_parameters(), torch::optim::AdamOptions(0.05));
  const at::Tensor target = at::ones({2, 32});
  auto loss_fn = [&]() {
    set->begin_batch({});
    const hb::Output o = model->forward(x, mask, {}, set.get());
    const at::Tensor m = o.mask.unsqueeze(-1).to(at::kFloat);
    const at::Tensor pooled = (o.last_hidden_state * m).sum(1) / m.sum(1);
    return (pooled - target).pow(2).mean();
  };
  const double first = loss_fn().item<double>();
  for (int step = 0; step < 15; ++step) {
    opt.zero_grad();
    at::Tensor loss = loss_fn();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(loss_fn().item<double>(), 0.9 * first);
  EXPECT_TRUE(model->encoder->layers[0]->named_parameters()["attention.q_proj.weight"].equal(before));
}

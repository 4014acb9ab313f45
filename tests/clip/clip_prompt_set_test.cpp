// CLIP driven by the real core::PromptSet (MaPLe-like: text + vision input prompts, deep prompts at layer 1 of
// both towers, a key/value prompt), checked against the test injector and for gradients.
#include <gtest/gtest.h>

#include <iostream>

#include "clip_test_util.h"
#include "core/methods/soft_prompt.h"
#include "core/prompt_set.h"

namespace softprompt::test {
namespace {

using core::methods::SoftPrompt;
using core::methods::SoftPromptOptions;

SoftPrompt soft(int64_t p, int64_t d, uint64_t seed) {
  SoftPromptOptions o;
  o.num_tokens = p;
  o.dim = d;
  o.seed = seed;
  return SoftPrompt(o);
}

TEST(ClipPromptSet, MultimodalDeepPrompts) {
  auto model = models::clip::load_clip(fixture("clip_multihead/hf")).model;
  auto io = core::io::load_safetensors(fixture("clip_multihead/io.safetensors"));
  const auto ids = io.at("input_ids").narrow(0, 0, 2);
  const auto& pixels = io.at("pixel_values");
  const int64_t dt = model->config().text.hidden_size, dv = model->config().vision.hidden_size;
  auto text_in = soft(4, dt, 1), text_deep = soft(4, dt, 2), vis_in = soft(3, dv, 3), vis_deep = soft(3, dv, 4);
  auto key = soft(2, dt, 5), value = soft(2, dt, 6);
  core::PromptSet set;
  core::InsertAt after_first;  // after SOT / after the class token
  after_first.offset = 1;
  set->add_insert_slot("text", text_in.ptr(), after_first);
  set->add_layer_slot("text.layer.1", text_deep.ptr());
  set->add_insert_slot("vision", vis_in.ptr(), after_first);
  set->add_layer_slot("vision.layer.1", vis_deep.ptr());
  set->add_kv_slot("text.kv.0", std::make_shared<core::KvPairImpl>(key.ptr(), value.ptr()));
  set->begin_batch({});
  auto out = model->forward(pixels, ids, *set);
  EXPECT_EQ(out.text.last_hidden_state.size(1), 22 + 4);
  EXPECT_TRUE(torch::equal(out.text.eot_index, torch::tensor({6 + 4, 21 + 4})));
  EXPECT_EQ(out.vision.last_hidden_state.size(1), 17 + 3);
  out.logits_per_image.logsumexp(0).sum().backward();
  for (auto* p : {&text_in, &text_deep, &vis_in, &vis_deep, &key, &value}) {
    ASSERT_TRUE((*p)->weight.grad().defined());
    EXPECT_GT((*p)->weight.grad().abs().sum().item<double>(), 0);
  }
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());

  // Truncated to the longest EOT (26 of 77 positions; layer slots see the tail padded) == the full run.
  torch::NoGradGuard no_grad;
  const auto short_ids = ids.narrow(1, 0, 73);  // room for the 4 prompts in the full-length run
  set->begin_batch({});
  auto cut = model->encode_text(short_ids, *set, {});
  EXPECT_EQ(cut.last_hidden_state.size(1), 26);
  set->begin_batch({});
  models::clip::TextOptions full;
  full.truncate = false;
  auto mask = models::clip::mask_through(model->text_model->eot_index(short_ids), 73);
  auto whole = model->encode_text(core::SlotInput{model->embed(short_ids), mask}, cut.eot_index, *set, full);
  EXPECT_EQ(whole.last_hidden_state.size(1), 77);
  const double diff = max_abs_diff(cut.pooled, whole.pooled);
  std::cout << "[eot-truncation] with deep + kv prompts: pooled max_abs_diff " << diff << "\n";
  EXPECT_LE(diff, 1e-5);

  // The input slots alone agree with the test injector's insertion (same vectors, same place).
  core::PromptSet only;
  only->add_insert_slot("text", text_in.ptr(), after_first);
  only->begin_batch({});
  OnePrompt reference("text", text_in->weight.detach(), 1);
  EXPECT_LE(max_abs_diff(model->encode_text(ids, *only, {}).pooled, model->encode_text(ids, reference, {}).pooled),
            1e-6);
}

}  // namespace
}  // namespace softprompt::test

// Parity of the LibTorch CLIP against the reference outputs (fixtures clip_tiny in both layouts and
// clip_tiny_multihead), atol 1e-4 + rtol 1e-4 as the fixture README suggests. Prints the max abs error per output.
#include <gtest/gtest.h>

#include <iostream>

#include "clip_test_util.h"
#include "models/weights/strict_loader.h"

namespace softprompt::test {
namespace {

using models::clip::ClipLayout;
using models::clip::load_clip;

void expect_parity(const std::string& label, const std::string& model_path, const std::string& io_path) {
  auto loaded = load_clip(fixture(model_path));
  auto io = core::io::load_safetensors(fixture(io_path));
  auto out = clip_outputs(loaded.model, io.at("pixel_values"), io.at("input_ids"));
  for (const auto& [name, got] : out) {
    const auto& want = io.at(name);
    ASSERT_EQ(got.sizes(), want.sizes()) << label << " " << name;
    const double err = max_abs_diff(got, want);
    std::cout << "[parity] " << label << " " << name << " max_abs_err " << err << "\n";
    EXPECT_TRUE(torch::allclose(got, want, /*rtol=*/1e-4, /*atol=*/1e-4)) << label << " " << name << " err " << err;
  }
}

TEST(ClipParity, HfLayout) { expect_parity("clip_tiny/hf", "clip/hf", "clip/io.safetensors"); }

TEST(ClipParity, OpenAiLayout) {
  EXPECT_EQ(load_clip(fixture("clip/openai/model.safetensors")).layout, ClipLayout::kOpenAI);
  expect_parity("clip_tiny/openai", "clip/openai/model.safetensors", "clip/io.safetensors");
}

TEST(ClipParity, Multihead) {
  auto loaded = load_clip(fixture("clip_multihead/hf"));
  EXPECT_EQ(loaded.model->config().text.num_heads, 4);
  EXPECT_EQ(loaded.model->config().vision.num_heads, 4);
  expect_parity("clip_tiny_multihead/hf", "clip_multihead/hf", "clip_multihead/io.safetensors");
}

// The two layouts hold the same (float16-exact) weights: the models and their outputs must be identical.
TEST(ClipParity, LayoutsAgree) {
  auto hf = load_clip(fixture("clip/hf"));
  auto oa = load_clip(fixture("clip/openai/model.safetensors"));
  auto a = models::weights::state_dict(*hf.model);
  auto b = models::weights::state_dict(*oa.model);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, v] : a) EXPECT_TRUE(torch::equal(v, b.at(k))) << k;
  auto io = core::io::load_safetensors(fixture("clip/io.safetensors"));
  auto x = clip_outputs(hf.model, io.at("pixel_values"), io.at("input_ids"));
  auto y = clip_outputs(oa.model, io.at("pixel_values"), io.at("input_ids"));
  for (const auto& [k, v] : x) EXPECT_TRUE(torch::equal(v, y.at(k))) << k;
  EXPECT_NE(hf.model->backbone_id(), oa.model->backbone_id());
  EXPECT_EQ(hf.model->backbone_id().rfind("clip-hf:", 0), 0u);
}

}  // namespace
}  // namespace softprompt::test

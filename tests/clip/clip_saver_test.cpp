// models/clip/saver: a model written in the HF layout loads back (strictly) with the same config and outputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "clip_test_util.h"
#include "core/io/atomic_file.h"
#include "models/clip/saver.h"

namespace softprompt::test {
namespace {

TEST(ClipSaver, RoundTripGivesIdenticalOutputs) {
  torch::manual_seed(3);
  models::clip::ClipConfig c;
  c.text.vocab_size = 600;
  c.text.hidden_size = 32;
  c.text.intermediate_size = 64;
  c.text.num_layers = 2;
  c.text.num_heads = 2;
  c.text.max_positions = 12;
  c.text.eos_token_id = 599;
  c.vision.hidden_size = 32;
  c.vision.intermediate_size = 64;
  c.vision.num_layers = 2;
  c.vision.num_heads = 2;
  c.vision.image_size = 16;
  c.vision.patch_size = 8;
  c.vision.activation = models::clip::Activation::kGelu;
  c.projection_dim = 24;
  models::clip::ClipModel model(c);
  const auto dir = (std::filesystem::temp_directory_path() / "softprompt_clip_saver_test").string();
  std::filesystem::remove_all(dir);
  models::clip::save_pretrained(*model, dir);

  auto loaded = models::clip::load_clip(dir).model;
  EXPECT_EQ(loaded->config().text.eot_rule, models::clip::EotRule::kFirstEos);
  EXPECT_EQ(loaded->config().vision.activation, models::clip::Activation::kGelu);
  EXPECT_EQ(loaded->config().projection_dim, 24);
  const auto pixels = torch::randn({2, 3, 16, 16});
  const auto ids = torch::tensor({{598, 5, 7, 599, 0}, {598, 9, 599, 0, 0}}, torch::kLong);
  const auto a = clip_outputs(model, pixels, ids);
  const auto b = clip_outputs(loaded, pixels, ids);
  for (const auto& [name, t] : a) EXPECT_EQ(max_abs_diff(t, b.at(name)), 0.0) << name;
  const auto json = nlohmann::json::parse(core::io::read_file(dir + "/config.json"));
  EXPECT_EQ(json.at("architectures").at(0), "CLIPModel");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace softprompt::test

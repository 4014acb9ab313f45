// Strict loading and config parsing: every bad checkpoint or config is an InputError/IoError naming the
// offending key, value or path; stale buffers are ignored; presets and legacy HF config rules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "clip_test_util.h"
#include "core/errors.h"
#include "models/clip/config.h"

namespace softprompt::test {
namespace {

namespace fs = std::filesystem;
using models::clip::load_clip;

class ClipLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("softprompt_clip_load_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    hf_ = core::io::load_safetensors(fixture("clip/hf/model.safetensors"));
    openai_ = core::io::load_safetensors(fixture("clip/openai/model.safetensors"));
    std::ifstream in(fixture("clip/hf/config.json"));
    config_ = nlohmann::json::parse(in);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes an HF directory with the given tensors and config; returns its path.
  std::string hf_dir(const core::io::TensorMap& tensors, const nlohmann::json& config) {
    core::io::save_safetensors((dir_ / "model.safetensors").string(), tensors);
    std::ofstream((dir_ / "config.json").string()) << config.dump();
    return dir_.string();
  }
  std::string openai_file(const core::io::TensorMap& tensors) {
    const auto p = (dir_ / "openai.safetensors").string();
    core::io::save_safetensors(p, tensors);
    return p;
  }
  // Expects load_clip(path) to throw InputError whose message contains every part.
  static void expect_input_error(const std::string& path, std::initializer_list<std::string> parts) {
    try {
      load_clip(path);
      FAIL() << "no error for " << path;
    } catch (const InputError& e) {
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }

  fs::path dir_;
  core::io::TensorMap hf_, openai_;
  nlohmann::json config_;
};

TEST_F(ClipLoadTest, HfMissingKey) {
  auto t = hf_;
  t.erase("text_model.final_layer_norm.bias");
  expect_input_error(hf_dir(t, config_), {"missing key 'text_model.final_layer_norm.bias'", "[64]"});
}

TEST_F(ClipLoadTest, HfUnexpectedKey) {
  auto t = hf_;
  t["text_model.extra.weight"] = torch::zeros({3});
  expect_input_error(hf_dir(t, config_), {"unexpected key 'text_model.extra.weight'"});
}

TEST_F(ClipLoadTest, HfWrongShape) {
  auto t = hf_;
  t["visual_projection.weight"] = torch::zeros({31, 64});
  expect_input_error(hf_dir(t, config_), {"visual_projection.weight", "[31,64]", "[32,64]"});
}

TEST_F(ClipLoadTest, HfConfigDisagreesWithWeights) {
  auto c = config_;
  c["text_config"]["num_hidden_layers"] = 3;
  expect_input_error(hf_dir(hf_, c), {"missing key 'text_model.encoder.layers.2."});
}

TEST_F(ClipLoadTest, HfStalePositionIdsIgnored) {
  auto t = hf_;
  t["text_model.embeddings.position_ids"] = torch::arange(77).unsqueeze(0);
  t["vision_model.embeddings.position_ids"] = torch::arange(17).unsqueeze(0);
  EXPECT_NO_THROW(load_clip(hf_dir(t, config_)));
}

TEST_F(ClipLoadTest, HfBadConfigs) {
  auto c = config_;
  c["model_type"] = "gpt2";
  expect_input_error(hf_dir(hf_, c), {"model_type 'gpt2'"});
  c = config_;
  c["vision_config"]["hidden_act"] = "relu";
  expect_input_error(hf_dir(hf_, c), {"hidden_act 'relu'"});
  c = config_;
  c["text_config"]["num_attention_heads"] = 3;
  expect_input_error(hf_dir(hf_, c), {"not divisible by 3 heads"});
  c = config_;
  c["text_config"]["hidden_size"] = "64";
  expect_input_error(hf_dir(hf_, c), {"'hidden_size' has the wrong type"});
  hf_dir(hf_, config_);
  std::ofstream((dir_ / "config.json").string()) << "{ not json";
  expect_input_error(dir_.string(), {"not valid JSON", "config.json"});
}

TEST_F(ClipLoadTest, MissingFiles) {
  EXPECT_THROW(load_clip((dir_ / "nope").string()), IoError);
  EXPECT_THROW(load_clip(dir_.string()), IoError);  // no config.json
  std::ofstream((dir_ / "config.json").string()) << config_.dump();
  EXPECT_THROW(load_clip(dir_.string()), IoError);  // no model.safetensors
}

TEST_F(ClipLoadTest, OpenAiBadCheckpoints) {
  auto t = openai_;
  t.erase("visual.proj");
  expect_input_error(openai_file(t), {"missing key 'visual_projection.weight'", "OpenAI"});
  t = openai_;
  t["transformer.resblocks.1.attn.in_proj_weight"] = torch::zeros({191, 64});
  expect_input_error(openai_file(t), {"transformer.resblocks.1.attn.in_proj_weight", "[191, 64]"});
  t = openai_;
  t["transformer.resblocks.0.attn.in_proj_bias"] = torch::zeros({189});
  expect_input_error(openai_file(t), {"text_model.encoder.layers.0.self_attn.q_proj.bias", "[63]"});
  t = openai_;
  t["visual.extra"] = torch::zeros({2});
  expect_input_error(openai_file(t), {"unexpected key 'visual.extra'"});
  t = openai_;
  t.erase("visual.conv1.weight");
  t["visual.layer1.0.conv1.weight"] = torch::zeros({8, 8, 1, 1});
  expect_input_error(openai_file(t), {"ResNet"});
  t = openai_;
  t.erase("ln_final.weight");
  expect_input_error(openai_file(t), {"missing key 'ln_final.weight'"});
  // JIT leftovers that build_model drops are accepted.
  t = openai_;
  t["input_resolution"] = torch::tensor(32);
  t["context_length"] = torch::tensor(77);
  t["vocab_size"] = torch::tensor(512);
  EXPECT_NO_THROW(load_clip(openai_file(t)));
}

TEST_F(ClipLoadTest, NotAClipFile) {
  expect_input_error(openai_file({{"weight", torch::zeros({2})}}), {"not an OpenAI-layout CLIP"});
  const auto bad = (dir_ / "truncated.safetensors").string();
  std::ofstream(bad) << "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":";
  EXPECT_THROW(load_clip(bad), InputError);
  EXPECT_FALSE(models::clip::is_clip_checkpoint(bad));
  EXPECT_TRUE(models::clip::is_clip_checkpoint(fixture("clip/hf")));
  EXPECT_TRUE(models::clip::is_clip_checkpoint(fixture("clip/openai/model.safetensors")));
  EXPECT_FALSE(models::clip::is_clip_checkpoint(fixture("gpt2/model")));
  EXPECT_FALSE(models::clip::is_clip_checkpoint(fixture("gpt2/model/model.safetensors")));
}

TEST(ClipConfig, HfRules) {
  using namespace models::clip;
  nlohmann::json c = {{"model_type", "clip"}, {"text_config", {{"eos_token_id", 2}}}};
  auto cfg = config_from_hf_json(c, "legacy");
  EXPECT_EQ(cfg.text.eot_rule, EotRule::kArgmax);  // HF 4.36: eos 2 -> argmax(ids)
  EXPECT_EQ(cfg.vision.patch_size, 32);            // HF defaults = ViT-B/32
  EXPECT_EQ(cfg.text.hidden_size, 512);
  c["text_config"]["eos_token_id"] = 49407;
  c["text_config_dict"] = {{"hidden_size", 768}, {"num_attention_heads", 12}};
  cfg = config_from_hf_json(c, "dict");
  EXPECT_EQ(cfg.text.eot_rule, EotRule::kFirstEos);
  EXPECT_EQ(cfg.text.hidden_size, 768);  // *_config_dict wins, as in HF
  EXPECT_THROW(config_from_hf_json(nlohmann::json::array(), "x"), InputError);
}

TEST(ClipConfig, Presets) {
  using namespace models::clip;
  auto b32 = vit_b32(), b16 = vit_b16(), l14 = vit_l14();
  EXPECT_EQ(b32.vision.num_positions(), 50);
  EXPECT_EQ(b16.vision.num_positions(), 197);
  EXPECT_EQ(l14.vision.num_positions(), 257);
  EXPECT_EQ(l14.vision.num_heads, 16);
  EXPECT_EQ(l14.text.num_heads, 12);
  EXPECT_EQ(l14.projection_dim, 768);
  EXPECT_EQ(b32.text.num_heads, 8);
  for (const auto& c : {b32, b16, l14}) EXPECT_NO_THROW(validate(c, "preset"));
}

}  // namespace
}  // namespace softprompt::test

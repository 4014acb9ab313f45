// `softprompt forward` on the CLIP fixtures, end to end through the built binary: HF directory and OpenAI
// file reproduce the reference outputs; bad inputs end with one "error:" line, exit code 2, no output file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "clip_test_util.h"
#include "core/io/atomic_file.h"

namespace softprompt::test {
namespace {

namespace fs = std::filesystem;
using core::io::TensorMap;

class ClipForwardCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("softprompt_clip_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    io_ = core::io::load_safetensors(fixture("clip/io.safetensors"));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }

  // Runs the binary; returns the exit code and leaves stderr in err_.
  int run(const TensorMap& inputs, const std::string& backbone) {
    const std::string binary = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";
    EXPECT_TRUE(fs::exists(binary)) << "build the softprompt target first: " << binary;
    fs::remove(path("out.safetensors"));
    core::io::save_safetensors(path("in.safetensors"), inputs);
    const std::string cmd = binary + " --threads 1 forward --backbone '" + backbone + "' --inputs '" +
                            path("in.safetensors") + "' --outputs '" + path("out.safetensors") + "' >'" +
                            path("stdout") + "' 2>'" + path("stderr") + "'";
    const int status = std::system(cmd.c_str());
    err_ = core::io::read_file(path("stderr"));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void expect_error(const TensorMap& inputs, const std::string& needle) {
    EXPECT_EQ(run(inputs, fixture("clip/hf")), 2) << err_;
    EXPECT_EQ(err_.rfind("error: ", 0), 0u) << err_;
    EXPECT_EQ(std::count(err_.begin(), err_.end(), '\n'), 1) << err_;
    EXPECT_NE(err_.find(needle), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(path("out.safetensors")));
  }

  fs::path dir_;
  TensorMap io_;
  std::string err_;
};

// CLI output name -> fixture name.
const std::map<std::string, std::string> kNames = {
    {"logits_per_image", "logits_per_image"},
    {"logits_per_text", "logits_per_text"},
    {"image_embeds", "image_embeds"},
    {"text_embeds", "text_embeds"},
    {"image_features", "image_features"},
    {"text_features", "text_features"},
    {"vision_model.pooler_output", "vision_pooler_output"},
    {"vision_model.last_hidden_state", "vision_last_hidden_state"},
    {"text_model.pooler_output", "text_pooler_output"},
    {"text_model.last_hidden_state", "text_last_hidden_state"}};

TEST_F(ClipForwardCli, ReproducesTheFixturesInBothLayouts) {
  const TensorMap inputs = {{"pixel_values", io_.at("pixel_values")}, {"input_ids", io_.at("input_ids")}};
  for (const auto& backbone : {fixture("clip/hf"), fixture("clip/openai/model.safetensors")}) {
    ASSERT_EQ(run(inputs, backbone), 0) << err_;
    auto out = core::io::load_safetensors(path("out.safetensors"));
    EXPECT_EQ(out.size(), kNames.size());
    for (const auto& [name, ref] : kNames) {
      ASSERT_TRUE(out.count(name)) << name;
      const double err = max_abs_diff(out.at(name), io_.at(ref));
      std::cout << "[cli] " << fs::path(backbone).filename().string() << " " << name << " max_abs_err " << err << "\n";
      EXPECT_TRUE(torch::allclose(out.at(name), io_.at(ref), 1e-4, 1e-4)) << name;
    }
  }
}

TEST_F(ClipForwardCli, OneTowerOnly) {
  ASSERT_EQ(run({{"pixel_values", io_.at("pixel_values")}}, fixture("clip/hf")), 0) << err_;
  auto out = core::io::load_safetensors(path("out.safetensors"));
  EXPECT_EQ(out.size(), 4u);
  EXPECT_TRUE(torch::allclose(out.at("image_embeds"), io_.at("image_embeds"), 1e-4, 1e-4));
  ASSERT_EQ(run({{"input_ids", io_.at("input_ids").to(torch::kInt)}}, fixture("clip/openai/model.safetensors")), 0)
      << err_;
  out = core::io::load_safetensors(path("out.safetensors"));
  EXPECT_EQ(out.size(), 4u);
  EXPECT_TRUE(torch::allclose(out.at("text_embeds"), io_.at("text_embeds"), 1e-4, 1e-4));
}

TEST_F(ClipForwardCli, BadInputs) {
  const auto& px = io_.at("pixel_values");
  const auto& ids = io_.at("input_ids");
  // Each run starts a process (~1.5 s): one case per kind of check; the model's own input checks are
  // covered in-process by ClipSlotsTest.BadInputs.
  expect_error({{"pixel_values", px}, {"pixels", px}}, "unknown input 'pixels'");
  expect_error({{"pixel_values", px.narrow(3, 0, 16)}}, "pixel_values must be [B,3,32,32]");
  expect_error({{"input_ids", ids.to(torch::kFloat)}}, "input 'input_ids' has dtype F32");
  expect_error({{"input_ids", ids}, {"attention_mask", torch::full({3, 77}, 2, torch::kLong)}}, "only 0 and 1");
}

}  // namespace
}  // namespace softprompt::test

// `softprompt forward` on the HuBERT fixture directory, end to end through the binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/io/safetensors.h"

namespace fs = std::filesystem;
namespace io = softprompt::core::io;

namespace {

const std::string kBinary = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";
const std::string kDir = std::string(SOFTPROMPT_TEST_FIXTURES) + "/hubert";

class HubertCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is missing: build the `softprompt` target";
    dir_ = fs::temp_directory_path() / ("softprompt_hubert_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Runs `softprompt forward` and returns its exit status; stderr goes to err.txt.
  int forward(const io::TensorMap& inputs, const std::string& out) {
    io::save_safetensors(path("in.safetensors"), inputs);
    const std::string cmd = kBinary + " --threads 1 forward --backbone " + kDir + "/hf --inputs " +
                            path("in.safetensors") + " --outputs " + out + " > /dev/null 2> " +
                            path("err.txt");
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string err() const {
    std::ifstream in(path("err.txt"));
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  fs::path dir_;
};

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST_F(HubertCli, ForwardWritesHfOutputs) {
  const io::TensorMap fx = io::load_safetensors(kDir + "/io.safetensors");
  ASSERT_EQ(forward({{"input_values", fx.at("input_values")}}, path("out.safetensors")), 0) << err();
  const io::TensorMap out = io::load_safetensors(path("out.safetensors"));
  EXPECT_LE(max_abs(out.at("last_hidden_state"), fx.at("last_hidden_state")), 1e-4);
  EXPECT_LE(max_abs(out.at("extract_features"), fx.at("extract_features")), 1e-4);
  for (int i = 0; i < 3; ++i) {
    const std::string k = "hidden_states." + std::to_string(i);
    EXPECT_LE(max_abs(out.at(k), fx.at(k)), 1e-4) << k;
  }
  EXPECT_FALSE(out.count("frame_mask"));
}

TEST_F(HubertCli, ForwardWithAttentionMask) {
  const io::TensorMap fx = io::load_safetensors(kDir + "/io.safetensors");
  const at::Tensor mask =
      (at::arange(4000).unsqueeze(0) < fx.at("masked.input_lengths").unsqueeze(1)).to(at::kLong);
  ASSERT_EQ(forward({{"input_values", fx.at("masked.input_values")}, {"attention_mask", mask}},
                    path("m.safetensors")),
            0)
      << err();
  const io::TensorMap out = io::load_safetensors(path("m.safetensors"));
  ASSERT_TRUE(out.at("frame_mask").equal(fx.at("masked.frame_mask")));
  const at::Tensor valid = fx.at("masked.frame_mask").to(at::kBool);
  EXPECT_LE(
      max_abs(out.at("last_hidden_state").index({valid}), fx.at("masked.last_hidden_state").index({valid})),
      1e-4);
}

TEST_F(HubertCli, BadInputsExitTwoAndWriteNothing) {
  const at::Tensor x = at::randn({1, 4000});
  EXPECT_EQ(forward({{"input_ids", at::ones({1, 5}, at::kLong)}}, path("a.safetensors")), 2);
  EXPECT_NE(err().find("input_ids"), std::string::npos) << err();
  EXPECT_EQ(forward({{"input_values", x.to(at::kLong)}}, path("b.safetensors")), 2);
  EXPECT_EQ(forward({{"input_values", x}, {"attention_mask", at::ones({1, 3999}, at::kLong)}},
                    path("c.safetensors")),
            2);
  EXPECT_NE(err().find("attention_mask"), std::string::npos) << err();
  EXPECT_EQ(forward({{"input_values", at::randn({1, 20})}}, path("d.safetensors")), 2);
  for (const char* f : {"a", "b", "c", "d"}) EXPECT_FALSE(fs::exists(path(std::string(f) + ".safetensors")));
}

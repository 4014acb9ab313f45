// `softprompt preprocess-image` end to end through the built binary, against the fixture crops.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"

namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& rel) { return std::string(SOFTPROMPT_TEST_FIXTURES) + "/" + rel; }

int run(const std::string& args, std::string* err) {
  const std::string binary = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";
  EXPECT_TRUE(fs::exists(binary)) << "build the softprompt target first: " << binary;
  const auto log = fs::temp_directory_path() / ("softprompt_pre_err_" + std::to_string(::getpid()));
  const int status = std::system((binary + " --threads 1 preprocess-image " + args + " >/dev/null 2>'" +
                                  log.string() + "'").c_str());
  *err = softprompt::core::io::read_file(log.string());
  fs::remove(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PreprocessImageCli, MatchesFixtureAndRejectsBadFiles) {
  const auto dir = fs::temp_directory_path() / ("softprompt_pre_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto out = (dir / "out.safetensors").string();
  auto expected = softprompt::core::io::load_safetensors(fixture("image_preprocess/expected.safetensors"));
  std::string err;
  ASSERT_EQ(run("--image '" + fixture("image_preprocess/img1.png") + "' --outputs '" + out + "'", &err), 0) << err;
  auto got = softprompt::core::io::load_safetensors(out);
  ASSERT_EQ(got.at("crop_u8_hwc").sizes(), at::IntArrayRef({1, 224, 224, 3}));
  ASSERT_EQ(got.at("pixel_values").sizes(), at::IntArrayRef({1, 3, 224, 224}));
  EXPECT_EQ(got.at("pixel_values").scalar_type(), at::kFloat);
  EXPECT_TRUE(torch::equal(got.at("crop_u8_hwc")[0], expected.at("crop_u8_hwc")[1]));
  EXPECT_LE((got.at("pixel_values")[0] - expected.at("pixel_values_f16")[1].to(torch::kFloat)).abs().max().item<double>(),
            2e-3);
  // A corrupt image: one error line naming it, exit 2, nothing written.
  fs::remove(out);
  const auto bad = (dir / "bad.jpg").string();
  std::ofstream(bad) << "\xff\xd8\xff garbage";
  EXPECT_EQ(run("--image '" + bad + "' --outputs '" + out + "'", &err), 2);
  EXPECT_EQ(err.rfind("error: ", 0), 0u) << err;
  EXPECT_NE(err.find("bad.jpg"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(run("--image '" + (dir / "missing.png").string() + "' --outputs '" + out + "'", &err), 2);
  EXPECT_NE(err.find("missing.png"), std::string::npos) << err;
  fs::remove_all(dir);
}

}  // namespace

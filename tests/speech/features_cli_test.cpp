// `softprompt features` end to end through the binary, against the torchaudio fixture.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/io/safetensors.h"
#include "modalities/speech/audio_io.h"

namespace fs = std::filesystem;
namespace io = softprompt::core::io;

namespace {

const std::string kBinary = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";

class FeaturesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary << " is missing: build the `softprompt` target";
    dir_ = fs::temp_directory_path() / ("softprompt_features_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fixture_ = io::load_safetensors(std::string(SOFTPROMPT_TEST_FIXTURES) + "/audio/features.safetensors");
    // A float WAV keeps the fixture's float32 samples exactly.
    softprompt::modalities::speech::AudioWriteOptions f32;
    f32.float_samples = true;
    softprompt::modalities::speech::save_audio(path("signal.wav"), fixture_.at("signal"), 16000, f32);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  int run(const std::string& args) {
    const std::string cmd = kBinary + " --threads 1 features " + args + " > /dev/null 2> " + path("err.txt");
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string err() const {
    std::ifstream in(path("err.txt"));
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
  at::Tensor features(const std::string& kind, const std::string& extra = "") {
    const std::string out = path(kind + ".safetensors");
    EXPECT_EQ(run("--kind " + kind + " --audio " + path("signal.wav") + " --outputs " + out + extra), 0)
        << err();
    return io::load_safetensors(out).at("features");
  }
  fs::path dir_;
  io::TensorMap fixture_;
};

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST_F(FeaturesCli, EveryKindMatchesTheFixture) {
  EXPECT_LE(max_abs(features("logmel"), fixture_.at("log_mel").t()), 1e-3);
  EXPECT_LE(max_abs(features("fbank"), fixture_.at("kaldi_fbank")), 1e-2);
  EXPECT_LE(max_abs(features("mfcc"), fixture_.at("kaldi_mfcc")), 5e-3);
  EXPECT_LE(max_abs(features("fbank", " --int16-scale"), fixture_.at("kaldi_fbank_int16_scale")), 1e-2);
  EXPECT_EQ(features("fbank", " --bins 40").sizes(), (at::IntArrayRef{98, 40}));
  EXPECT_EQ(features("logmel", " --hop-length 320").size(0), 51);
}

TEST_F(FeaturesCli, BadArgumentsAndFilesExitTwo) {
  EXPECT_EQ(run("--kind spectrogram --audio " + path("signal.wav") + " --outputs " + path("x.safetensors")),
            2);
  EXPECT_NE(err().find("spectrogram"), std::string::npos) << err();
  { std::ofstream(path("bad.wav")) << "not audio"; }
  EXPECT_EQ(run("--kind mfcc --audio " + path("bad.wav") + " --outputs " + path("y.safetensors")), 2);
  EXPECT_NE(err().find("bad.wav"), std::string::npos) << err();
  EXPECT_EQ(run("--kind mfcc --audio " + path("missing.wav") + " --outputs " + path("z.safetensors")), 2);
  EXPECT_FALSE(fs::exists(path("x.safetensors")) || fs::exists(path("y.safetensors")) ||
               fs::exists(path("z.safetensors")));
}

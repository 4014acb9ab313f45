// End-to-end smoke runs of keyword_spotting and intent_classification on a tiny random unit LM (8 units, one
// block of width 16), a unit encoder fitted here, and a few tone/noise WAVs written by the test in the Speech
// Commands and Fluent Speech Commands layouts: training, the unit cache, the artifact, --predict, and bad
// inputs that must give one error line, exit code 2 and no artifact.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "modalities/speech/audio_io.h"
#include "models/unit_lm/model.h"
#include "recipes/common/unit_encoder.h"

namespace fs = std::filesystem;
using namespace softprompt;

namespace {

struct RunResult {
  int code;
  std::string out;
};

RunResult run(const std::string& cmd) {
  std::array<char, 4096> buf{};
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

int count_lines_with(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

// One second of a tone (class 0: 300 Hz, class 1: 1200 Hz) with a little noise, varied per clip.
at::Tensor tone(int label, int k) {
  const auto t = torch::arange(16000, torch::kFloat) / 16000.0;
  const double f = (label == 0 ? 300.0 : 1200.0) * (1.0 + 0.03 * k);
  return 0.4 * torch::sin(2 * M_PI * f * t) + 0.01 * torch::randn({16000});
}

class SpeechSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("softprompt_speech_" + std::to_string(::getpid()));
    fs::create_directories(root_);
    torch::manual_seed(0);
    write_kws(root_ / "kws");
    write_fsc(root_ / "fsc");
    models::unit_lm::Config c;
    c.num_units = 8;
    c.n_embd = 16;
    c.n_layer = 1;
    c.n_head = 2;
    c.n_positions = 128;
    const std::string bb = (root_ / "backbone").string();
    models::unit_lm::save_pretrained(*models::unit_lm::build(c), c, bb);
    recipes::UnitEncoderOptions eo;
    eo.num_units = 8;
    recipes::UnitEncoder enc(eo);
    std::vector<at::Tensor> feats;
    for (int k = 0; k < 4; ++k) feats.push_back(enc.raw_features(tone(k % 2, k)));
    enc.fit(feats);
    enc.save(bb);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // Speech Commands layout: yes/ and no/ with 6 clips each, two voices held out for validation and test.
  static void write_kws(const fs::path& dir) {
    fs::create_directories(dir);
    std::ofstream val(dir / "validation_list.txt"), test(dir / "testing_list.txt");
    for (int label = 0; label < 2; ++label) {
      const std::string word = label == 0 ? "yes" : "no";
      fs::create_directories(dir / word);
      for (int k = 0; k < 6; ++k) {
        const std::string name = "spk" + std::to_string(k) + "_nohash_0.wav";
        modalities::speech::save_audio((dir / word / name).string(), tone(label, k), 16000);
        if (k == 4) val << word << "/" << name << "\n";
        if (k == 5) test << word << "/" << name << "\n";
      }
    }
  }

  // Fluent Speech Commands layout: two intents, 6 clips each, split by speaker.
  static void write_fsc(const fs::path& dir) {
    fs::create_directories(dir / "data");
    fs::create_directories(dir / "wavs");
    const char* header = ",path,speakerId,transcription,action,object,location\n";
    std::ofstream train(dir / "data/train_data.csv"), valid(dir / "data/valid_data.csv"),
        test(dir / "data/test_data.csv");
    train << header;
    valid << header;
    test << header;
    for (int label = 0; label < 2; ++label)
      for (int k = 0; k < 6; ++k) {
        const std::string rel = "wavs/" + std::to_string(label) + "_" + std::to_string(k) + ".wav";
        modalities::speech::save_audio((dir / rel).string(), tone(label, k), 16000);
        auto& out = k < 4 ? train : k == 4 ? valid : test;
        out << k << "," << rel << ",spk" << k << "," << (label ? "lights on" : "lights off") << ","
            << (label ? "activate" : "deactivate") << ",lights,none\n";
      }
  }

  static std::string recipe(const std::string& name, const std::string& args) {
    return std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/" + name +
           " --threads 1 backbone.path=" + (root_ / "backbone").string() +
           " units.cache=" + (root_ / "units").string() +
           " train.max_steps=6 train.warmup_steps=1 train.eval_every=3 train.batch_size=4 train.seeds=[1]" +
           " prompt.input_tokens=2 prompt.deep_tokens=2 " + args;
  }
  static std::string kws(const std::string& args) {
    return recipe("keyword_spotting", "data.dir=" + (root_ / "kws").string() +
                                          " data.keywords=[yes,no] data.silence_unknown=false " + args);
  }
  static inline fs::path root_;
};

}  // namespace

TEST_F(SpeechSmoke, KeywordSpottingTrainsCachesSavesAndPredicts) {
  const auto out = (root_ / "out_kws").string();
  auto r = run(kws("output.dir=" + out));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("train: 8 clips (0 cached, 8 encoded)"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(out + "/prompt.safetensors"));
  const auto manifest = nlohmann::json::parse(std::ifstream(out + "/prompt.json"));
  EXPECT_EQ(manifest["method"], "speech_prompt");
  EXPECT_EQ(manifest["slots"], (nlohmann::json{"units", "units.kv.0"}));
  EXPECT_EQ(manifest["labels"], (nlohmann::json{"yes", "no"}));
  EXPECT_TRUE(manifest["tensors"].contains("verbalizer.linear.weight"));  // learnable by default
  const auto results = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  EXPECT_GE(results["accuracy_mean"].get<double>(), 0.0);
  EXPECT_TRUE(fs::exists(out + "/confusion_test.png"));
  EXPECT_TRUE(fs::exists(out + "/seed_1/loss.png"));

  // A second run reads every clip's units from the cache; a fixed verbalizer trains prompts only.
  auto again = run(kws("output.dir=" + out + "_fixed verbalizer.kind=fixed"));
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("train: 8 clips (8 cached, 0 encoded)"), std::string::npos) << again.out;
  const auto fixed = nlohmann::json::parse(std::ifstream(out + "_fixed/prompt.json"));
  EXPECT_FALSE(fixed["tensors"].contains("verbalizer.linear.weight"));

  const std::string bin = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/keyword_spotting --threads 1 ";
  auto p = run(bin + "--predict " + (root_ / "kws/no/spk5_nohash_0.wav").string() + " --artifact " + out +
               "/prompt");
  ASSERT_EQ(p.code, 0) << p.out;
  const auto j = nlohmann::json::parse(p.out.substr(p.out.find('{')));
  EXPECT_TRUE(j["label"] == "yes" || j["label"] == "no");
  EXPECT_NEAR(j["probabilities"]["yes"].get<double>() + j["probabilities"]["no"].get<double>(), 1.0, 1e-5);

  const auto corrupt = root_ / "corrupt.wav";
  std::ofstream(corrupt) << "RIFF....WAVEfmt garbage";
  auto bad = run(bin + "--predict " + corrupt.string() + " --artifact " + out + "/prompt");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_EQ(count_lines_with(bad.out, "error:"), 1) << bad.out;
  EXPECT_NE(bad.out.find("corrupt.wav"), std::string::npos) << bad.out;
}

TEST_F(SpeechSmoke, IntentClassificationTrains) {
  const auto out = (root_ / "out_fsc").string();
  auto r =
      run(recipe("intent_classification", "data.dir=" + (root_ / "fsc").string() + " output.dir=" + out));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto manifest = nlohmann::json::parse(std::ifstream(out + "/prompt.json"));
  EXPECT_EQ(manifest["labels"], (nlohmann::json{"activate|lights|none", "deactivate|lights|none"}));
}

TEST_F(SpeechSmoke, BadInputsGiveOneErrorLineAndNoArtifact) {
  const auto bad = root_ / "bad";
  fs::create_directories(bad);
  // A corpus whose test clip is not a WAV file.
  fs::copy(root_ / "kws", bad / "corrupt", fs::copy_options::recursive);
  std::ofstream(bad / "corrupt/no/spk5_nohash_0.wav", std::ios::trunc) << "RIFF....WAVEfmt garbage";
  // An intent corpus whose test split has an intent the training split (the verbalizer) lacks.
  fs::copy(root_ / "fsc", bad / "fsc", fs::copy_options::recursive);
  std::ofstream(bad / "fsc/data/test_data.csv", std::ios::app)
      << "9,wavs/0_5.wav,spk5,heat up,increase,heat,none\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing corpus", kws("data.dir=" + (bad / "nope").string())},
      {"corrupt WAV", kws("data.dir=" + (bad / "corrupt").string())},
      {"label missing from the verbalizer", kws("verbalizer.units=[3]")},
      {"intent missing from the verbalizer",
       recipe("intent_classification", "data.dir=" + (bad / "fsc").string())},
      {"missing backbone", kws("backbone.path=" + (bad / "no_backbone").string())},
      {"unknown verbalizer", kws("verbalizer.kind=linear")},
  };
  for (const auto& [what, cmd] : cases) {
    const auto out = bad / ("out_" + std::to_string(&what - &cases[0].first));
    auto r = run(cmd + " output.dir=" + out.string());
    EXPECT_EQ(r.code, 2) << what << ": " << r.out;
    EXPECT_EQ(count_lines_with(r.out, "error:"), 1) << what << ": " << r.out;
    EXPECT_EQ(r.out.find("frame #"), std::string::npos) << what << ": " << r.out;
    EXPECT_FALSE(fs::exists(out / "prompt.safetensors")) << what;
    EXPECT_FALSE(fs::exists(out / "prompt.json")) << what;
  }
  const std::string bin = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/keyword_spotting --threads 1 ";
  auto p = run(bin + "--predict " + (root_ / "kws/no/spk5_nohash_0.wav").string() + " --artifact " +
               (bad / "none/prompt").string());
  EXPECT_EQ(p.code, 2) << p.out;
  EXPECT_EQ(count_lines_with(p.out, "error:"), 1) << p.out;
}

// End-to-end smoke runs of the text recipes on a tiny random GPT-2 (real GPT-2 vocabulary files, 1 block of
// width 16) and a handful of sentences: training, the artifact, --predict, and every bad input the recipe
// must turn into one error line, a non-zero exit and no partial artifact.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/recipes/recipe_test_util.h"

namespace fs = std::filesystem;
using namespace softprompt;
using test::count_lines_with;
using test::run;

namespace {

class SentimentSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("softprompt_sentiment_" + std::to_string(::getpid()));
    fs::create_directories(root_);
    test::write_tiny_text_lm(root_ / "backbone");
    test::write_tiny_sentiment(root_ / "data.jsonl");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string recipe(const std::string& args) {
    return std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/sentiment --threads 1 backbone.path=" +
           (root_ / "backbone").string() + " train.max_steps=4 train.warmup_steps=1 train.eval_every=2" +
           " train.batch_size=4 train.seeds=[1] prompt.template='\"{soft:4} {text} It was {mask}\"' " + args;
  }
  static inline fs::path root_;
};

}  // namespace

TEST_F(SentimentSmoke, TrainsSavesAndPredicts) {
  const auto out = (root_ / "out").string();
  auto r = run(recipe("data.train_file=" + (root_ / "data.jsonl").string() + " output.dir=" + out));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("zero-shot"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(out + "/prompt.safetensors"));
  ASSERT_TRUE(fs::exists(out + "/prompt.json"));
  EXPECT_LT(fs::file_size(out + "/prompt.safetensors"), 4096u);  // 4 x 16 floats + header: kilobytes
  const auto results = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  EXPECT_GE(results["tuned_accuracy_mean"].get<double>(), 0.0);
  EXPECT_TRUE(fs::exists(out + "/seed_1/loss.png"));
  EXPECT_TRUE(fs::exists(out + "/confusion_test.png"));

  auto p = run(std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/sentiment --threads 1 --predict 'What a great day' --artifact " +
               out + "/prompt");
  ASSERT_EQ(p.code, 0) << p.out;
  const auto j = nlohmann::json::parse(p.out.substr(p.out.find('{')));
  EXPECT_TRUE(j["label"] == "positive" || j["label"] == "negative");
  EXPECT_NEAR(j["probabilities"]["positive"].get<double>() + j["probabilities"]["negative"].get<double>(), 1.0, 1e-5);
}

TEST_F(SentimentSmoke, BadInputsGiveOneErrorLineAndNoArtifact) {
  const auto bad = root_ / "bad";
  fs::create_directories(bad);
  std::ofstream(bad / "malformed.jsonl") << "{\"text\": \"fine\", \"label\": \"positive\"}\n{not json\n";
  std::ofstream(bad / "empty.jsonl") << "";
  std::ofstream(bad / "unknown_label.jsonl") << "{\"text\": \"fine\", \"label\": \"neutral\"}\n";
  std::ofstream(bad / "rows.csv") << "text,label\n\"unterminated,positive\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing data file", "data.train_file=" + (bad / "nope.jsonl").string()},
      {"malformed JSON row", "data.train_file=" + (bad / "malformed.jsonl").string()},
      {"malformed CSV row", "data.train_file=" + (bad / "rows.csv").string()},
      {"empty data set", "data.train_file=" + (bad / "empty.jsonl").string()},
      {"label not in verbalizer", "data.train_file=" + (bad / "unknown_label.jsonl").string()},
      {"unreadable backbone", "data.train_file=" + (root_ / "data.jsonl").string() + " backbone.path=" +
                                  (bad / "no_backbone").string()},
      {"unknown config key", "data.train_file=" + (root_ / "data.jsonl").string() + " train.max_stpes=3"},
      {"multi-token label word", "data.train_file=" + (root_ / "data.jsonl").string() +
                                     " verbalizer.words='[\" bad\", \" supercalifragilistic\"]'"},
  };
  for (const auto& [what, args] : cases) {
    const auto out = bad / ("out_" + std::to_string(&what - &cases[0].first));
    auto r = run(recipe(args + " output.dir=" + out.string()));
    EXPECT_EQ(r.code, 2) << what << ": " << r.out;
    EXPECT_EQ(count_lines_with(r.out, "error:"), 1) << what << ": " << r.out;
    EXPECT_EQ(r.out.find("frame #"), std::string::npos) << what << ": " << r.out;
    if (what != std::string("unknown config key"))  // the others must fail on their own input, not the config
      EXPECT_EQ(r.out.find("config key"), std::string::npos) << what << ": " << r.out;
    EXPECT_FALSE(fs::exists(out / "prompt.safetensors")) << what;
    EXPECT_FALSE(fs::exists(out / "prompt.json")) << what;
  }
}

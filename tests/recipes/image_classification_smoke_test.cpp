// End-to-end smoke runs of the image_classification recipe on a tiny random CLIP (the real CLIP BPE, width
// 16, one block per tower, 16 px images) and a generated image folder: zero-shot + a few CoOp steps + the
// artifact, base-to-novel, the linear probe, and bad inputs (one error line, exit 2, no artifact).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "modalities/text/clip_tokenizer.h"
#include "modalities/vision/image_io.h"
#include "models/clip/saver.h"
#include "tests/recipes/recipe_test_util.h"

namespace fs = std::filesystem;
using namespace softprompt;
using test::count_lines_with;
using test::run;

namespace {

const std::vector<std::string> kClasses = {"red", "green", "blue", "yellow"};

// root/<class>/<i>.png: 24x20 images tinted by class, with noise.
void write_folder(const fs::path& root, int per_class, const std::vector<std::string>& classes) {
  for (size_t c = 0; c < classes.size(); ++c) {
    fs::create_directories(root / classes[c]);
    for (int i = 0; i < per_class; ++i) {
      auto img = torch::randint(0, 60, {20, 24, 3}, torch::kLong);
      img.select(2, static_cast<int64_t>(c % 3)) += 150;
      modalities::vision::write_png_rgb((root / classes[c] / (std::to_string(i) + ".png")).string(),
                                        img.clamp(0, 255).to(torch::kUInt8));
    }
  }
}

class ImageClassificationSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("softprompt_imgcls_" + std::to_string(::getpid()));
    torch::manual_seed(0);
    models::clip::ClipConfig c;
    c.text = {49408, 16, 32, 1, 2, 24};
    c.text.eot_rule = models::clip::EotRule::kFirstEos;
    c.vision.hidden_size = 16;
    c.vision.intermediate_size = 32;
    c.vision.num_layers = 1;
    c.vision.num_heads = 2;
    c.vision.image_size = 16;
    c.vision.patch_size = 8;
    c.projection_dim = 8;
    models::clip::ClipModel model(c);
    models::clip::save_pretrained(*model, (root_ / "clip").string());
    write_folder(root_ / "train", 3, kClasses);
    write_folder(root_ / "test", 2, kClasses);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string recipe(const std::string& args) {
    return std::string(SOFTPROMPT_BINARY_DIR) +
           "/recipes/image_classification --threads 1 backbone.path=" + (root_ / "clip").string() +
           " data.dataset=folder data.train_path=" + (root_ / "train").string() +
           " data.test_path=" + (root_ / "test").string() +
           " train.max_steps=3 train.warmup_steps=1 train.batch_size=4 train.seeds=[1] train.shots=[2]"
           " prompt.n_ctx=2 " +
           args;
  }
  static inline fs::path root_;
};

}  // namespace

TEST_F(ImageClassificationSmoke, ZeroShotAndCoOpSaveAnArtifact) {
  const auto out = (root_ / "coop").string();
  auto r = run(
      recipe("method.name=coop zero_shot.templates='[\"a photo of {}.\", \"{} colour\"]' output.dir=" + out));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("zero-shot"), std::string::npos) << r.out;
  const auto results = nlohmann::json::parse(std::ifstream(out + "/results.json"));
  EXPECT_GE(results["zero_shot"]["all"].get<double>(), 0.0);
  EXPECT_EQ(results["shots"]["2"]["all"]["per_seed"].size(), 1u);
  ASSERT_TRUE(fs::exists(out + "/prompt.safetensors"));
  ASSERT_TRUE(fs::exists(out + "/prompt.json"));
  EXPECT_LT(fs::file_size(out + "/prompt.safetensors"), 4096u);  // 2 context vectors of width 16
  EXPECT_TRUE(fs::exists(out + "/confusion_test.png"));
  EXPECT_TRUE(fs::exists(out + "/k2_seed1/metrics.jsonl"));
}

TEST_F(ImageClassificationSmoke, BaseToNovelAndLinearProbe) {
  auto r = run(recipe("method.name=coop eval.base_to_novel=true output.dir=" + (root_ / "b2n").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto results = nlohmann::json::parse(std::ifstream((root_ / "b2n" / "results.json").string()));
  for (const char* k : {"base", "novel", "hm"}) EXPECT_TRUE(results["shots"]["2"].contains(k)) << k;
  auto lp = run(recipe("method.name=linear_probe output.dir=" + (root_ / "lp").string()));
  ASSERT_EQ(lp.code, 0) << lp.out;
  EXPECT_TRUE(fs::exists(root_ / "lp" / "prompt.safetensors"));
}

TEST_F(ImageClassificationSmoke, BadInputsGiveOneErrorLineAndNoArtifact) {
  const auto bad = root_ / "bad";
  write_folder(bad / "corrupt", 2, kClasses);
  std::ofstream(bad / "corrupt" / "red" / "broken.png") << "not a png";
  write_folder(bad / "extra_class", 2, {"red", "green", "blue", "yellow", "purple"});
  const std::string train = " data.train_path=" + (root_ / "train").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing directory", "data.test_path=" + (bad / "nope").string()},
      {"corrupt image", "data.test_path=" + (bad / "corrupt").string()},
      {"unknown class", "data.test_path=" + (bad / "extra_class").string()},
      {"missing backbone", "backbone.path=" + (bad / "no_clip").string()},
      {"unknown method", "method.name=coopp"},
      {"too few shots", "train.shots=[5]"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [what, args] = cases[i];
    const auto out = bad / ("out_" + std::to_string(i));
    auto r = run(recipe(args + " output.dir=" + out.string()));
    EXPECT_EQ(r.code, 2) << what << ": " << r.out;
    EXPECT_EQ(count_lines_with(r.out, "error:"), 1) << what << ": " << r.out;
    EXPECT_EQ(r.out.find("frame #"), std::string::npos) << what << ": " << r.out;
    EXPECT_FALSE(fs::exists(out / "prompt.safetensors")) << what;
    EXPECT_FALSE(fs::exists(out / "prompt.json")) << what;
  }
}

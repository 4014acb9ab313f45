// The unit encoder (recipes/common/unit_encoder.h): frame features -> normalized -> k-means units, saved and
// loaded next to the unit LM; and an end-to-end tiny run of pretrain_unit_lm (corpus of synthetic tones in a
// temp dir): training, the saved model + encoder, reuse on a second run, bad inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "modalities/speech/audio_io.h"
#include "models/unit_lm/model.h"
#include "recipes/common/unit_encoder.h"
#include "tests/recipes/recipe_test_util.h"

namespace fs = std::filesystem;
using namespace softprompt;

namespace {

// A "sentence" of tone segments: frequencies drawn by seed, 0.1-0.2 s each, 16 kHz. -> [N]
at::Tensor tone_sentence(int64_t seed, int64_t segments = 6) {
  auto gen = at::detail::createCPUGenerator(seed);
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < segments; ++i) {
    const double f = 200 + 1800 * torch::rand({1}, gen).item<double>();
    const int64_t n = 1600 + static_cast<int64_t>(1600 * torch::rand({1}, gen).item<double>());
    parts.push_back(0.3 * torch::sin(2 * M_PI * f * torch::arange(n, torch::kDouble) / 16000.0));
  }
  return torch::cat(parts).to(torch::kFloat) + 0.001 * torch::randn({1}, gen).to(torch::kFloat);
}

// A corpus folder as scripts/make_unit_lm_corpus.sh writes it (wavs/, sentences.tsv, .complete).
void write_tone_corpus(const fs::path& dir, int64_t n) {
  fs::create_directories(dir / "wavs");
  std::ofstream list(dir / "sentences.tsv");
  list << "id\tspeaker\ttext\n";
  for (int64_t i = 0; i < n; ++i) {
    const std::string id = "u" + std::to_string(i);
    modalities::speech::save_audio((dir / "wavs" / (id + ".wav")).string(), tone_sentence(i), 16000);
    list << id << "\ttone\ttones " << i << "\n";
  }
  std::ofstream(dir / ".complete") << "tones n=" << n << "\n";
}

}  // namespace

TEST(UnitEncoder, FitsSavesAndLoadsToIdenticalUnits) {
  recipes::UnitEncoderOptions o;
  o.num_units = 6;
  recipes::UnitEncoder enc(o);
  std::vector<at::Tensor> feats;
  for (int64_t i = 0; i < 4; ++i) feats.push_back(enc.raw_features(tone_sentence(i)));
  EXPECT_EQ(feats[0].size(1), 39);  // 13 MFCC + deltas + delta-deltas
  EXPECT_THROW(enc.encode(tone_sentence(9)), InputError);  // not fitted
  enc.fit(feats);
  const at::Tensor units = enc.encode(tone_sentence(9));
  ASSERT_GT(units.numel(), 0);
  EXPECT_GE(units.min().item<int64_t>(), 0);
  EXPECT_LT(units.max().item<int64_t>(), 6);
  // De-duplicated: no unit repeats its predecessor; without dedup one unit per 10 ms frame.
  EXPECT_EQ((units.slice(0, 1) == units.slice(0, 0, -1)).sum().item<int64_t>(), 0);
  EXPECT_LT(units.numel(), enc.raw_features(tone_sentence(9)).size(0));

  const fs::path dir = fs::temp_directory_path() / ("softprompt_unit_enc_" + std::to_string(::getpid()));
  enc.save(dir.string());
  const recipes::UnitEncoder back = recipes::UnitEncoder::load(dir.string());
  EXPECT_TRUE(torch::equal(back.encode(tone_sentence(9)), units));
  EXPECT_TRUE(torch::equal(back.kmeans().centroids(), enc.kmeans().centroids()));
  EXPECT_EQ(back.options().dedup, true);
  // A centroid file of another K is caught.
  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "unit_encoder.json"));
  j["num_units"] = 7;
  std::ofstream(dir / "unit_encoder.json") << j.dump();
  EXPECT_THROW(recipes::UnitEncoder::load(dir.string()), InputError);
  fs::remove(dir / "unit_encoder.json");
  EXPECT_THROW(recipes::UnitEncoder::load(dir.string()), IoError);
  fs::remove_all(dir);
}

TEST(UnitEncoder, LogMelFeaturesAndOptionChecks) {
  recipes::UnitEncoderOptions o;
  o.kind = recipes::UnitFeatureKind::kLogMel;
  o.n_mels = 20;
  recipes::UnitEncoder enc(o);
  const at::Tensor f = enc.raw_features(tone_sentence(1));
  EXPECT_EQ(f.size(1), 20);
  EXPECT_EQ(f.size(0), tone_sentence(1).numel() / 160 + 1);  // centred frames, hop 160
  recipes::UnitEncoderOptions bad;
  bad.kind = recipes::UnitFeatureKind::kHubert;  // needs a directory
  EXPECT_THROW(recipes::UnitEncoder{bad}, InputError);
  bad = {};
  bad.num_units = 0;
  EXPECT_THROW(recipes::UnitEncoder{bad}, InputError);
}

class PretrainUnitLmSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("softprompt_unit_lm_smoke_" + std::to_string(::getpid()));
    write_tone_corpus(root_ / "corpus", 12);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string recipe(const std::string& args) {
    return std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/pretrain_unit_lm --threads 1 corpus.heldout_every=4" +
           " units.k=8 model.n_layer=1 model.n_embd=16 model.n_head=2 model.context=8 train.max_steps=3" +
           " train.warmup_steps=1 train.eval_every=3 train.batch_size=4 " + args;
  }
  static inline fs::path root_;
};

TEST_F(PretrainUnitLmSmoke, TrainsSavesAndReuses) {
  const std::string out = (root_ / "lm").string();
  const std::string args = "corpus.dir=" + (root_ / "corpus").string() + " output.dir=" + out;
  auto r = test::run(recipe(args));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("held-out perplexity"), std::string::npos) << r.out;
  for (const char* f : {"config.json", "model.safetensors", "unit_encoder.json", "unit_kmeans.safetensors",
                        "unit_feature_stats.safetensors", "softprompt_pretrain.json", "pretrain_config.yaml"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  const auto report = nlohmann::json::parse(std::ifstream(out + "/softprompt_pretrain.json"));
  const double ppl = report["heldout_perplexity"].get<double>();
  EXPECT_GT(ppl, 1.0);
  EXPECT_LT(ppl, 12.0);  // vocabulary of 8 units + 3 specials: at most a little above uniform
  const auto model = models::unit_lm::load_pretrained(out);
  EXPECT_EQ(model->slots()[0], "units");
  EXPECT_EQ(models::unit_lm::read_config(out).num_units, 8);
  const auto enc = recipes::UnitEncoder::load(out);
  EXPECT_EQ(enc.num_units(), 8);

  auto again = test::run(recipe(args));
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("reusing"), std::string::npos) << again.out;
  // Another setting retrains.
  auto other = test::run(recipe(args + " train.seed=7"));
  ASSERT_EQ(other.code, 0) << other.out;
  EXPECT_EQ(other.out.find("reusing"), std::string::npos) << other.out;
}

TEST_F(PretrainUnitLmSmoke, BadInputsGiveOneErrorLineAndNoModel) {
  const fs::path bad = root_ / "bad_corpus";
  fs::copy(root_ / "corpus", bad, fs::copy_options::recursive);
  std::ofstream(bad / "wavs" / "u3.wav") << "not a wav file";
  const std::string out = (root_ / "bad_lm").string();
  for (const std::string& a : {"corpus.dir=" + (root_ / "missing").string(), "corpus.dir=" + bad.string(),
                               "corpus.dir=" + (root_ / "corpus").string() + " units.features=wavelets",
                               "corpus.dir=" + (root_ / "corpus").string() + " model.n_head=3",
                               "corpus.dir=" + (root_ / "corpus").string() + " units.k=100000"}) {
    SCOPED_TRACE(a);
    auto r = test::run(recipe(a + " output.dir=" + out));
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(test::count_lines_with(r.out, "error:"), 1) << r.out;
    EXPECT_FALSE(fs::exists(out));
  }
}

// Classification metrics, mean/std, and the JSON-lines log.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/metrics.h"

using namespace softprompt;
using namespace softprompt::core;
namespace fs = std::filesystem;

TEST(Metrics, AccuracyAndConfusionMatrix) {
  const std::vector<int64_t> pred = {0, 1, 2, 2, 1, 0, 2};
  const std::vector<int64_t> gold = {0, 1, 1, 2, 1, 2, 2};
  EXPECT_DOUBLE_EQ(accuracy(pred, gold), 5.0 / 7.0);
  auto m = confusion_matrix(pred, gold, 3);
  EXPECT_TRUE(torch::equal(m, torch::tensor({0 + 1, 0, 0, 0, 2, 1, 1, 0, 2}, torch::kLong).view({3, 3})));
  EXPECT_EQ(m.sum().item<int64_t>(), 7);
}

TEST(Metrics, MacroF1MatchesHandComputation) {
  const std::vector<int64_t> pred = {0, 1, 2, 2, 1, 0, 2};
  const std::vector<int64_t> gold = {0, 1, 1, 2, 1, 2, 2};
  // class 0: tp 1, fp 1, fn 0 -> 2/3; class 1: tp 2, fp 0, fn 1 -> 4/5; class 2: tp 2, fp 1, fn 1 -> 2/3
  EXPECT_NEAR(macro_f1(pred, gold, 3), (2.0 / 3 + 4.0 / 5 + 2.0 / 3) / 3, 1e-12);
  // a class absent from both is left out (scikit-learn without labels=); a missed class scores 0
  EXPECT_DOUBLE_EQ(macro_f1({0, 0}, {0, 0}, 4), 1.0);
  EXPECT_DOUBLE_EQ(macro_f1({0, 0}, {0, 1}, 2), (2.0 / 3 + 0.0) / 2);
  auto all = classification_metrics(pred, gold, 3);
  EXPECT_EQ(all.size(), 2u);
  EXPECT_DOUBLE_EQ(all.at("accuracy"), 5.0 / 7.0);
}

TEST(Metrics, BadInputsAreInputErrors) {
  EXPECT_THROW(accuracy({0, 1}, {0}), InputError);
  EXPECT_THROW(accuracy({}, {}), InputError);
  EXPECT_THROW(confusion_matrix({0, 3}, {0, 1}, 3), InputError);
  EXPECT_THROW(confusion_matrix({0, -1}, {0, 1}, 3), InputError);
  EXPECT_THROW(confusion_matrix({0}, {0}, 0), InputError);
  EXPECT_THROW(mean_std({}), InputError);
}

TEST(Metrics, MeanStdOverSeeds) {
  auto m = mean_std({0.8, 0.9, 1.0});
  EXPECT_NEAR(m.mean, 0.9, 1e-12);
  EXPECT_NEAR(m.std, 0.1, 1e-12);  // sample std (n - 1)
  EXPECT_EQ(m.n, 3);
  EXPECT_EQ(format_mean_std(m), "0.900 \u00b1 0.100 (n=3)");
  EXPECT_DOUBLE_EQ(mean_std({0.5}).std, 0.0);
}

TEST(Metrics, JsonLinesWriterAndResumeTruncation) {
  const auto dir = fs::temp_directory_path() / ("softprompt_metrics_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto path = (dir / "sub" / "m.jsonl").string();
  {
    JsonlWriter w(path, /*append=*/false);
    for (int s = 1; s <= 4; ++s) w.write({{"step", s}, {"loss", s == 2 ? std::nan("") : 0.5}});
  }
  {
    std::ofstream torn(path, std::ios::app);
    torn << "{\"step\": 5, \"lo";  // a line cut by a kill
  }
  truncate_jsonl_after_step(path, 3);
  const auto text = io::read_file(path);
  EXPECT_EQ(text, "{\"loss\":0.5,\"step\":1}\n{\"loss\":null,\"step\":2}\n{\"loss\":0.5,\"step\":3}\n");
  {
    JsonlWriter w(path, /*append=*/true);
    w.write({{"step", 4}});
  }
  EXPECT_EQ(io::read_file(path).substr(text.size()), "{\"step\":4}\n");
  EXPECT_THROW(JsonlWriter("/proc/nonexistent/x.jsonl", false), IoError);
  fs::remove_all(dir);
}

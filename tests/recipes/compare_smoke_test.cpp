// End-to-end smoke run of recipes/compare: a 2-method x 1-task x 1-seed grid of the sentiment recipe on a
// tiny random GPT-2: the table, CSV and plot, a re-run that skips the finished cells, a changed cell that runs
// again, and bad grid files that give one error line and exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "recipes/common/csv_table.h"
#include "tests/recipes/recipe_test_util.h"

namespace fs = std::filesystem;
using namespace softprompt;
using test::count_lines_with;
using test::run;

namespace {

class CompareSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("softprompt_compare_" + std::to_string(::getpid()));
    fs::create_directories(root_);
    test::write_tiny_text_lm(root_ / "backbone");
    test::write_tiny_sentiment(root_ / "data.jsonl");
    // The task's own config, as a shipped one would be (first line: its command).
    std::ofstream(root_ / "sentiment.yaml")
        << "# sentiment --config " << (root_ / "sentiment.yaml").string() << "\n"
        << "backbone:\n  path: " << (root_ / "backbone").string() << "\n"
        << "data:\n  train_file: " << (root_ / "data.jsonl").string() << "\n"
        << "prompt:\n  template: \"{soft:4} {text} It was {mask}\"\n  zero_shot: false\n"
        << "train:\n  batch_size: 4\n  warmup_steps: 1\n  eval_every: 2\n";
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string grid(const std::string& methods) {
    return "grid:\n  seeds: [1]\n  steps: 3\n  threads: 1\n"
           "output:\n  dir: " + (root_ / "out").string() + "\n"
           "tasks:\n  sentiment:\n    executable: sentiment\n    config: " + (root_ / "sentiment.yaml").string() +
           "\n    overrides: [train.lr=0.01]\n"
           "methods:\n" + methods;
  }
  static test::RunResult compare(const std::string& yaml, const std::string& name, const std::string& args = "") {
    const auto path = root_ / name;
    std::ofstream(path) << yaml;
    return run(std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/compare --threads 1 --config " + path.string() +
               " " + args);
  }
  static inline fs::path root_;
};

}  // namespace

TEST_F(CompareSmoke, RunsTheGridThenSkipsFinishedCells) {
  const auto methods = "  - name: prompt_tuning\n  - name: linear_probe\n    overrides: [train.lr=0.05]\n";
  auto r = compare(grid(methods), "grid.yaml");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto out = root_ / "out";
  ASSERT_TRUE(fs::exists(out / "table.md")) << r.out;
  EXPECT_TRUE(fs::exists(out / "accuracy_vs_trainable_sentiment.png"));
  const auto csv = recipes::read_csv_table((out / "table.csv").string());
  ASSERT_EQ(csv.rows.size(), 2u);
  const auto method = csv.column("method"), trainable = csv.column("trainable_params");
  EXPECT_EQ(csv.rows[0].fields[method], "prompt_tuning");
  EXPECT_EQ(csv.rows[0].fields[trainable], std::to_string(4 * 16));    // {soft:4} x D
  EXPECT_EQ(csv.rows[1].fields[trainable], std::to_string(16 * 2 + 2));  // linear head [2,16] + bias
  const auto cell = out / "cells/sentiment/linear_probe/seed_1";
  const auto record = nlohmann::json::parse(std::ifstream(cell / "cell.json"));
  EXPECT_EQ(record["results"]["method"], "linear_probe");
  EXPECT_GT(record["results"]["peak_rss_bytes"].get<int64_t>(), 0);
  const auto stamp = fs::last_write_time(cell / "cell.json");

  auto again = compare(grid(methods), "grid.yaml");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("2 already finished, 0 to run"), std::string::npos) << again.out;
  EXPECT_EQ(fs::last_write_time(cell / "cell.json"), stamp);

  // A changed budget changes every cell's command: they run again.
  auto changed = compare(grid(methods), "grid.yaml", "grid.steps=2");
  ASSERT_EQ(changed.code, 0) << changed.out;
  EXPECT_NE(changed.out.find("0 already finished, 2 to run"), std::string::npos) << changed.out;
}

TEST_F(CompareSmoke, BadGridFilesGiveOneErrorLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"malformed YAML", "grid: [1, 2\n"},
      {"unknown key", grid("  - name: lora\n") + "grid_size: 3\n"},
      {"method not a mapping", grid("  - lora\n")},
      {"unknown method", grid("  - name: lorra\n")},
      {"task without executable", "tasks:\n  sentiment:\n    config: x.yaml\nmethods:\n  - name: lora\n"},
      {"duplicate label", grid("  - name: lora\n  - name: lora\n")},
      {"no methods", grid("  []\n")},
  };
  for (const auto& [what, yaml] : cases) {
    auto r = compare(yaml, "bad.yaml");
    EXPECT_EQ(r.code, 2) << what << ": " << r.out;
    EXPECT_EQ(count_lines_with(r.out, "error:"), 1) << what << ": " << r.out;
  }
}

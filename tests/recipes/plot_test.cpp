// PNG plots: both kinds are written, read back with OpenCV, and have the expected size and content.
// Copies are left in <build>/test_outputs/plots/ for a person to look at.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/errors.h"
#include "core/metrics.h"
#include "recipes/common/plot.h"

using namespace softprompt;
using namespace softprompt::recipes;
namespace fs = std::filesystem;

namespace {

std::string out_dir() {
  const auto d = fs::path(SOFTPROMPT_BINARY_DIR) / "test_outputs" / "plots";
  fs::create_directories(d);
  return d.string();
}

// Pixels within `tol` of a BGR color.
int count_color(const cv::Mat& img, cv::Vec3b bgr, int tol = 10) {
  int n = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const auto p = img.at<cv::Vec3b>(y, x);
      n += std::abs(p[0] - bgr[0]) <= tol && std::abs(p[1] - bgr[1]) <= tol && std::abs(p[2] - bgr[2]) <= tol;
    }
  return n;
}

}  // namespace

TEST(Plot, CurvesPngHasSizeLinesAndLegend) {
  Series loss{"train loss", {}, {}}, dev{"dev loss", {}, {}};
  for (int s = 10; s <= 600; s += 10) {
    loss.xs.push_back(s);
    loss.ys.push_back(0.3 + 0.9 * std::exp(-s / 120.0) + 0.03 * std::sin(s / 7.0));
  }
  for (int s = 100; s <= 600; s += 100) {
    dev.xs.push_back(s);
    dev.ys.push_back(0.45 + 0.6 * std::exp(-s / 150.0));
  }
  dev.ys[2] = std::nan("");  // breaks the line, must not break the plot
  const auto path = out_dir() + "/curves.png";
  plot_curves(path, "loss (GPT-2 prompt tuning, toy)", {loss, dev}, "step", "loss", {900, 540});
  const cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 900);
  EXPECT_EQ(img.rows, 540);
  EXPECT_GT(count_color(img, {180, 119, 31}), 300);                       // first series: Tableau blue
  EXPECT_GT(count_color(img, {14, 127, 255}), 100);                       // second series: Tableau orange
  EXPECT_GT(count_color(img, {255, 255, 255}), img.rows * img.cols / 2);  // mostly white background
}

TEST(Plot, ConfusionPngHasCellsShadedByRowShare) {
  const std::vector<int64_t> gold = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2};
  const std::vector<int64_t> pred = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2, 2, 2, 2, 1, 0};
  const auto m = core::confusion_matrix(pred, gold, 3);
  const auto path = out_dir() + "/confusion.png";
  plot_confusion(path, {"negative", "positive", "a rather long neutral label"}, m, "dev confusion matrix");
  const cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  EXPECT_GT(img.cols, 300);
  EXPECT_GT(img.rows, 300);
  EXPECT_LT(img.cols, 1400);
  // the cell of row share 7/8 (first diagonal cell) is dark blue, a 0 cell nearly white
  EXPECT_GT(count_color(img, {134, 80, 33}, 6), 2000);
  EXPECT_GT(count_color(img, {255, 251, 247}, 3), 2000);

  // many classes: still readable size, no crash
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("class_" + std::to_string(i));
  auto big =
      torch::randint(0, 3, {40, 40}, torch::kLong) + torch::diag(torch::randint(10, 40, {40}, torch::kLong));
  plot_confusion(out_dir() + "/confusion_40.png", names, big);
  const cv::Mat img40 = cv::imread(out_dir() + "/confusion_40.png");
  ASSERT_FALSE(img40.empty());
  EXPECT_LT(img40.cols, 1400);
}

TEST(Plot, TrainingCurvesFromHistory) {
  core::trainer::History h;
  for (int s = 5; s <= 50; s += 5) h.train.push_back({s, s / 10.0, 1.0 / s, 0.3, 1.0});
  for (int s = 10; s <= 50; s += 10) h.eval.push_back({s, s / 10.0, {{"accuracy", 0.5 + s / 200.0}}});
  const auto files = plot_training(out_dir(), h, "accuracy");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(fs::path(files[0]).filename(), "loss.png");
  EXPECT_EQ(fs::path(files[1]).filename(), "dev_accuracy.png");
  for (const auto& f : files) EXPECT_FALSE(cv::imread(f).empty()) << f;
  EXPECT_EQ(plot_training(out_dir(), h, "macro_f1").size(), 1u);  // no such metric: loss only
}

TEST(Plot, BadInputsAreErrors) {
  const auto dir = out_dir();
  EXPECT_THROW(plot_curves(dir + "/x.png", "t", {}, "x", "y"), InputError);
  EXPECT_THROW(plot_curves(dir + "/x.png", "t", {{"a", {1, 2}, {1}}}, "x", "y"), InputError);
  EXPECT_THROW(plot_curves(dir + "/x.png", "t", {{"a", {1}, {std::nan("")}}}, "x", "y"), InputError);
  EXPECT_THROW(plot_curves(dir + "/x.png", "t", {{"a", {1}, {1}}}, "x", "y", {50, 50}), InputError);
  EXPECT_NO_THROW(
      plot_curves(dir + "/single.png", "", {{"", {3}, {0.5}}}, "x", "y"));  // one point, flat range
  EXPECT_THROW(plot_confusion(dir + "/c.png", {"a", "b"}, torch::zeros({3, 3})), InputError);
  EXPECT_THROW(plot_confusion(dir + "/c.png", {"a", "b"}, torch::zeros({2, 3})), InputError);
  EXPECT_THROW(plot_confusion(dir + "/c.png", {"a", "b"}, -torch::ones({2, 2})), InputError);
  EXPECT_THROW(plot_curves("/proc/no/such/dir/x.png", "t", {{"a", {1}, {1}}}, "x", "y"), IoError);
}

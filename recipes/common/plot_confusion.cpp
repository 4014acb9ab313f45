// plot_confusion(): declared in plot.h.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "recipes/common/plot.h"
#include "recipes/common/plot_draw.h"

namespace softprompt::recipes {
namespace {
using namespace draw;

// White -> mid blue -> dark blue (three stops of matplotlib's "Blues"), BGR.
cv::Scalar blues(double t) {
  const cv::Scalar light(255, 251, 247), mid(214, 174, 107), dark(107, 48, 8);
  t = std::clamp(t, 0.0, 1.0);
  return t < 0.5 ? light * (1 - 2 * t) + mid * (2 * t) : mid * (2 - 2 * t) + dark * (2 * t - 1);
}

// A vertical 0..100% scale right of the grid.
void draw_color_bar(cv::Mat& img, int x, int top, int height) {
  constexpr int kWidth = 14;
  for (int y = 0; y < height; ++y)
    cv::line(img, {x, top + y}, {x + kWidth - 1, top + y},
             blues(1.0 - static_cast<double>(y) / (height - 1)));
  cv::rectangle(img, cv::Rect(x, top, kWidth, height), kAxis, 1);
  for (int pct : {0, 50, 100}) {
    const int y = top + static_cast<int>(std::lround((100 - pct) / 100.0 * (height - 1)));
    cv::line(img, {x + kWidth, y}, {x + kWidth + 4, y}, kAxis, 1);
    put_text(img, std::to_string(pct) + "%", {x + kWidth + 7, y}, 0.42, kText, Align::kStart, Align::kCenter);
  }
}

at::Tensor checked_matrix(const std::string& path, const std::vector<std::string>& labels,
                          const at::Tensor& m) {
  if (!m.defined() || m.dim() != 2 || m.size(0) != m.size(1))
    throw InputError("confusion plot '" + path + "': the matrix must be square [C, C]");
  if (m.size(0) != static_cast<int64_t>(labels.size()) || labels.empty())
    throw InputError("confusion plot '" + path + "': " + std::to_string(labels.size()) + " labels for a " +
                     std::to_string(m.size(0)) + "x" + std::to_string(m.size(1)) + " matrix");
  auto d = m.detach().to(at::kCPU, at::kDouble).contiguous();
  if ((d < 0).any().item<bool>() || !d.isfinite().all().item<bool>())
    throw InputError("confusion plot '" + path + "': counts must be finite and >= 0");
  return d;
}

std::string count_text(double v) {
  char buf[32];
  if (v == std::floor(v) && v < 1e7)
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  else
    std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

struct Layout {
  int n, cell, left, top, label_scale_w;
  double label_scale, count_scale;
  bool vertical_x_labels, show_counts, show_labels;
};

Layout layout(const std::vector<std::string>& labels) {
  Layout l{};
  l.n = static_cast<int>(labels.size());
  l.cell = std::clamp(640 / l.n, 6, 110);
  l.label_scale = l.cell >= 40 ? 0.5 : 0.4;
  l.count_scale = std::clamp(l.cell / 110.0, 0.35, 0.65);
  l.show_counts = l.cell >= 24;
  l.show_labels = l.cell >= 12;
  int widest = 0;
  for (const auto& s : labels) widest = std::min(std::max(widest, text_size(s, l.label_scale).width), 160);
  l.label_scale_w = widest;
  l.vertical_x_labels = widest > l.cell - 6;
  l.left = (l.show_labels ? widest + 14 : 0) + 40;
  l.top = 64;
  return l;
}

void draw_cells(cv::Mat& img, const Layout& l, const at::Tensor& m) {
  auto a = m.accessor<double, 2>();
  for (int r = 0; r < l.n; ++r) {
    double row_sum = 0;
    for (int c = 0; c < l.n; ++c) row_sum += a[r][c];
    for (int c = 0; c < l.n; ++c) {
      const double share = row_sum > 0 ? a[r][c] / row_sum : 0;
      const cv::Rect cell(l.left + c * l.cell, l.top + r * l.cell, l.cell, l.cell);
      cv::rectangle(img, cell, blues(share), cv::FILLED);
      if (!l.show_counts) continue;
      const cv::Scalar ink = share > 0.5 ? kWhite : kText;
      const cv::Point mid(cell.x + l.cell / 2, cell.y + l.cell / 2);
      if (l.cell >= 60 && row_sum > 0) {
        char pct[16];
        std::snprintf(pct, sizeof(pct), "%.0f%%", 100 * share);
        put_text(img, count_text(a[r][c]), {mid.x, mid.y - 4}, l.count_scale, ink, Align::kCenter,
                 Align::kEnd);
        put_text(img, pct, {mid.x, mid.y + 6}, l.count_scale * 0.75, ink, Align::kCenter, Align::kStart);
      } else {
        put_text(img, count_text(a[r][c]), mid, l.count_scale, ink, Align::kCenter, Align::kCenter);
      }
    }
  }
  const int side = l.n * l.cell;
  if (l.cell >= 12)
    for (int i = 1; i < l.n; ++i) {
      cv::line(img, {l.left + i * l.cell, l.top}, {l.left + i * l.cell, l.top + side}, kWhite, 1);
      cv::line(img, {l.left, l.top + i * l.cell}, {l.left + side, l.top + i * l.cell}, kWhite, 1);
    }
  cv::rectangle(img, cv::Rect(l.left, l.top, side, side), kAxis, 1);
}

// Class names: true classes left of the rows, predicted classes under the columns; axis titles.
int draw_labels(cv::Mat& img, const Layout& l, const std::vector<std::string>& labels) {
  const int side = l.n * l.cell, bottom_of_grid = l.top + side;
  int x_labels_h = 0;
  for (int i = 0; l.show_labels && i < l.n; ++i) {
    const auto text = fit_text(labels[static_cast<size_t>(i)], l.label_scale, 160);
    const int center = l.top + i * l.cell + l.cell / 2;
    put_text(img, text, {l.left - 8, center}, l.label_scale, kText, Align::kEnd, Align::kCenter);
    const int cx = l.left + i * l.cell + l.cell / 2;
    const int w = text_size(text, l.label_scale).width;
    if (l.vertical_x_labels) {
      put_vertical_text(img, text, {cx, bottom_of_grid + 8 + w / 2}, l.label_scale, kText);
      x_labels_h = std::max(x_labels_h, w + 8);
    } else {
      put_text(img, text, {cx, bottom_of_grid + 8}, l.label_scale, kText, Align::kCenter, Align::kStart);
      x_labels_h = std::max(x_labels_h, text_size(text, l.label_scale).height + 8);
    }
  }
  const int title_y = bottom_of_grid + x_labels_h + 14;
  put_text(img, "predicted", {l.left + side / 2, title_y}, 0.6, kText, Align::kCenter, Align::kStart);
  const int label_w = l.show_labels ? l.label_scale_w + 14 : 0;
  put_vertical_text(img, "true", {l.left - label_w - 16, l.top + side / 2}, 0.6, kText);
  return title_y + 30;
}

}  // namespace

void plot_confusion(const std::string& path, const std::vector<std::string>& labels, const at::Tensor& matrix,
                    const std::string& title) {
  const auto m = checked_matrix(path, labels, matrix);
  const Layout l = layout(labels);
  const int side = l.n * l.cell;
  const int x_label_room = l.show_labels ? (l.vertical_x_labels ? l.label_scale_w + 16 : 26) : 0;
  const int bar_x = l.left + side + 18;
  const int width = std::max(bar_x + 60, text_size(title, 0.7, 2).width + 40);
  const int height = l.top + side + x_label_room + 48;
  cv::Mat img(height, width, CV_8UC3, kWhite);
  draw_cells(img, l, m);
  draw_labels(img, l, labels);
  draw_color_bar(img, bar_x, l.top, side);
  const int center =
      std::clamp(l.left + side / 2, width / 2 - 40, width / 2 + 40);  // over the grid, if it fits
  put_text(img, title, {center, 32}, 0.7, kText, Align::kCenter, Align::kEnd, 2);
  put_text(img, "color: share of the true class (row)", {center, 52}, 0.42, kAxis, Align::kCenter,
           Align::kEnd);
  save_png(path, img);
}

}  // namespace softprompt::recipes

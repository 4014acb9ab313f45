#include "recipes/common/plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "recipes/common/plot_draw.h"

namespace softprompt::recipes {
namespace {
using namespace draw;

// The plot area and its data ranges.
struct Frame {
  cv::Rect area;
  Axis x, y;
  cv::Point2d to_px(double vx, double vy) const {
    return {area.x + (vx - x.lo) / (x.hi - x.lo) * area.width,
            area.y + (y.hi - vy) / (y.hi - y.lo) * area.height};
  }
};

void check_series(const std::string& path, const std::vector<Series>& series) {
  if (series.empty()) throw InputError("plot '" + path + "': no series");
  bool any = false;
  for (const auto& s : series) {
    if (s.xs.size() != s.ys.size())
      throw InputError("plot '" + path + "': series '" + s.name + "' has " + std::to_string(s.xs.size()) +
                       " x values and " + std::to_string(s.ys.size()) + " y values");
    for (size_t i = 0; i < s.xs.size(); ++i) any |= std::isfinite(s.xs[i]) && std::isfinite(s.ys[i]);
  }
  if (!any) throw InputError("plot '" + path + "': no finite data point");
}

// [min, max] of the finite points' x (or y) values.
std::pair<double, double> data_range(const std::vector<Series>& series, bool x) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series)
    for (size_t i = 0; i < s.xs.size(); ++i) {
      if (!std::isfinite(s.xs[i]) || !std::isfinite(s.ys[i])) continue;
      lo = std::min(lo, x ? s.xs[i] : s.ys[i]);
      hi = std::max(hi, x ? s.xs[i] : s.ys[i]);
    }
  return {lo, hi};
}

// `x_tick` labels the x ticks (default: tick_label); a log axis shows 10^t.
void draw_axes(cv::Mat& img, const Frame& f, const std::string& x_label, const std::string& y_label,
               const std::function<std::string(double)>& x_tick = {}) {
  const double scale = 0.5;
  for (double t : f.x.ticks) {
    const int px = static_cast<int>(std::lround(f.to_px(t, f.y.lo).x));
    cv::line(img, {px, f.area.y}, {px, f.area.br().y}, kGrid, 1);
    cv::line(img, {px, f.area.br().y}, {px, f.area.br().y + 5}, kAxis, 1);
    put_text(img, x_tick ? x_tick(t) : tick_label(t, f.x.step), {px, f.area.br().y + 10}, scale, kText, Align::kCenter,
             Align::kStart);
  }
  int widest = 0;
  for (double t : f.y.ticks) {
    const int py = static_cast<int>(std::lround(f.to_px(f.x.lo, t).y));
    cv::line(img, {f.area.x, py}, {f.area.br().x, py}, kGrid, 1);
    cv::line(img, {f.area.x - 5, py}, {f.area.x, py}, kAxis, 1);
    const auto label = tick_label(t, f.y.step);
    widest = std::max(widest, text_size(label, scale).width);
    put_text(img, label, {f.area.x - 9, py}, scale, kText, Align::kEnd, Align::kCenter);
  }
  cv::rectangle(img, f.area, kAxis, 1);
  put_text(img, x_label, {f.area.x + f.area.width / 2, f.area.br().y + 36}, 0.6, kText, Align::kCenter,
           Align::kStart);
  put_vertical_text(img, y_label, {f.area.x - widest - 26, f.area.y + f.area.height / 2}, 0.6, kText);
}

void draw_series(cv::Mat& img, const Frame& f, const Series& s, const cv::Scalar& color) {
  constexpr int kShift = 4;  // sub-pixel coordinates for smooth anti-aliased lines
  auto fixed = [&](cv::Point2d p) { return cv::Point(cvRound(p.x * 16), cvRound(p.y * 16)); };
  std::vector<cv::Point> segment;
  auto flush = [&] {
    if (segment.size() > 1) cv::polylines(img, segment, false, color, 2, cv::LINE_AA, kShift);
    segment.clear();
  };
  size_t points = 0;
  for (size_t i = 0; i < s.xs.size(); ++i) points += std::isfinite(s.xs[i]) && std::isfinite(s.ys[i]);
  for (size_t i = 0; i < s.xs.size(); ++i) {
    if (!std::isfinite(s.xs[i]) || !std::isfinite(s.ys[i])) {
      flush();
      continue;
    }
    const auto p = fixed(f.to_px(s.xs[i], s.ys[i]));
    segment.push_back(p);
    if (points <= 40) cv::circle(img, p, 3 * 16, color, cv::FILLED, cv::LINE_AA, kShift);
  }
  flush();
}

// A legend box in the corner of the plot area that hides the fewest data points.
void draw_legend(cv::Mat& img, const Frame& f, const std::vector<Series>& series) {
  if (series.size() == 1 && series[0].name.empty()) return;
  const double scale = 0.5;
  int text_w = 0;
  for (const auto& s : series) text_w = std::max(text_w, text_size(s.name, scale).width);
  const int row = 22, w = 12 + 28 + 8 + text_w + 12, h = 8 + row * static_cast<int>(series.size()) + 4;
  const int m = 10;
  const std::array<cv::Rect, 4> corners = {cv::Rect(f.area.br().x - m - w, f.area.y + m, w, h),
                                           cv::Rect(f.area.x + m, f.area.y + m, w, h),
                                           cv::Rect(f.area.br().x - m - w, f.area.br().y - m - h, w, h),
                                           cv::Rect(f.area.x + m, f.area.br().y - m - h, w, h)};
  // Sample every line segment so that a line crossing a corner counts, not only its points.
  std::vector<cv::Point2d> samples;
  for (const auto& s : series)
    for (size_t i = 0; i < s.xs.size(); ++i) {
      if (!std::isfinite(s.xs[i]) || !std::isfinite(s.ys[i])) continue;
      const auto p = f.to_px(s.xs[i], s.ys[i]);
      samples.push_back(p);
      if (i + 1 < s.xs.size() && std::isfinite(s.xs[i + 1]) && std::isfinite(s.ys[i + 1])) {
        const auto q = f.to_px(s.xs[i + 1], s.ys[i + 1]);
        for (int k = 1; k < 16; ++k) samples.push_back(p + (q - p) * (k / 16.0));
      }
    }
  size_t best = 0, best_hits = std::numeric_limits<size_t>::max();
  for (size_t c = 0; c < corners.size(); ++c) {
    size_t hits = 0;
    for (const auto& p : samples) hits += corners[c].contains(p);
    if (hits < best_hits) best = c, best_hits = hits;
  }
  const cv::Rect box = corners[best];
  cv::rectangle(img, box, kWhite, cv::FILLED);
  cv::rectangle(img, box, cv::Scalar(200, 200, 200), 1);
  for (size_t i = 0; i < series.size(); ++i) {
    const int y = box.y + 8 + row * static_cast<int>(i) + row / 2;
    const auto& color = kPalette[i % 10];
    cv::line(img, {box.x + 12, y}, {box.x + 40, y}, color, 2, cv::LINE_AA);
    put_text(img, series[i].name, {box.x + 48, y}, scale, kText, Align::kStart, Align::kCenter);
  }
}

void check_size(const std::string& path, PlotSize size) {
  if (size.width < 200 || size.height < 150)
    throw InputError("plot '" + path + "': size " + std::to_string(size.width) + "x" +
                     std::to_string(size.height) + " is too small");
}

// The frame for `x`, the series' y range and room for the tick labels and the title.
Frame make_frame(const std::vector<Series>& series, Axis x, PlotSize size, const std::string& title) {
  Frame f;
  const auto [y_lo, y_hi] = data_range(series, false);
  f.x = std::move(x);
  f.y = nice_axis(y_lo, y_hi, 6);
  int label_w = 0;
  for (double t : f.y.ticks) label_w = std::max(label_w, text_size(tick_label(t, f.y.step), 0.5).width);
  const int left = label_w + 50, top = title.empty() ? 24 : 58, right = 30, bottom = 72;
  f.area = cv::Rect(left, top, size.width - left - right, size.height - top - bottom);
  return f;
}

// A decade axis over log10 values [lo, hi]: ticks at the integers, half a decade of room at the ends.
Axis decade_axis(double lo, double hi) {
  Axis a;
  a.lo = std::floor(lo - 0.5);
  a.hi = std::ceil(hi + 0.5);
  a.step = 1;
  for (double t = a.lo; t <= a.hi; t += 1) a.ticks.push_back(t);
  return a;
}

}  // namespace

void plot_scatter(const std::string& path, const std::string& title, const std::vector<Series>& series,
                  const std::string& x_label, const std::string& y_label, bool log_x, PlotSize size) {
  check_series(path, series);
  check_size(path, size);
  std::vector<Series> shown = series;  // x as drawn: log10(x) on a log axis
  for (auto& s : shown) {
    if (!s.labels.empty() && s.labels.size() != s.xs.size())
      throw InputError("plot '" + path + "': series '" + s.name + "' has " + std::to_string(s.labels.size()) +
                       " labels for " + std::to_string(s.xs.size()) + " points");
    for (auto& x : s.xs) {
      if (log_x && std::isfinite(x) && x <= 0)
        throw InputError("plot '" + path + "': x = " + std::to_string(x) + " on a log axis (series '" + s.name + "')");
      if (log_x) x = std::log10(x);
    }
  }
  const auto [x_lo, x_hi] = data_range(shown, true);
  Frame f = make_frame(shown, log_x ? decade_axis(x_lo, x_hi) : nice_axis(x_lo, x_hi, 8, 0.1), size, title);
  f.y = nice_axis(f.y.lo, f.y.hi, 6, 0.08);  // room above and below the points for their labels
  cv::Mat img(size.height, size.width, CV_8UC3, kWhite);
  draw_axes(img, f, x_label, y_label, [&](double t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", log_x ? std::pow(10.0, t) : t);
    return std::string(buf);
  });
  for (size_t i = 0; i < shown.size(); ++i)
    for (size_t k = 0; k < shown[i].xs.size(); ++k) {
      if (!std::isfinite(shown[i].xs[k]) || !std::isfinite(shown[i].ys[k])) continue;
      const cv::Point p = f.to_px(shown[i].xs[k], shown[i].ys[k]);
      cv::circle(img, p, 6, kPalette[i % 10], cv::FILLED, cv::LINE_AA);
      if (!shown[i].labels.empty())
        put_text(img, shown[i].labels[k], p + cv::Point(9, -6), 0.45, kText, Align::kStart, Align::kEnd);
    }
  if (!title.empty()) put_text(img, title, {size.width / 2, 36}, 0.75, kText, Align::kCenter, Align::kEnd, 2);
  save_png(path, img);
}

void plot_curves(const std::string& path, const std::string& title, const std::vector<Series>& series,
                 const std::string& x_label, const std::string& y_label, PlotSize size) {
  check_series(path, series);
  check_size(path, size);
  cv::Mat img(size.height, size.width, CV_8UC3, kWhite);
  const auto [x_lo, x_hi] = data_range(series, true);
  Frame f = make_frame(series, nice_axis(x_lo, x_hi, 8), size, title);
  draw_axes(img, f, x_label, y_label);
  for (size_t i = 0; i < series.size(); ++i) draw_series(img, f, series[i], kPalette[i % 10]);
  draw_legend(img, f, series);
  if (!title.empty()) put_text(img, title, {size.width / 2, 36}, 0.75, kText, Align::kCenter, Align::kEnd, 2);
  save_png(path, img);
}

std::vector<std::string> plot_training(const std::string& dir, const core::trainer::History& history,
                                       const std::string& metric, const std::string& split) {
  namespace fs = std::filesystem;
  std::vector<std::string> written;
  auto [steps, losses] = history.loss_curve();
  if (!steps.empty()) {
    written.push_back((fs::path(dir) / "loss.png").string());
    plot_curves(written.back(), "training loss", {{"", steps, losses}}, "step", "train loss");
  }
  auto [eval_steps, values] = history.eval_curve(metric);
  if (!eval_steps.empty()) {
    const std::string name = split + "_" + metric;
    written.push_back((fs::path(dir) / (name + ".png")).string());
    plot_curves(written.back(), split + " " + metric, {{"", eval_steps, values}}, "step", name);
  }
  return written;
}

}  // namespace softprompt::recipes

#include "recipes/common/plot_draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::recipes::draw {
namespace {
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
}

const cv::Scalar kPalette[10] = {{180, 119, 31},  {14, 127, 255}, {44, 160, 44},   {40, 39, 214},
                                 {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                                 {34, 189, 188},  {207, 190, 23}};
const cv::Scalar kWhite(255, 255, 255), kText(40, 40, 40), kGrid(230, 230, 230), kAxis(120, 120, 120);

cv::Size text_size(const std::string& text, double scale, int thickness) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, thickness, &baseline);
}

void put_text(cv::Mat& img, const std::string& text, cv::Point at, double scale, const cv::Scalar& color,
              Align h, Align v, int thickness) {
  const cv::Size s = text_size(text, scale, thickness);
  const int x = h == Align::kStart ? at.x : h == Align::kCenter ? at.x - s.width / 2 : at.x - s.width;
  const int y = v == Align::kEnd ? at.y : v == Align::kCenter ? at.y + s.height / 2 : at.y + s.height;
  cv::putText(img, text, {x, y}, kFont, scale, color, thickness, cv::LINE_AA);
}

void put_vertical_text(cv::Mat& img, const std::string& text, cv::Point center, double scale,
                       const cv::Scalar& color) {
  const cv::Size s = text_size(text, scale);
  cv::Mat tile(s.height + 8, s.width + 4, img.type(), kWhite);
  cv::putText(tile, text, {2, s.height + 2}, kFont, scale, color, 1, cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(tile, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect r(center.x - rotated.cols / 2, center.y - rotated.rows / 2, rotated.cols, rotated.rows);
  const cv::Rect clipped = r & cv::Rect(0, 0, img.cols, img.rows);
  if (clipped.area() > 0)
    rotated(cv::Rect(clipped.x - r.x, clipped.y - r.y, clipped.width, clipped.height)).copyTo(img(clipped));
}

std::string fit_text(const std::string& text, double scale, int max_width) {
  if (text_size(text, scale).width <= max_width) return text;
  std::string t = text;
  while (!t.empty() && text_size(t + "..", scale).width > max_width) t.pop_back();
  return t + "..";
}

Axis nice_axis(double lo, double hi, int max_ticks, double pad) {
  if (!(hi > lo)) {
    const double spread = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= spread;
    hi += spread;
  }
  Axis a;
  a.lo = lo - pad * (hi - lo);
  a.hi = hi + pad * (hi - lo);
  const double raw = (a.hi - a.lo) / std::max(max_ticks, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double n = raw / mag;
  a.step = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
  const double first = std::ceil(a.lo / a.step - 1e-9) * a.step;
  for (int i = 0; first + i * a.step <= a.hi + a.step * 1e-9; ++i) {
    const double v = first + i * a.step;
    a.ticks.push_back(std::fabs(v) < a.step * 1e-9 ? 0.0 : v);  // no "-0"
  }
  return a;
}

std::string tick_label(double v, double step) {
  int decimals = 0;
  for (; decimals < 8; ++decimals) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
  }
  char buf[48];
  if (std::fabs(v) >= 1e6)
    std::snprintf(buf, sizeof(buf), "%.3g", v);
  else
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

void save_png(const std::string& path, const cv::Mat& img) {
  std::vector<uchar> png;
  if (!cv::imencode(".png", img, png)) throw IoError("cannot encode a PNG for '" + path + "'");
  core::io::write_file_atomically(path, std::string(png.begin(), png.end()));
}

}  // namespace softprompt::recipes::draw

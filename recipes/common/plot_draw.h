#pragma once
// Drawing helpers shared by plot.cpp and plot_confusion.cpp (OpenCV): anchored and rotated text, "nice"
// axis ticks, the palette, atomic PNG output. Internal to the plots.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace softprompt::recipes::draw {

extern const cv::Scalar kPalette[10];  // Tableau-10, BGR
extern const cv::Scalar kWhite, kText, kGrid, kAxis;

enum class Align { kStart, kCenter, kEnd };

// Draws `text` so that `at` is its (start|center|end, top|middle|bottom) point (Align::kEnd = baseline).
void put_text(cv::Mat& img, const std::string& text, cv::Point at, double scale, const cv::Scalar& color,
              Align h = Align::kStart, Align v = Align::kEnd, int thickness = 1);
cv::Size text_size(const std::string& text, double scale, int thickness = 1);
// Text rotated 90 degrees counter-clockwise (read bottom to top), centered on `center`.
void put_vertical_text(cv::Mat& img, const std::string& text, cv::Point center, double scale,
                       const cv::Scalar& color);
// Shortens `text` with ".." so that it is at most `max_width` pixels wide.
std::string fit_text(const std::string& text, double scale, int max_width);

// Axis limits: the data range widened by `pad` of its span on each side (so no point sits on the frame), and
// ticks inside them on a 1-2-2.5-5 grid (Heckbert's "nice numbers"), about `max_ticks` of them.
struct Axis {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> ticks;
};
Axis nice_axis(double lo, double hi, int max_ticks, double pad = 0.04);
// As many decimals as the tick step needs: 0.25 -> "0.25", 20 -> "20".
std::string tick_label(double v, double step);

// Encodes PNG and writes it atomically. Throws IoError naming the path.
void save_png(const std::string& path, const cv::Mat& img);

}  // namespace softprompt::recipes::draw

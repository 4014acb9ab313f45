#pragma once
// PNG plots for run reports, drawn with OpenCV (no plotting library on the machine): line plots of training
// curves (loss, dev metric) and confusion matrices. Axes with "nice" numbered ticks, grid, legend, titles;
// files are written atomically. Bad input (empty or mismatched data) throws InputError, files IoError.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/trainer/history.h"

namespace softprompt::recipes {

struct Series {
  std::string name;        // legend entry
  std::vector<double> xs;  // same length as ys; non-finite points break the line
  std::vector<double> ys;
  std::vector<std::string> labels;  // optional text beside each point (plot_scatter)
};

struct PlotSize {
  int width = 960;
  int height = 600;
};

// One line per series, colors from the Tableau-10 palette, a legend when there is more than one series or
// the series has a name.
void plot_curves(const std::string& path, const std::string& title, const std::vector<Series>& series,
                 const std::string& x_label, const std::string& y_label, PlotSize size = {});

// Points without lines (one color and legend entry per series), each with its label beside it. With `log_x`
// the x axis is log10 with a tick per decade (every finite x must then be > 0, else InputError): e.g.
// accuracy against the trainable share of a model, which spans 0.001 % to 100 %.
void plot_scatter(const std::string& path, const std::string& title, const std::vector<Series>& series,
                  const std::string& x_label, const std::string& y_label, bool log_x, PlotSize size = {});

// `matrix`: [C, C] counts, row = true class, column = predicted class (core::confusion_matrix). Cells show
// the count (and the row percentage when there is room); the color is the share of the true class, so small
// classes stay readable. The image is square-ish and grows with C (up to ~1000 px).
void plot_confusion(const std::string& path, const std::vector<std::string>& labels, const at::Tensor& matrix,
                    const std::string& title = "confusion matrix");

// The standard curves of a training run into `dir`: loss.png (train loss per log step) and
// <split>_<metric>.png (each evaluation), the latter only when the history has that metric. Returns the
// paths.
std::vector<std::string> plot_training(const std::string& dir, const core::trainer::History& history,
                                       const std::string& metric, const std::string& split = "dev");

}  // namespace softprompt::recipes

#include "recipes/compare/compare_report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/metrics.h"
#include "recipes/common/plot.h"

namespace softprompt::recipes::compare {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 1234567 -> "1,234,567": parameter counts span six orders of magnitude.
std::string grouped(int64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string bytes_text(int64_t b) {
  if (b < 10 * 1024) return std::to_string(b) + " B";
  if (b < 10 * 1024 * 1024) return fmt("%.1f KiB", b / 1024.0);
  return fmt("%.1f MiB", b / (1024.0 * 1024.0));
}

ReportRow& row_for(std::vector<ReportRow>& rows, const std::string& task, const std::string& method) {
  for (auto& r : rows)
    if (r.task == task && r.method == method) return r;
  rows.push_back({});
  rows.back().task = task;
  rows.back().method = method;
  return rows.back();
}

}  // namespace

std::vector<ReportRow> aggregate(const std::vector<CellRecord>& cells,
                                 const std::vector<std::pair<std::string, std::string>>& failed) {
  std::vector<ReportRow> rows;
  std::map<std::pair<std::string, std::string>, double> seconds;
  for (const auto& c : cells) {
    auto& r = row_for(rows, c.task, c.method);
    const auto& j = c.results;
    r.accuracy.push_back(j.at("accuracy_mean").get<double>());
    r.trainable_params = j.at("trainable_params").get<int64_t>();
    r.backbone_params = j.at("backbone_params").get<int64_t>();
    r.trainable_percent = j.at("trainable_percent").get<double>();
    r.artifact_bytes = std::max(r.artifact_bytes, j.at("artifact_bytes").get<int64_t>());
    r.peak_rss_bytes = std::max(r.peak_rss_bytes, j.at("peak_rss_bytes").get<int64_t>());
    seconds[{c.task, c.method}] += j.at("train_seconds").get<double>();
  }
  for (auto& r : rows) {
    const auto ms = core::mean_std(r.accuracy);
    r.accuracy_mean = ms.mean;
    r.accuracy_std = ms.std;
    r.train_seconds = seconds[{r.task, r.method}] / static_cast<double>(r.accuracy.size());
  }
  for (const auto& [task, method] : failed) ++row_for(rows, task, method).failed;
  return rows;
}

std::string markdown_table(const std::vector<ReportRow>& rows, int64_t steps) {
  std::ostringstream o;
  o << "| task | method | test accuracy (mean ± std) | seeds | trainable params | % of backbone | artifact | "
       "train time / seed | peak RSS |\n"
    << "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : rows) {
    o << "| " << r.task << " | " << r.method << " | ";
    if (r.accuracy.empty()) {
      o << "failed | 0 | | | | | |\n";
      continue;
    }
    o << fmt("%.1f", 100 * r.accuracy_mean) << " ± " << fmt("%.1f", 100 * r.accuracy_std) << " | "
      << r.accuracy.size() << (r.failed ? " (+" + std::to_string(r.failed) + " failed)" : "") << " | "
      << grouped(r.trainable_params) << " | " << fmt(r.trainable_percent < 0.1 ? "%.4f" : "%.2f", r.trainable_percent)
      << " | " << bytes_text(r.artifact_bytes) << " | " << fmt("%.1f s", r.train_seconds) << " | "
      << fmt("%.0f MiB", r.peak_rss_bytes / (1024.0 * 1024.0)) << " |\n";
  }
  o << "\n" << steps << " optimizer steps per cell; accuracy in %, on each task's held-out test split.\n";
  return o.str();
}

std::string csv_table(const std::vector<ReportRow>& rows) {
  std::ostringstream o;
  o << "task,method,accuracy_mean,accuracy_std,seeds,failed,trainable_params,backbone_params,trainable_percent,"
       "artifact_bytes,train_seconds_per_seed,peak_rss_bytes\n";
  for (const auto& r : rows)
    o << r.task << ',' << r.method << ',' << fmt("%.6f", r.accuracy_mean) << ',' << fmt("%.6f", r.accuracy_std)
      << ',' << r.accuracy.size() << ',' << r.failed << ',' << r.trainable_params << ',' << r.backbone_params
      << ',' << fmt("%.6g", r.trainable_percent) << ',' << r.artifact_bytes << ','
      << fmt("%.3f", r.train_seconds) << ',' << r.peak_rss_bytes << '\n';
  return o.str();
}

std::vector<std::string> plot_rows(const std::vector<ReportRow>& rows, const std::string& dir) {
  std::vector<std::string> tasks, written;
  for (const auto& r : rows)
    if (!r.accuracy.empty() && r.trainable_percent > 0 &&
        std::find(tasks.begin(), tasks.end(), r.task) == tasks.end())
      tasks.push_back(r.task);
  for (const auto& task : tasks) {
    std::vector<Series> series;  // one per method: its own color and legend entry
    for (const auto& r : rows)
      if (r.task == task && !r.accuracy.empty() && r.trainable_percent > 0)
        series.push_back({r.method, {r.trainable_percent}, {100 * r.accuracy_mean}, {r.method}});
    written.push_back((std::filesystem::path(dir) / ("accuracy_vs_trainable_" + task + ".png")).string());
    plot_scatter(written.back(), task + ": accuracy vs trainable parameters", series,
                 "trainable parameters, % of the backbone (log scale)", "test accuracy (%)", /*log_x=*/true);
  }
  return written;
}

}  // namespace softprompt::recipes::compare

#pragma once
// The grid's report: one row per (task, method) aggregated over the seed cells, written as a Markdown table,
// a CSV file and one PNG per task (accuracy vs trainable % of the backbone, log x).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace softprompt::recipes::compare {

// A finished cell as compare recorded it (<cell>/cell.json): the recipe's results.json under "results".
struct CellRecord {
  std::string task, method;  // method: the grid's label
  int64_t seed = 0;
  nlohmann::json results;    // method_report keys (recipes/common/method_report.h)
  double wall_seconds = 0;   // the whole child process
};

struct ReportRow {
  std::string task, method;
  std::vector<double> accuracy;  // one per finished seed
  double accuracy_mean = 0, accuracy_std = 0;
  int64_t trainable_params = 0, backbone_params = 0;
  double trainable_percent = 0;
  int64_t artifact_bytes = 0;
  double train_seconds = 0;    // mean per seed
  int64_t peak_rss_bytes = 0;  // max over seeds
  int failed = 0;              // cells of this row that failed
};

// Rows in the order of first appearance; `failed` lists (task, method) of failed cells.
std::vector<ReportRow> aggregate(const std::vector<CellRecord>& cells,
                                 const std::vector<std::pair<std::string, std::string>>& failed);

std::string markdown_table(const std::vector<ReportRow>& rows, int64_t steps);
std::string csv_table(const std::vector<ReportRow>& rows);
// <dir>/accuracy_vs_trainable_<task>.png per task with at least one finished row; returns the paths.
std::vector<std::string> plot_rows(const std::vector<ReportRow>& rows, const std::string& dir);

}  // namespace softprompt::recipes::compare

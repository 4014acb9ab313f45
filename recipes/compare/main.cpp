// compare: a grid of methods x tasks x seeds with one step budget, each cell a child process running the
// task's recipe with overrides (recipes/common/compare_config.h), then a table of accuracy, trainable share,
// artifact size, training time and peak memory.
//   compare --config recipes/configs/compare/starter_grid.yaml [key=value ...]
// Resumable: a cell whose cell.json records the same command hash is not run again, so re-running an
// interrupted (or extended) grid continues where it stopped. A failed cell is reported and retried next time.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/progress.h"
#include "recipes/common/compare_config.h"
#include "recipes/common/recipe_main.h"
#include "recipes/compare/cell_runner.h"
#include "recipes/compare/compare_report.h"

namespace fs = std::filesystem;
using namespace softprompt;
using namespace softprompt::recipes;
using namespace softprompt::recipes::compare;

namespace {

// The user stopped the grid (Ctrl-C reaches the running cell too).
struct GridInterrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Recipe executables are built next to this one (build/recipes/).
std::string recipes_dir() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

// The cell's record when it finished under the same command, else nullopt.
std::optional<CellRecord> finished(const Cell& cell) {
  const auto path = cell.dir + "/cell.json";
  if (!fs::exists(path)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(core::io::read_file(path));
    if (j.at("hash") != cell.hash) return std::nullopt;
    return CellRecord{cell.task->name, cell.method->label, cell.seed, j.at("results"), j.at("wall_seconds")};
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable or from an older layout: run the cell again
  }
}

std::string cell_name(const Cell& c) {
  return c.task->name + " / " + c.method->label + " / seed " + std::to_string(c.seed);
}

// Runs one cell; returns its record, or nullopt when it failed (reason printed). Throws GridInterrupted
// when the user stopped it.
std::optional<CellRecord> run_cell(const Cell& cell, core::Progress& progress) {
  fs::remove_all(cell.dir);  // a stale attempt (other command, crash) must not leave files in the new one
  fs::create_directories(cell.dir);
  std::string cmd;
  for (const auto& a : cell.argv) cmd += (cmd.empty() ? "" : " ") + a;
  core::io::write_file_atomically(cell.dir + "/command.txt", cmd + "\n");
  const auto log = cell.dir + "/log.txt";
  const CellExit e = run_cell_process(cell.argv, log);
  if (e.interrupted()) throw GridInterrupted("interrupted during " + cell_name(cell) + "; re-run to continue");
  const auto results_path = cell.dir + "/run/results.json";
  std::string why;
  nlohmann::json results;
  if (e.exit_code != 0) {
    why = e.describe() + ": " + last_error_line(log);
  } else {
    try {
      results = nlohmann::json::parse(core::io::read_file(results_path));
      for (const char* k : {"accuracy_mean", "trainable_params", "backbone_params", "trainable_percent",
                            "artifact_bytes", "train_seconds", "peak_rss_bytes"})
        if (!results.contains(k)) why = results_path + " has no '" + k + "'";
    } catch (const std::exception& ex) {
      why = ex.what();
    }
  }
  if (!why.empty()) {
    progress.message("[compare] FAILED " + cell_name(cell) + ": " + why + " (log: " + log + ")");
    return std::nullopt;
  }
  const nlohmann::json record = {{"hash", cell.hash},       {"task", cell.task->name},
                                 {"method", cell.method->label}, {"seed", cell.seed},
                                 {"command", cell.argv},     {"wall_seconds", e.wall_seconds},
                                 {"child_peak_rss_bytes", e.peak_rss_bytes}, {"results", results}};
  core::io::write_file_atomically(cell.dir + "/cell.json", record.dump(2) + "\n");
  progress.message("[compare] " + cell_name(cell) + ": accuracy " +
                   core::format_value(results["accuracy_mean"].get<double>()) + " in " +
                   core::Progress::format_duration(e.wall_seconds));
  return CellRecord{cell.task->name, cell.method->label, cell.seed, results, e.wall_seconds};
}

void write_report(const Config& c, const std::vector<CellRecord>& done,
                  const std::vector<std::pair<std::string, std::string>>& failed) {
  if (done.empty() && failed.empty()) return;
  const auto rows = aggregate(done, failed);
  const auto md = markdown_table(rows, c.steps);
  core::io::write_file_atomically(c.output_dir + "/table.md", md);
  core::io::write_file_atomically(c.output_dir + "/table.csv", csv_table(rows));
  const auto plots = plot_rows(rows, c.output_dir);
  std::cout << "\n" << md << "\n  table: " << c.output_dir << "/table.md, " << c.output_dir << "/table.csv\n";
  for (const auto& p : plots) std::cout << "  plot: " << p << "\n";
}

int run(const RecipeArgs& args) {
  if (args.help) {
    std::cout << "compare --config GRID.yaml [key=value ...]\n" << schema().help_text();
    return 0;
  }
  const Config c = read_config(args.config_path, args.overrides);
  const auto cells = expand_cells(c, recipes_dir());
  fs::create_directories(c.output_dir);
  std::vector<std::optional<CellRecord>> records(cells.size());  // in grid order, for the table's row order
  int64_t finished_before = 0;
  for (size_t i = 0; i < cells.size(); ++i) finished_before += (records[i] = finished(cells[i])).has_value();
  std::cout << "[compare] " << cells.size() << " cells (" << c.task_names.size() << " tasks x " << c.methods.size()
            << " methods x " << c.seeds.size() << " seeds, " << c.steps << " steps each); " << finished_before
            << " already finished, " << cells.size() - finished_before << " to run\n";
  core::Progress progress(std::cerr, core::Progress::stderr_is_tty(), static_cast<int64_t>(cells.size()),
                          /*every=*/1, finished_before, "grid");
  std::vector<std::pair<std::string, std::string>> failed;
  auto report = [&] {
    progress.finish();
    std::vector<CellRecord> done;
    for (const auto& r : records)
      if (r) done.push_back(*r);
    write_report(c, done, failed);
  };
  try {
    int64_t handled = finished_before;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (records[i]) continue;
      progress.message("[compare] running " + cell_name(cells[i]));
      records[i] = run_cell(cells[i], progress);
      if (!records[i]) failed.emplace_back(cells[i].task->name, cells[i].method->label);
      progress.update(++handled, {});
    }
  } catch (const GridInterrupted& e) {
    report();
    std::cerr << "compare: " << e.what() << "\n";
    return 130;
  }
  report();
  if (!failed.empty()) {
    std::cerr << "compare: error: " << failed.size() << " of " << cells.size()
              << " cells failed (their log.txt says why); re-run to retry them\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run_recipe("compare", argc, argv, run); }

#pragma once
// The compare recipe's grid (recipes/configs/compare/*.yaml): methods x tasks x seeds with one step budget.
// Tasks are data: a name -> the recipe executable that trains one cell, its config, its overrides, and the
// override patterns that select a method, a seed, the step budget and the output directory, so a new task
// (image classification, keyword spotting) is a few lines of YAML, not code. Patterns may use {method},
// {options} (the method's options as a flow mapping), {seed}, {steps} and {dir}.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/config/schema.h"

namespace softprompt::recipes::compare {

struct TaskSpec {
  std::string name;
  std::string executable;              // a recipe name (found beside `compare`) or a path
  std::string config;                  // the recipe's --config file
  std::vector<std::string> overrides;  // key=value for every cell of this task
  std::vector<std::string> select;     // the patterns (method, options, seed, steps, dir)
};

struct MethodSpec {
  std::string label;                    // the table's row name; default: name
  std::string name;                     // method.name
  nlohmann::json options = nlohmann::json::object();
  std::vector<std::string> overrides;   // key=value for this method in every task (e.g. its learning rate)
  std::map<std::string, std::vector<std::string>> task_overrides;  // task name -> extra key=value
};

struct Config {
  nlohmann::json tasks_json, methods_json;  // raw sections; parsed into `tasks` / `methods` by read_config
  std::vector<std::string> task_names;      // which tasks run (default: all, in file order)
  std::vector<int64_t> seeds;
  int64_t steps = 0;                        // optimizer steps per cell, the same for every method
  int threads = 0;                          // --threads for each cell (0 = the recipe's default)
  std::string output_dir;
  std::vector<TaskSpec> tasks;
  std::vector<MethodSpec> methods;
};

// One run: a task's recipe training one method with one seed.
struct Cell {
  const TaskSpec* task;
  const MethodSpec* method;
  int64_t seed;
  std::string dir;                    // <output>/cells/<task>/<method label>/seed_<seed>
  std::vector<std::string> argv;      // the full command (argv[0] = the executable)
  std::string hash;                   // of the command and the config file's contents: a changed cell re-runs
};

core::config::Schema<Config> schema();
// Reads and validates the grid (InputError naming the entry for a task without executable/config, an
// unknown task name, duplicate labels, a method that is not a mapping, no seeds, ...).
Config read_config(const std::string& path, const std::vector<std::string>& overrides);
// Every cell in run order (task, then method, then seed). `recipes_dir` is where recipe executables live.
std::vector<Cell> expand_cells(const Config& c, const std::string& recipes_dir);

}  // namespace softprompt::recipes::compare

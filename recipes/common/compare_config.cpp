#include "recipes/common/compare_config.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "recipes/common/method_config.h"

namespace fs = std::filesystem;

namespace softprompt::recipes::compare {

namespace {

const std::vector<std::string> kDefaultSelect = {"method.name={method}", "method.options={options}",
                                                 "train.seeds=[{seed}]", "train.max_steps={steps}",
                                                 "output.dir={dir}"};

std::vector<std::string> string_list(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return {};
  if (!j.is_array()) throw InputError(where + " must be a list of strings, got " + j.dump());
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) throw InputError(where + " must be a list of strings, got " + j.dump());
    out.push_back(v.get<std::string>());
  }
  return out;
}

void check_keys(const nlohmann::json& j, const std::set<std::string>& known, const std::string& where) {
  for (const auto& [k, v] : j.items())
    if (!known.count(k)) {
      std::string all;
      for (const auto& n : known) all += (all.empty() ? "" : ", ") + n;
      throw InputError(where + ": unknown key '" + k + "' (keys: " + all + ")");
    }
}

std::string required_string(const nlohmann::json& j, const std::string& key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
    throw InputError(where + " needs '" + key + "' (a non-empty string)");
  return j[key].get<std::string>();
}

std::vector<TaskSpec> parse_tasks(const nlohmann::json& j) {
  if (!j.is_object() || j.empty())
    throw InputError("tasks must be a mapping of task name -> {executable, config, overrides, select}");
  std::vector<TaskSpec> out;
  for (const auto& [name, t] : j.items()) {
    const std::string where = "tasks." + name;
    if (!t.is_object()) throw InputError(where + " must be a mapping, got " + t.dump());
    check_keys(t, {"executable", "config", "overrides", "select"}, where);
    TaskSpec s{name, required_string(t, "executable", where), required_string(t, "config", where),
               string_list(t.value("overrides", nlohmann::json()), where + ".overrides"),
               string_list(t.value("select", nlohmann::json()), where + ".select")};
    if (s.select.empty()) s.select = kDefaultSelect;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<MethodSpec> parse_methods(const nlohmann::json& j) {
  if (!j.is_array() || j.empty()) throw InputError("methods must be a non-empty list of {name, options, overrides}");
  std::vector<MethodSpec> out;
  std::set<std::string> labels;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& m = j[i];
    const std::string where = "methods[" + std::to_string(i) + "]";
    if (!m.is_object()) throw InputError(where + " must be a mapping such as {name: lora}, got " + m.dump());
    check_keys(m, {"name", "label", "options", "overrides", "task_overrides"}, where);
    MethodSpec s;
    s.name = required_string(m, "name", where);
    s.label = m.contains("label") ? required_string(m, "label", where) : s.name;
    s.options = m.value("options", nlohmann::json::object());
    if (!s.options.is_object()) throw InputError(where + ".options must be a mapping, got " + s.options.dump());
    validate_method_config({s.name, s.options});  // a typo fails here, not in every cell
    s.overrides = string_list(m.value("overrides", nlohmann::json()), where + ".overrides");
    const auto to = m.value("task_overrides", nlohmann::json::object());
    if (!to.is_object()) throw InputError(where + ".task_overrides must map task names to lists");
    for (const auto& [task, list] : to.items())
      s.task_overrides[task] = string_list(list, where + ".task_overrides." + task);
    if (s.label.find_first_of("/ ") != std::string::npos)
      throw InputError(where + ": label '" + s.label + "' must not contain '/' or spaces (it names a folder)");
    if (!labels.insert(s.label).second)
      throw InputError(where + ": label '" + s.label + "' is used twice; give one of them another label");
    out.push_back(std::move(s));
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// "key=~/x" -> "key=$HOME/x": cells run without a shell, so nothing else would expand it.
std::string expand_home(const std::string& override_arg) {
  const auto eq = override_arg.find('=');
  const char* home = std::getenv("HOME");
  if (eq == std::string::npos || !home || override_arg.compare(eq + 1, 2, "~/") != 0) return override_arg;
  return override_arg.substr(0, eq + 1) + home + override_arg.substr(eq + 2);
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read '" + path + "' (a task's config)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

core::config::Schema<Config> schema() {
  core::config::Schema<Config> s;
  s.add("tasks", &Config::tasks_json, nlohmann::json::object(),
        "task name -> {executable, config, overrides: [k=v], select: [patterns]}")
      .add("methods", &Config::methods_json, nlohmann::json::array(),
           "list of {name, label, options: {...}, overrides: [k=v], task_overrides: {task: [k=v]}}")
      .add("grid.tasks", &Config::task_names, {}, "tasks to run (empty = every task in `tasks`)")
      .add("grid.seeds", &Config::seeds, {1, 2, 3}, "one cell per seed; accuracy is reported as mean +- std")
      .add("grid.steps", &Config::steps, 200, "optimizer steps per cell (the same budget for every method)")
      .add("grid.threads", &Config::threads, 0, "--threads for each cell (0 = the recipe's default)")
      .add("output.dir", &Config::output_dir, "runs/compare", "cells, table.md, table.csv and plots");
  return s;
}

Config read_config(const std::string& path, const std::vector<std::string>& overrides) {
  const auto s = schema();
  const auto ov = core::config::parse_overrides(overrides);
  Config c = path.empty() ? s.read(YAML::Node(), "<defaults>", ov) : s.read_file(path, ov);
  c.tasks = parse_tasks(c.tasks_json);
  c.methods = parse_methods(c.methods_json);
  if (c.seeds.empty()) throw InputError("grid.seeds is empty");
  if (c.steps <= 0) throw InputError("grid.steps must be positive, got " + std::to_string(c.steps));
  if (c.task_names.empty())
    for (const auto& t : c.tasks) c.task_names.push_back(t.name);
  for (const auto& n : c.task_names) {
    bool found = false;
    for (const auto& t : c.tasks) found |= t.name == n;
    if (!found) throw InputError("grid.tasks names '" + n + "', which is not in tasks");
  }
  for (const auto& m : c.methods)
    for (const auto& [task, list] : m.task_overrides) {
      bool found = false;
      for (const auto& t : c.tasks) found |= t.name == task;
      if (!found) throw InputError("method '" + m.label + "': task_overrides names unknown task '" + task + "'");
    }
  return c;
}

std::vector<Cell> expand_cells(const Config& c, const std::string& recipes_dir) {
  std::vector<Cell> cells;
  for (const auto& name : c.task_names) {
    const TaskSpec& task = *std::find_if(c.tasks.begin(), c.tasks.end(), [&](const auto& t) { return t.name == name; });
    const bool is_path = task.executable.find('/') != std::string::npos;
    const std::string exe = is_path ? task.executable : (fs::path(recipes_dir) / task.executable).string();
    const std::string config_text = read_whole(task.config);
    for (const auto& m : c.methods)
      for (auto seed : c.seeds) {
        Cell cell{&task, &m, seed, (fs::path(c.output_dir) / "cells" / task.name / m.label /
                                    ("seed_" + std::to_string(seed))).string(), {}, {}};
        cell.argv = {exe, "--config", task.config};
        if (c.threads > 0) cell.argv.insert(cell.argv.end(), {"--threads", std::to_string(c.threads)});
        std::vector<std::string> args = task.overrides;
        args.insert(args.end(), m.overrides.begin(), m.overrides.end());
        if (auto it = m.task_overrides.find(task.name); it != m.task_overrides.end())
          args.insert(args.end(), it->second.begin(), it->second.end());
        for (auto p : task.select) {  // last: the grid's own choices win over the lists above
          p = replace_all(p, "{method}", m.name);
          p = replace_all(p, "{options}", m.options.dump());
          p = replace_all(p, "{seed}", std::to_string(seed));
          p = replace_all(p, "{steps}", std::to_string(c.steps));
          args.push_back(replace_all(p, "{dir}", (fs::path(cell.dir) / "run").string()));
        }
        for (const auto& a : args) cell.argv.push_back(expand_home(a));
        std::string key = config_text + '\0' + task.executable;  // not the build folder's path
        for (size_t i = 1; i < cell.argv.size(); ++i) key += '\0' + cell.argv[i];
        cell.hash = fnv1a_hex(key);
        cells.push_back(std::move(cell));
      }
  }
  return cells;
}

}  // namespace softprompt::recipes::compare

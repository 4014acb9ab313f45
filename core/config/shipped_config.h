#pragma once
// Shipped configs (recipes/configs/<task>/<backbone>_<method>.yaml) start with a comment that is the command
// running them, e.g. `# softprompt-sentiment --config recipes/configs/sentiment/starter_prompt_tuning.yaml`.
// check_shipped_config verifies that line and that the file parses with the recipe's schema; every recipe's
// test calls it for each of its configs.
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace softprompt::core::config {

struct ConfigHeader {
  std::string line;                    // the first line as written
  std::string command;                 // "softprompt-sentiment"
  std::string config_path;             // the value of --config
  std::vector<std::string> overrides;  // key=value arguments after it
};

// Parses the first line `# <command> [args] --config <path> [key=value ...]` (also --config=<path>). Throws
// InputError naming the file when the line is not such a comment.
ConfigHeader read_config_header(const std::string& path);

// Checks the header of the config at `path`: the command (when `expected_command` is not empty) and that
// --config names this very file relative to `repo_root` (the directory the command is run from). Throws
// InputError otherwise.
ConfigHeader check_config_header(const std::string& path, const std::string& repo_root,
                                 const std::string& expected_command = "");

// check_config_header, then reads the file with `schema` and the header's overrides, as the recipe would.
// Returns the resolved config; throws InputError naming the file and the problem.
template <class T>
T check_shipped_config(const Schema<T>& schema, const std::string& path, const std::string& repo_root,
                       const std::string& expected_command = "") {
  const ConfigHeader header = check_config_header(path, repo_root, expected_command);
  return schema.read_file(path, parse_overrides(header.overrides));
}

}  // namespace softprompt::core::config

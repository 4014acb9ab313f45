#include "core/config/shipped_config.h"

#include <filesystem>
#include <sstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::core::config {
namespace fs = std::filesystem;

ConfigHeader read_config_header(const std::string& path) {
  const std::string text = io::read_file(path);
  ConfigHeader h;
  h.line = text.substr(0, text.find('\n'));
  if (h.line.rfind("# ", 0) != 0)
    throw InputError(path +
                     ": the first line must be a comment with the command that runs this config, e.g. "
                     "'# softprompt-<recipe> --config " +
                     path + "'; found '" + h.line + "'");
  std::istringstream words(h.line.substr(2));
  std::vector<std::string> args;
  for (std::string w; words >> w;) args.push_back(w);
  if (args.empty()) throw InputError(path + ": the first line names no command");
  h.command = args[0];
  bool after_config = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      h.config_path = args[++i];
      after_config = true;
    } else if (args[i].rfind("--config=", 0) == 0) {
      h.config_path = args[i].substr(9);
      after_config = true;
    } else if (after_config && args[i].find('=') != std::string::npos && args[i].rfind("-", 0) != 0) {
      h.overrides.push_back(args[i]);
    }
  }
  if (h.config_path.empty())
    throw InputError(path + ": the first line '" + h.line + "' has no --config <path>");
  return h;
}

ConfigHeader check_config_header(const std::string& path, const std::string& repo_root,
                                 const std::string& expected_command) {
  ConfigHeader h = read_config_header(path);
  if (!expected_command.empty() && h.command != expected_command)
    throw InputError(path + ": the first line runs '" + h.command + "', expected '" + expected_command + "'");
  const fs::path actual = fs::weakly_canonical(fs::absolute(path));
  const fs::path named = fs::weakly_canonical(fs::absolute(fs::path(repo_root) / h.config_path));
  if (actual != named)
    throw InputError(path + ": the first line's --config '" + h.config_path +
                     "' is not this file (run from '" + repo_root + "' it names '" + named.string() + "')");
  return h;
}

}  // namespace softprompt::core::config

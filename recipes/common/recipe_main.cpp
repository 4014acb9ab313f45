#include "recipes/common/recipe_main.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <c10/util/Exception.h>

#include "core/errors.h"
#include "core/threads.h"

namespace softprompt::recipes {

RecipeArgs parse_recipe_args(int argc, char** argv, const std::vector<std::string>& flags_with_value) {
  RecipeArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto value = [&](const std::string& flag) -> std::string {
      if (i + 1 >= argc) throw InputError(flag + " needs a value");
      return argv[++i];
    };
    if (s == "--help" || s == "-h") {
      a.help = true;
    } else if (s == "--config") {
      a.config_path = value(s);
    } else if (s.rfind("--config=", 0) == 0) {
      a.config_path = s.substr(9);
    } else if (s == "--threads") {
      const auto v = value(s);
      try {
        a.threads = std::stoi(v);
      } catch (const std::exception&) {
        throw InputError("--threads expects an integer, got '" + v + "'");
      }
    } else if (std::find(flags_with_value.begin(), flags_with_value.end(), s) != flags_with_value.end()) {
      a.positional.push_back(s);
      a.positional.push_back(value(s));
    } else if (s.rfind("--", 0) == 0) {
      throw InputError("unknown flag '" + s + "' (flags: --config FILE, --threads N, --help, then key=value overrides)");
    } else if (s.find('=') != std::string::npos) {
      a.overrides.push_back(s);
    } else {
      throw InputError("unexpected argument '" + s + "' (overrides are key=value)");
    }
  }
  return a;
}

int run_recipe(const std::string& name, int argc, char** argv, const std::function<int(const RecipeArgs&)>& body,
               const std::vector<std::string>& flags_with_value) {
  try {
    const auto args = parse_recipe_args(argc, argv, flags_with_value);
    core::configure_threads(args.threads);
    return body(args);
  } catch (const InputError& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  } catch (const IoError& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {  // a tensor precondition (TORCH_CHECK): its message, not the backtrace
    std::cerr << name << ": error: " << e.what_without_backtrace() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 1;
  }
}

std::string cache_dir() {
  if (const char* c = std::getenv("SOFTPROMPT_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/softprompt";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/softprompt";
}

}  // namespace softprompt::recipes

#pragma once
// What every recipe executable shares: `recipe --config FILE [--threads N] [--help] [key=value ...]`, threads
// set from the machine, and main's error policy (one "error: ..." line on stderr; exit 2 for bad input or
// files, 1 for anything else; 130 when interrupted).
#include <functional>
#include <string>
#include <vector>

namespace softprompt::recipes {

struct RecipeArgs {
  std::string config_path;               // "" when --config was not given (built-in defaults)
  std::vector<std::string> overrides;    // key=value
  std::vector<std::string> positional;   // anything else the recipe accepts (e.g. --predict TEXT pairs)
  int threads = 0;
  bool help = false;
};

// Parses argv. `flags_with_value` are recipe-specific flags that take a value (e.g. "--predict"); they are
// returned in `positional` as flag, value pairs. Throws InputError for an unknown flag or a missing value.
RecipeArgs parse_recipe_args(int argc, char** argv, const std::vector<std::string>& flags_with_value = {});

// Runs `body` under main's error policy; sets LibTorch threads first (--threads or all cores).
int run_recipe(const std::string& name, int argc, char** argv, const std::function<int(const RecipeArgs&)>& body,
               const std::vector<std::string>& flags_with_value = {});

// The user's cache for softprompt: $SOFTPROMPT_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/softprompt.
std::string cache_dir();

}  // namespace softprompt::recipes

#pragma once
// Command-line overrides `key=value` of a recipe config. The key is dotted (`optim.lr`, `backbone.path`); the
// value is parsed as YAML, so `optim.lr=0.3` is a number, `layers=[1,2]` a list, `name="007"` a string and
// `optim={lr: 0.1, steps: 5}` sets a whole section.
#include <yaml-cpp/yaml.h>  // the whole API: Node methods are defined inline in node/impl.h

#include <string>
#include <vector>

namespace softprompt::core::config {

struct Override {
  std::string key;
  YAML::Node value;
  std::string text;  // the argument as given, quoted in error messages
};

// Throws InputError naming the argument when it has no '=', an empty or malformed key, or invalid YAML.
Override parse_override(const std::string& arg);
std::vector<Override> parse_overrides(const std::vector<std::string>& args);

}  // namespace softprompt::core::config

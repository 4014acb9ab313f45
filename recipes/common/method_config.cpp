#include "recipes/common/method_config.h"

#include "core/errors.h"
#include "core/methods/method_registry.h"

namespace softprompt::recipes {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = [] {
    auto n = core::methods::registered_method_names();
    n.push_back("linear_probe");
    n.push_back("full_ft");
    return n;
  }();
  return names;
}

void validate_method_config(const MethodConfig& m) {
  std::vector<std::pair<std::string, int>> names;
  for (const auto& n : method_names()) names.emplace_back(n, 0);
  core::config::enum_from_string("method.name", m.name, names);  // throws naming the nearest method
  if (!m.options.is_object())
    throw InputError("method.options must be a mapping such as {rank: 8}, got " + m.options.dump());
}

}  // namespace softprompt::recipes

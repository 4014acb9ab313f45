#pragma once
// The method registry: name -> factory, one line per method (method_registry.cpp). Recipes build every
// method through make_method, so a method added there is available to every recipe and to the comparison
// grid. Usage: see core/methods/method.h.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/methods/method.h"

namespace softprompt::core::methods {

using MethodFactory =
    std::function<Method(const std::string& name, const nlohmann::json& options, const MethodContext& ctx)>;

struct MethodEntry {
  std::string name;
  std::string summary;  // one line: what trains (for --help and docs)
  MethodFactory make;
};

// Every registered method, in the order reports list them.
const std::vector<MethodEntry>& method_registry();
std::vector<std::string> registered_method_names();

// Builds and attaches method `name` with `options` (a mapping; null/{} = defaults) to ctx. InputError for an
// unknown name (naming the nearest one), unknown option keys, wrong types and out-of-range values.
Method make_method(const std::string& name, const nlohmann::json& options, const MethodContext& ctx);

}  // namespace softprompt::core::methods

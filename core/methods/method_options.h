#pragma once
// Method options from JSON (an artifact's method_options, or a recipe's YAML section converted) through a
// config::Schema: unknown keys name the nearest valid key, wrong types name key and value, and the Options'
// own validate() checks ranges. Included by the methods' .cpp files only (it pulls in yaml-cpp).
#include <nlohmann/json.hpp>

#include <string>

#include "core/config/schema.h"
#include "core/config/yaml_json.h"
#include "core/errors.h"

namespace softprompt::core::methods {

template <class Options>
Options read_method_options(const config::Schema<Options>& schema, const nlohmann::json& options,
                            const std::string& method) {
  if (!options.is_null() && !options.is_object())
    throw InputError("method '" + method + "': options must be a mapping, got " + options.dump());
  const std::string label = "method '" + method + "' options";
  const YAML::Node node = options.is_null() || options.empty()
                              ? YAML::Node()
                              : config::SchemaBase::load_yaml_text(config::json_to_yaml(options), label);
  Options o = schema.read(node, label);
  o.validate();
  return o;
}

}  // namespace softprompt::core::methods

#pragma once
// Conversions between YAML nodes and JSON values: the config reader parses YAML, the resolved config is kept
// as JSON (typed), and dumps are written back as YAML or JSON that read back to the same values.
#include <yaml-cpp/yaml.h>  // the whole API: Node methods are defined inline in node/impl.h
#include <nlohmann/json.hpp>

#include <string>

namespace softprompt::core::config {

// Plain scalars are typed as YAML 1.2's core schema reads them (null, true/false, integer, float, else
// string); quoted scalars are always strings.
nlohmann::json yaml_to_json(const YAML::Node& node);

// Block-style YAML (lists of scalars in flow style). Strings that would read back as another type ("true",
// "42", "null", "") are quoted; floats keep their shortest round-trip form and always read back as floats.
std::string json_to_yaml(const nlohmann::json& value);

// A node on one line, for error messages: the scalar as written, or JSON (flow-style YAML).
std::string one_line(const YAML::Node& node);

}  // namespace softprompt::core::config

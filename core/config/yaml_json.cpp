#include "core/config/yaml_json.h"

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/emittermanip.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/node/convert.h>
#include <yaml-cpp/node/emit.h>
#include <yaml-cpp/node/impl.h>
#include <yaml-cpp/node/iterator.h>
#include <yaml-cpp/node/parse.h>

#include <charconv>
#include <cmath>
#include <regex>

namespace softprompt::core::config {
namespace {

// YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
const std::regex kNull("^(~|null|Null|NULL|)$");
const std::regex kTrue("^(true|True|TRUE)$");
const std::regex kFalse("^(false|False|FALSE)$");
const std::regex kInt("^[-+]?[0-9]+$");
const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
const std::regex kInf(R"(^[-+]?\.(inf|Inf|INF)$)");
const std::regex kNan(R"(^\.(nan|NaN|NAN)$)");

nlohmann::json scalar_to_json(const std::string& s) {
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  if (std::regex_match(s, kInt)) {
    int64_t v = 0;
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
    return std::stod(s);  // out of int64 range: keep it as a number
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  if (std::regex_match(s, kInf)) return s[0] == '-' ? -INFINITY : INFINITY;
  if (std::regex_match(s, kNan)) return NAN;
  return s;
}

std::string float_text(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v < 0 ? "-.inf" : ".inf";
  return nlohmann::json(v).dump();  // shortest form that reads back exactly; always has '.' or 'e'
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  try {
    return yaml_to_json(YAML::Load(s)) != nlohmann::json(s);
  } catch (const YAML::Exception&) {
    return false;  // not valid as a plain scalar: the emitter quotes it itself
  }
}

bool all_scalars(const nlohmann::json& array) {
  for (const auto& v : array)
    if (v.is_structured()) return false;
  return true;
}

void emit(YAML::Emitter& out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      break;
    case nlohmann::json::value_t::boolean:
      out << (v.get<bool>() ? "true" : "false");
      break;
    case nlohmann::json::value_t::number_integer:
      out << v.get<int64_t>();
      break;
    case nlohmann::json::value_t::number_unsigned:
      out << v.get<uint64_t>();
      break;
    case nlohmann::json::value_t::number_float:
      out << float_text(v.get<double>());
      break;
    case nlohmann::json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (needs_quotes(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case nlohmann::json::value_t::array:
      if (v.empty() || all_scalars(v)) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& e : v) emit(out, e);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::object:
      if (v.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [k, e] : v.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, e);
      }
      out << YAML::EndMap;
      break;
    default:
      out << YAML::Null;
      break;  // binary / discarded: not produced by the config reader
  }
}

}  // namespace

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      // A quoted scalar's tag is "!": it is a string whatever it contains.
      return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : scalar_to_json(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : node) out.push_back(yaml_to_json(e));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
  }
  return nullptr;
}

std::string json_to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

std::string one_line(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (!node.IsDefined() || node.IsNull()) return "null";
  return yaml_to_json(node).dump();  // JSON is flow-style YAML, and always on one line
}

}  // namespace softprompt::core::config

#pragma once
// Typed config values: how a YAML node becomes a C++ value of an option's type, the type's name in error
// messages, and the value's JSON form in dumps. Supported: bool, integers, floating point, std::string,
// std::vector<T>, std::optional<T> (null = unset) and nlohmann::json (any YAML, e.g. a verbalizer map).
// Enums are declared with their names on the schema (Schema::add_enum).
#include <yaml-cpp/yaml.h>  // the whole API: Node methods are defined inline in node/impl.h
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config/yaml_json.h"

namespace softprompt::core::config {

// Why a value does not fit its type ("expected an integer"); the schema adds key, value and origin.
struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T, class Enable = void>
struct ValueTraits {
  static_assert(sizeof(T) == 0, "unsupported config value type (use add_enum for enums)");
};

namespace detail {
// The node as a JSON scalar, or ValueError when it is a list or a mapping.
nlohmann::json scalar_of(const YAML::Node& node, const char* expected);
}  // namespace detail

template <>
struct ValueTraits<bool> {
  static std::string type_name() { return "bool"; }
  static bool parse(const YAML::Node& node) {
    const auto v = detail::scalar_of(node, "a bool (true/false)");
    if (!v.is_boolean()) throw ValueError("expected a bool (true/false)");
    return v.get<bool>();
  }
  static nlohmann::json to_json(bool v) { return v; }
};

template <class T>
struct ValueTraits<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static std::string type_name() { return "int"; }
  static T parse(const YAML::Node& node) {
    const auto v = detail::scalar_of(node, "an integer");
    if (!v.is_number_integer()) throw ValueError("expected an integer");
    if (v.is_number_unsigned()) {
      const auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) throw ValueError("integer out of range");
      return static_cast<T>(u);
    }
    const auto i = v.get<int64_t>();
    if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (i > 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
      throw ValueError("integer out of range");
    return static_cast<T>(i);
  }
  static nlohmann::json to_json(T v) { return v; }
};

template <class T>
struct ValueTraits<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static std::string type_name() { return "float"; }
  static T parse(const YAML::Node& node) {
    const auto v = detail::scalar_of(node, "a number");
    if (!v.is_number()) throw ValueError("expected a number");
    return static_cast<T>(v.get<double>());
  }
  static nlohmann::json to_json(T v) { return static_cast<double>(v); }
};

template <>
struct ValueTraits<std::string> {
  static std::string type_name() { return "string"; }
  static std::string parse(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "";
    if (!node.IsScalar()) throw ValueError("expected a string");
    return node.Scalar();  // any scalar is text: `name: 007` is the string "007"
  }
  static nlohmann::json to_json(const std::string& v) { return v; }
};

template <class T>
struct ValueTraits<std::vector<T>> {
  static std::string type_name() { return "list of " + ValueTraits<T>::type_name(); }
  static std::vector<T> parse(const YAML::Node& node) {
    if (!node.IsSequence()) throw ValueError("expected a list, e.g. [a, b]");
    std::vector<T> out;
    for (size_t i = 0; i < node.size(); ++i) {
      try {
        out.push_back(ValueTraits<T>::parse(node[i]));
      } catch (const ValueError& e) {
        throw ValueError("element " + std::to_string(i) + " (" + one_line(node[i]) + "): " + e.what());
      }
    }
    return out;
  }
  static nlohmann::json to_json(const std::vector<T>& v) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : v) out.push_back(ValueTraits<T>::to_json(e));
    return out;
  }
};

template <class T>
struct ValueTraits<std::optional<T>> {
  static std::string type_name() { return ValueTraits<T>::type_name() + " or null"; }
  static std::optional<T> parse(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    return ValueTraits<T>::parse(node);
  }
  static nlohmann::json to_json(const std::optional<T>& v) {
    return v ? ValueTraits<T>::to_json(*v) : nlohmann::json(nullptr);
  }
};

template <>
struct ValueTraits<nlohmann::json> {
  static std::string type_name() { return "any"; }
  static nlohmann::json parse(const YAML::Node& node) { return yaml_to_json(node); }
  static nlohmann::json to_json(const nlohmann::json& v) { return v; }
};

}  // namespace softprompt::core::config

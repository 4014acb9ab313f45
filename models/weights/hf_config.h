#pragma once
// Reading Hugging Face config.json files, shared by every family's from_hf_json: optional typed fields (a field
// of the wrong type is an InputError naming it, and nothing is assigned) and the model_type check.
#include <nlohmann/json.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include "core/errors.h"

namespace softprompt::models::weights {

// Sets `out` from json[key] when present and not null; keeps the default otherwise. `source` names the file.
template <typename T>
void read_hf_field(const nlohmann::json& json, const char* key, T& out, const std::string& source) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return;
  bool ok = true;
  if constexpr (std::is_same_v<T, int64_t>) ok = it->is_number_integer();
  if constexpr (std::is_same_v<T, double>) ok = it->is_number();
  if constexpr (std::is_same_v<T, bool>) ok = it->is_boolean();
  if constexpr (std::is_same_v<T, std::string>) ok = it->is_string();
  if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    ok = it->is_array();
    if (ok)
      for (const auto& v : *it) ok = ok && v.is_number_integer();
  }
  if (!ok) throw InputError(source + ": field '" + key + "' has the wrong type: " + it->dump());
  out = it->get<T>();
}

// Throws InputError unless `json` is an object whose model_type is `expected`.
inline void check_model_type(const nlohmann::json& json, const std::string& expected, const std::string& source) {
  if (!json.is_object()) throw InputError(source + ": expected a JSON object");
  const std::string model_type = json.value("model_type", std::string());
  if (model_type != expected)
    throw InputError(source + ": model_type is '" + model_type + "', expected '" + expected + "'");
}

}  // namespace softprompt::models::weights

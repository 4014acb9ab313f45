#pragma once
// Schema-driven recipe configuration: a recipe declares its options (dotted key, type, default, help, allowed
// enum names) against the fields of its own struct; the schema reads a YAML file plus `key=value` overrides
// into that struct. Unknown keys are errors naming the nearest valid key, enum strings are checked against
// their names, and wrong types are errors naming key, value, origin and expected type. The resolved config
// (defaults + file + overrides) dumps to YAML or JSON, to be written next to every artifact.
//
//   struct Cfg { double lr = 0; int64_t steps = 0; Method method{}; std::vector<int64_t> layers; };
//   Schema<Cfg> s;
//   s.add("optim.lr", &Cfg::lr, 0.3, "learning rate")
//    .add("train.steps", &Cfg::steps, 100, "optimizer steps")
//    .add_enum("method", &Cfg::method, Method::kPrompt, {{"prompt_tuning", Method::kPrompt}}, "module")
//    .add("layers", [](Cfg& c) -> auto& { return c.layers; }, {0, 1}, "layers with prompts");
//   Cfg cfg = s.read_file(path, parse_overrides(rest_of_argv));
#include <yaml-cpp/yaml.h>  // the whole API: Node methods are defined inline in node/impl.h
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/config/overrides.h"
#include "core/config/value_traits.h"
#include "core/errors.h"

namespace softprompt::core::config {

// What `--help` shows of one option, and what the checks use.
struct OptionInfo {
  std::string key;
  std::string type;  // "float", "list of int", "enum", ...
  std::string help;
  std::vector<std::string> choices;  // an enum's names
  nlohmann::json default_value;      // JSON form of the default (null for a required option)
  bool required = false;
};

// A value before it is typed, with where it came from ("cfg.yaml:12", "override 'optim.lr=abc'").
struct RawValue {
  YAML::Node node;
  std::string origin;
};
using RawValues = std::map<std::string, RawValue>;

// The type-independent half of a schema: declared keys, merging of file and overrides, errors, help.
class SchemaBase {
 public:
  const std::vector<OptionInfo>& options() const { return infos_; }
  const OptionInfo* find(const std::string& key) const;
  std::vector<std::string> keys() const;

  // Flattens a YAML document (null = empty) against the declared keys, then applies overrides (later ones
  // win). Throws InputError for unknown keys (naming the nearest key), duplicates and non-mapping sections.
  RawValues collect(const YAML::Node& document, const std::string& label,
                    const std::vector<Override>& overrides) const;
  // A table of every option: key, type, default, allowed values, help.
  std::string help_text() const;

  static YAML::Node load_yaml_file(const std::string& path);  // IoError unreadable, InputError malformed
  static YAML::Node load_yaml_text(const std::string& text, const std::string& label);

 protected:
  void declare(OptionInfo info);  // std::logic_error for a duplicate key or a key inside another option
  [[noreturn]] static void throw_invalid(const OptionInfo& info, const RawValue& raw, const std::string& why);
  [[noreturn]] static void throw_missing(const OptionInfo& info);
  static size_t enum_choice(const OptionInfo& info, const RawValue& raw);  // index into info.choices

 private:
  void flatten(const std::string& key, const YAML::Node& node, const std::string& origin,
               const std::string& label, RawValues& out) const;
  bool is_section(const std::string& key) const;
  std::vector<OptionInfo> infos_;
  std::map<std::string, size_t> index_;
};

// Sets `root[a][b] = value` for the dotted key "a.b".
void set_dotted(nlohmann::json& root, const std::string& dotted_key, nlohmann::json value);

// Maps a string to an enum by name anywhere a string becomes an enum (not only in schemas). Throws InputError
// "<what> 'x' is not one of: a, b, c" with the nearest name.
template <class E>
E enum_from_string(const std::string& what, const std::string& value,
                   const std::vector<std::pair<std::string, E>>& names);
template <class E>
std::string enum_to_string(E value, const std::vector<std::pair<std::string, E>>& names);

namespace detail {
template <class T>
struct Identity {
  using type = T;
};
template <class T>
using identity_t = typename Identity<T>::type;  // blocks deduction so defaults may be braced lists
template <class Access, class T>
using accessed_t = std::decay_t<std::invoke_result_t<Access, T&>>;
std::string enum_error(const std::string& what, const std::string& value,
                       const std::vector<std::string>& names);
}  // namespace detail

template <class T>
class Schema : public SchemaBase {
 public:
  // An option with a default. `access` is a member pointer (&T::x) or a callable T& -> V& (nested fields).
  template <class Access, class V = detail::accessed_t<Access, T>>
  Schema& add(const std::string& key, Access access, const detail::identity_t<V>& def,
              const std::string& help);
  // An option that the file or an override must set.
  template <class Access, class V = detail::accessed_t<Access, T>>
  Schema& add_required(const std::string& key, Access access, const std::string& help);
  // An enum read from one of `names`.
  template <class Access, class E = detail::accessed_t<Access, T>>
  Schema& add_enum(const std::string& key, Access access, const detail::identity_t<E>& def,
                   const std::vector<std::pair<std::string, E>>& names, const std::string& help);

  T read(const RawValues& raw) const;
  T read(const YAML::Node& document, const std::string& label,
         const std::vector<Override>& overrides = {}) const {
    return read(collect(document, label, overrides));
  }
  T read_file(const std::string& path, const std::vector<Override>& overrides = {}) const {
    return read(load_yaml_file(path), path, overrides);
  }
  T read_text(const std::string& yaml, const std::string& label = "<config>",
              const std::vector<Override>& overrides = {}) const {
    return read(load_yaml_text(yaml, label), label, overrides);
  }

  // The resolved config, every declared key, nested by dots. Reading the YAML dump back gives equal values.
  nlohmann::json to_json(const T& value) const;
  std::string to_yaml(const T& value) const { return json_to_yaml(to_json(value)); }

 private:
  // Bindings capture no `this`, so a schema may be copied or returned by value.
  struct Binding {
    std::function<void(const OptionInfo&, T&, const RawValue*)> assign;  // nullptr: set the default
    std::function<nlohmann::json(const T&)> emit;
  };
  std::vector<Binding> bindings_;
};

// ---- implementation ----

template <class E>
E enum_from_string(const std::string& what, const std::string& value,
                   const std::vector<std::pair<std::string, E>>& names) {
  for (const auto& [n, e] : names)
    if (n == value) return e;
  std::vector<std::string> all;
  for (const auto& [n, e] : names) all.push_back(n);
  throw InputError(detail::enum_error(what, value, all));
}

template <class E>
std::string enum_to_string(E value, const std::vector<std::pair<std::string, E>>& names) {
  for (const auto& [n, e] : names)
    if (e == value) return n;
  throw std::logic_error("enum value without a name");
}

template <class T>
template <class Access, class V>
Schema<T>& Schema<T>::add(const std::string& key, Access access, const detail::identity_t<V>& def,
                          const std::string& help) {
  declare({key, ValueTraits<V>::type_name(), help, {}, ValueTraits<V>::to_json(def), false});
  bindings_.push_back(
      {[access, def](const OptionInfo& info, T& t, const RawValue* raw) {
         V& field = std::invoke(access, t);
         if (!raw) {
           field = def;
           return;
         }
         try {
           field = ValueTraits<V>::parse(raw->node);
         } catch (const ValueError& e) {
           SchemaBase::throw_invalid(info, *raw, e.what());
         }
       },
       [access](const T& t) { return ValueTraits<V>::to_json(std::invoke(access, const_cast<T&>(t))); }});
  return *this;
}

template <class T>
template <class Access, class V>
Schema<T>& Schema<T>::add_required(const std::string& key, Access access, const std::string& help) {
  declare({key, ValueTraits<V>::type_name(), help, {}, nullptr, true});
  bindings_.push_back(
      {[access](const OptionInfo& info, T& t, const RawValue* raw) {
         if (!raw) SchemaBase::throw_missing(info);
         try {
           std::invoke(access, t) = ValueTraits<V>::parse(raw->node);
         } catch (const ValueError& e) {
           SchemaBase::throw_invalid(info, *raw, e.what());
         }
       },
       [access](const T& t) { return ValueTraits<V>::to_json(std::invoke(access, const_cast<T&>(t))); }});
  return *this;
}

template <class T>
template <class Access, class E>
Schema<T>& Schema<T>::add_enum(const std::string& key, Access access, const detail::identity_t<E>& def,
                               const std::vector<std::pair<std::string, E>>& names, const std::string& help) {
  static_assert(std::is_enum_v<E>, "add_enum needs an enum field");
  std::vector<std::string> choices;
  for (const auto& [n, e] : names) choices.push_back(n);
  declare({key, "enum", help, choices, enum_to_string(def, names), false});
  bindings_.push_back({[access, def, names](const OptionInfo& info, T& t, const RawValue* raw) {
                         std::invoke(access, t) =
                             raw ? names[SchemaBase::enum_choice(info, *raw)].second : def;
                       },
                       [access, names](const T& t) {
                         return nlohmann::json(enum_to_string(std::invoke(access, const_cast<T&>(t)), names));
                       }});
  return *this;
}

template <class T>
T Schema<T>::read(const RawValues& raw) const {
  T out{};
  const auto& infos = options();
  for (size_t i = 0; i < infos.size(); ++i) {
    const auto it = raw.find(infos[i].key);
    bindings_[i].assign(infos[i], out, it == raw.end() ? nullptr : &it->second);
  }
  return out;
}

template <class T>
nlohmann::json Schema<T>::to_json(const T& value) const {
  nlohmann::json root = nlohmann::json::object();
  const auto& infos = options();
  for (size_t i = 0; i < infos.size(); ++i) set_dotted(root, infos[i].key, bindings_[i].emit(value));
  return root;
}

}  // namespace softprompt::core::config

#include "core/config/schema.h"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/node/impl.h>
#include <yaml-cpp/node/iterator.h>
#include <yaml-cpp/node/parse.h>

#include <set>
#include <sstream>

#include "core/config/edit_distance.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::core::config {

namespace detail {
std::string enum_error(const std::string& what, const std::string& value,
                       const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return what + ": '" + value + "' is not one of: " + list + " (did you mean '" + nearest_key(value, names) +
         "'?)";
}

nlohmann::json scalar_of(const YAML::Node& node, const char* expected) {
  if (node.IsSequence() || node.IsMap()) throw ValueError(std::string("expected ") + expected);
  return yaml_to_json(node);
}
}  // namespace detail

const OptionInfo* SchemaBase::find(const std::string& key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &infos_[it->second];
}

std::vector<std::string> SchemaBase::keys() const {
  std::vector<std::string> out;
  for (const auto& i : infos_) out.push_back(i.key);
  return out;
}

void SchemaBase::declare(OptionInfo info) {
  if (index_.count(info.key)) throw std::logic_error("config option '" + info.key + "' declared twice");
  for (const auto& other : infos_) {
    const auto& [a, b] =
        std::minmax(info.key, other.key, [](auto& x, auto& y) { return x.size() < y.size(); });
    if (b.compare(0, a.size() + 1, a + ".") == 0)
      throw std::logic_error("config option '" + b + "' lies inside option '" + a + "'");
  }
  index_[info.key] = infos_.size();
  infos_.push_back(std::move(info));
}

bool SchemaBase::is_section(const std::string& key) const {
  const std::string prefix = key + ".";
  for (const auto& i : infos_)
    if (i.key.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

void SchemaBase::flatten(const std::string& key, const YAML::Node& node, const std::string& origin,
                         const std::string& label, RawValues& out) const {
  if (index_.count(key)) {
    out[key] = {node, origin};
    return;
  }
  if (!key.empty() && !is_section(key))
    throw InputError("unknown config key '" + key + "' (" + origin + "); did you mean '" +
                     nearest_key(key, keys()) + "'?");
  if (!node.IsMap())
    throw InputError((key.empty() ? std::string("the config") : "config key '" + key + "'") + " (" + origin +
                     ") is a section of keys; expected a mapping, got '" + one_line(node) + "'");
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) throw InputError(origin + ": config keys must be plain names");
    const std::string name = kv.first.Scalar();
    const std::string where = label.empty() ? origin : label + ":" + std::to_string(kv.first.Mark().line + 1);
    if (!seen.insert(name).second) throw InputError("duplicate config key '" + name + "' (" + where + ")");
    flatten(key.empty() ? name : key + "." + name, kv.second, where, label, out);
  }
}

RawValues SchemaBase::collect(const YAML::Node& document, const std::string& label,
                              const std::vector<Override>& overrides) const {
  RawValues out;
  if (document.IsDefined() && !document.IsNull()) flatten("", document, label, label, out);
  for (const auto& o : overrides) {
    RawValues one;
    // Mapping values inside an override report the override, not a line number.
    flatten(o.key, o.value, "override '" + o.text + "'", "", one);
    for (auto& [k, v] : one) out[k] = std::move(v);
  }
  return out;
}

void SchemaBase::throw_invalid(const OptionInfo& info, const RawValue& raw, const std::string& why) {
  throw InputError("config key '" + info.key + "' (" + raw.origin + "): value '" + one_line(raw.node) +
                   "' does not fit type " + info.type + ": " + why);
}

void SchemaBase::throw_missing(const OptionInfo& info) {
  throw InputError("config key '" + info.key + "' (" + info.type + ", " + info.help +
                   ") is required: set it in the config file or as " + info.key + "=VALUE");
}

size_t SchemaBase::enum_choice(const OptionInfo& info, const RawValue& raw) {
  if (raw.node.IsScalar()) {
    for (size_t i = 0; i < info.choices.size(); ++i)
      if (info.choices[i] == raw.node.Scalar()) return i;
  }
  throw InputError(detail::enum_error("config key '" + info.key + "' (" + raw.origin + ")",
                                      one_line(raw.node), info.choices));
}

std::string SchemaBase::help_text() const {
  std::ostringstream out;
  for (const auto& i : infos_) {
    out << "  " << i.key << " (" << i.type;
    if (!i.choices.empty()) {
      out << ":";
      for (const auto& c : i.choices) out << " " << c;
    }
    out << ") ";
    out << (i.required ? std::string("required") : "default " + i.default_value.dump());
    out << "\n      " << i.help << "\n";
  }
  return out.str();
}

YAML::Node SchemaBase::load_yaml_text(const std::string& text, const std::string& label) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw InputError(label + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError(label + ": invalid YAML: " + e.msg);
  }
}

YAML::Node SchemaBase::load_yaml_file(const std::string& path) {
  return load_yaml_text(io::read_file(path), path);
}

void set_dotted(nlohmann::json& root, const std::string& dotted_key, nlohmann::json value) {
  nlohmann::json* node = &root;
  size_t start = 0;
  for (size_t dot = dotted_key.find('.'); dot != std::string::npos; dot = dotted_key.find('.', start)) {
    node = &(*node)[dotted_key.substr(start, dot - start)];
    start = dot + 1;
  }
  (*node)[dotted_key.substr(start)] = std::move(value);
}

}  // namespace softprompt::core::config

#include "core/config/overrides.h"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/node/parse.h>

#include <cctype>

#include "core/errors.h"

namespace softprompt::core::config {
namespace {

bool valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  char previous = 0;
  for (char c : key) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok || (c == '.' && previous == '.')) return false;
    previous = c;
  }
  return true;
}

}  // namespace

Override parse_override(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos)
    throw InputError("override '" + arg + "' is not of the form key=value (e.g. optim.lr=0.3)");
  Override o;
  o.key = arg.substr(0, eq);
  o.text = arg;
  if (!valid_key(o.key))
    throw InputError("override '" + arg + "': '" + o.key +
                     "' is not a config key (dotted names of letters, digits, '_' and '-')");
  const std::string value = arg.substr(eq + 1);
  try {
    o.value = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw InputError("override '" + arg + "': value '" + value + "' is not valid YAML: " + e.msg);
  }
  return o;
}

std::vector<Override> parse_overrides(const std::vector<std::string>& args) {
  std::vector<Override> out;
  out.reserve(args.size());
  for (const auto& a : args) out.push_back(parse_override(a));
  return out;
}

}  // namespace softprompt::core::config

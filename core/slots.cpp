#include "core/slots.h"

#include <stdexcept>

namespace softprompt::core {

std::string input_slot(const std::string& modality) { return modality; }
std::string layer_slot(const std::string& modality, int64_t layer) {
  return modality + ".layer." + std::to_string(layer);
}
std::string kv_slot(const std::string& modality, int64_t layer) {
  return modality + ".kv." + std::to_string(layer);
}

SlotName parse_slot(const std::string& name) {
  auto bad = [&] { return std::invalid_argument("invalid slot name '" + name +
                                                "' (expected MODALITY, MODALITY.layer.N or MODALITY.kv.N)"); };
  if (name.empty()) throw bad();
  const auto dot = name.find('.');
  SlotName out;
  out.modality = name.substr(0, dot);
  if (out.modality.empty()) throw bad();
  if (dot == std::string::npos) return out;
  const auto dot2 = name.find('.', dot + 1);
  if (dot2 == std::string::npos) throw bad();
  const std::string kind = name.substr(dot + 1, dot2 - dot - 1);
  const std::string num = name.substr(dot2 + 1);
  if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos || num.size() > 6) throw bad();
  if (kind == "layer") {
    out.kind = SlotKind::kLayer;
  } else if (kind == "kv") {
    out.kind = SlotKind::kKeyValue;
  } else {
    throw bad();
  }
  out.layer = std::stoll(num);
  return out;
}

}  // namespace softprompt::core

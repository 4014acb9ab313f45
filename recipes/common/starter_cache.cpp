#include "recipes/common/starter_cache.h"

#include <filesystem>

#include "core/io/atomic_file.h"

namespace softprompt::recipes {

std::optional<nlohmann::json> reusable_pretrain_report(const std::string& out, const std::string& settings) {
  const std::string path = out + "/softprompt_pretrain.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  auto report = nlohmann::json::parse(core::io::read_file(path), nullptr, false);
  if (report.is_discarded() || !report.is_object() || report.value("settings", "") != settings) return std::nullopt;
  return report;
}

void publish_directory(const std::string& tmp, const std::string& out) {
  std::filesystem::remove_all(out);
  std::filesystem::rename(tmp, out);
}

}  // namespace softprompt::recipes

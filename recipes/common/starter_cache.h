#pragma once
// The starter backbones' cache policy (pretrain_lm, pretrain_unit_lm): a finished model directory holds
// softprompt_pretrain.json whose "settings" identify everything that shaped it; a run with the same settings
// reuses it, and a new one is built in <dir>.tmp and renamed into place, so a half-written model is never seen.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace softprompt::recipes {

// <out>/softprompt_pretrain.json when it exists, parses and its "settings" equal `settings`; nullopt otherwise.
std::optional<nlohmann::json> reusable_pretrain_report(const std::string& out, const std::string& settings);

// Replaces `out` by the finished directory `tmp` (rename: it appears at once).
void publish_directory(const std::string& tmp, const std::string& out);

}  // namespace softprompt::recipes

#pragma once
// String distances for "did you mean" suggestions on unknown config keys and option names.
#include <cstddef>
#include <string>
#include <vector>

namespace softprompt::core::config {

// Levenshtein distance (insert, delete, substitute, each cost 1).
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate most similar to `key` (longest common subsequence ratio of the whole dotted key or of the
// last components; ties: smaller edit distance, then the first in order); "" when there are no candidates.
std::string nearest_key(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace softprompt::core::config

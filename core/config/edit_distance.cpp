#include "core/config/edit_distance.h"

#include <algorithm>
#include <limits>

namespace softprompt::core::config {

size_t edit_distance(const std::string& a, const std::string& b) {
  // One row of the dynamic-programming table suffices.
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

std::string leaf(const std::string& dotted) {
  const auto dot = dotted.rfind('.');
  return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

// 2 * LCS / (|a| + |b|) in [0,1] (difflib's ratio): unlike the edit distance it favours a long shared part,
// so "prefx" is nearer "prefix_tuning" than "p_tuning".
double similarity(const std::string& a, const std::string& b) {
  if (a.empty() && b.empty()) return 1.0;
  std::vector<size_t> row(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = 0;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = a[i - 1] == b[j - 1] ? diagonal + 1 : std::max(above, row[j - 1]);
      diagonal = above;
    }
  }
  return 2.0 * static_cast<double>(row[b.size()]) / static_cast<double>(a.size() + b.size());
}

}  // namespace

std::string nearest_key(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  double best_score = -1;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    // A key given without (or with the wrong) section, e.g. `lr` for `optim.lr`, is matched by its last
    // component, discounted a little for the section. Ties go to the smaller edit distance, then the first.
    const double score = std::max(similarity(key, c), 0.9 * similarity(leaf(key), leaf(c)));
    const size_t distance = edit_distance(key, c);
    if (score > best_score || (score == best_score && distance < best_distance)) {
      best_score = score;
      best_distance = distance;
      best = c;
    }
  }
  return best;
}

}  // namespace softprompt::core::config

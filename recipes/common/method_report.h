#pragma once
// The per-method numbers every classification recipe writes into its results.json, under the same keys, so
// recipes/compare can read any recipe's cell: accuracy over seeds, trainable parameters and their share of
// the backbone, artifact bytes, training time and the process's peak resident memory.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "recipes/common/method_factory.h"

namespace softprompt::recipes {

// The process's resident-set high-water mark in bytes (VmHWM of /proc/self/status; getrusage's ru_maxrss
// where /proc is not mounted).
int64_t peak_rss_bytes();

struct MethodRun {
  std::vector<double> test_accuracy;  // one per seed
  std::vector<double> train_seconds;  // wall time of each seed's training loop (evaluations included)
  int64_t artifact_bytes = 0;         // the saved .safetensors
};

// {"method", "method_options", "accuracy_mean", "accuracy_std", "per_seed", "trainable_params",
//  "backbone_params", "trainable_percent", "artifact_bytes", "train_seconds", "train_seconds_per_seed",
//  "peak_rss_bytes"}. Throws InputError when no seed ran.
nlohmann::json method_report(const MethodParts& parts, const MethodRun& run);

}  // namespace softprompt::recipes

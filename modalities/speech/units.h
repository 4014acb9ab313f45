#pragma once
// Discrete-unit sequences: collapsing runs of the same unit (GSLM / SpeechPrompt "deduplicated" units), with
// the run lengths kept so the collapse can be undone or used as durations.
#include <ATen/core/Tensor.h>

namespace softprompt::modalities::speech {

struct DedupedUnits {
  at::Tensor units;      // [T'] int64: one entry per run
  at::Tensor durations;  // [T'] int64: the run lengths (sum = T)
};

// units [T] (integer, any device) -> runs. An empty sequence gives empty tensors.
DedupedUnits dedup_units(const at::Tensor& units);

// Inverse of dedup_units: repeats units[i] durations[i] times -> [T].
at::Tensor expand_units(const at::Tensor& units, const at::Tensor& durations);

}  // namespace softprompt::modalities::speech

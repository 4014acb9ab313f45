#pragma once
// Unit sequences of corpus clips, cached on disk so that a clip is decoded and encoded once per unit encoder:
// <dir>/<encoder hash>/<corpus key>.tsv, one line per clip: "<clip key>\t<units separated by spaces>".
// A clip's key is its path, window, file size and modification time, so an edited file is encoded again; the
// encoder hash covers the feature kind, its parameters and the centroids, so another encoder never reads these
// units. The file is rewritten atomically after new clips were encoded.
#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "recipes/common/speech_data.h"

namespace softprompt::recipes {

// waveform [N] float32 at 16 kHz -> units [T] int64.
using UnitEncodeFn = std::function<at::Tensor(const at::Tensor& waveform)>;

// Loads the window of `clip` (the whole file when duration_s is 0) at 16 kHz -> [N] float32. Throws
// InputError naming the file when it is corrupt or the window lies outside it.
at::Tensor load_clip(const SpeechExample& clip);

// Units as text, the unit LM's "tokens": "12 7 93".
std::string units_to_text(const at::Tensor& units);

class UnitCache {
 public:
  // `dir` "" = no cache on disk (every clip is encoded).
  UnitCache(std::string dir, std::string encoder_hash);
  // The unit text of every clip, in order; clips not in the cache are encoded with `encode` and the cache
  // file of `corpus_key` is rewritten once at the end.
  std::vector<std::string> units(const std::string& corpus_key, const std::vector<SpeechExample>& clips,
                                 const UnitEncodeFn& encode);
  int64_t hits() const { return hits_; }      // clips read from the cache in the last call
  int64_t encoded() const { return encoded_; }  // clips encoded in the last call

 private:
  std::string dir_, encoder_hash_;
  int64_t hits_ = 0, encoded_ = 0;
};

}  // namespace softprompt::recipes

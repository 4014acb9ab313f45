#pragma once
// Speech -> discrete units, the front end of the unit LM (GSLM, Lakhotia et al. 2021; SpeechPrompt, Chang et
// al. 2022): frame features of a 16 kHz waveform (Kaldi MFCC + deltas or log-mel by default, HuBERT layer-N
// outputs when a HuBERT directory is given), normalized with statistics of the fitting data, quantized by
// k-means into K units, optionally de-duplicated (runs of one unit collapsed). Saved next to the unit LM as
// unit_encoder.json (feature kind and parameters) + unit_kmeans.safetensors (centroids) +
// unit_feature_stats.safetensors (mean, std). Lives in recipes/common because the HuBERT path needs
// models/hubert, which modalities/speech may not depend on: a recipe using it links softprompt_speech and
// softprompt_hubert.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "modalities/speech/kmeans.h"

namespace softprompt::models::hubert {
class ModelImpl;
}

namespace softprompt::recipes {

enum class UnitFeatureKind { kMfcc, kLogMel, kHubert };
// "mfcc" | "logmel" | "hubert" (the names of configs and unit_encoder.json).
const std::vector<std::pair<std::string, UnitFeatureKind>>& unit_feature_kinds();

struct UnitEncoderOptions {
  UnitFeatureKind kind = UnitFeatureKind::kMfcc;
  int64_t num_units = 100;        // K
  bool dedup = true;              // collapse runs of one unit (GSLM's "deduplicated" units)
  int64_t num_ceps = 13;          // mfcc: cepstra (torchaudio kaldi.mfcc defaults otherwise)
  int64_t num_mel_bins = 23;      // mfcc: filterbank bins
  bool deltas = true;             // mfcc: append first and second differences (Kaldi add-deltas, window 2)
  int64_t n_mels = 80;            // logmel: bins (n_fft 400, hop 160: 10 ms frames like the MFCCs)
  std::string hubert_dir;         // hubert: a HF HuBERT directory (models/hubert loader)
  int64_t hubert_layer = 6;       // hubert: HF hidden_states[layer] (SpeechPrompt: 6 of hubert-base)
  bool hubert_normalize = true;   // hubert: zero-mean unit-variance waveform (Wav2Vec2FeatureExtractor)
  // Throws InputError naming the offending field.
  void validate() const;
};

struct UnitFitOptions {
  int64_t max_frames = 200000;  // frames k-means is fitted on (a seeded random subset when there are more)
  int64_t max_iterations = 60;  // Lloyd iterations
  uint64_t seed = 0;
};

class UnitEncoder {
 public:
  // An unfitted encoder: raw_features works, encode needs fit() or load(). Loads HuBERT for kind hubert.
  explicit UnitEncoder(UnitEncoderOptions options);

  // waveform [N] float, 16 kHz -> frame features [F,D] float32 before normalization.
  at::Tensor raw_features(const at::Tensor& waveform) const;
  // Fits the normalization statistics and k-means on raw features of many utterances ([F_i,D] each).
  // Throws InputError when they hold fewer frames than K or differ in D.
  void fit(const std::vector<at::Tensor>& raw_features, const UnitFitOptions& options = {});
  // raw features [F,D] -> units [T] int64 (T = F, or the number of runs when dedup is on).
  at::Tensor units_from_features(const at::Tensor& raw) const;
  // waveform [N] (16 kHz) -> units [T] int64.
  at::Tensor encode(const at::Tensor& waveform) const { return units_from_features(raw_features(waveform)); }

  // Writes the three files into `dir` (created), each atomically.
  void save(const std::string& dir) const;
  // Throws IoError when the files are missing, InputError when they are malformed or inconsistent.
  static UnitEncoder load(const std::string& dir);
  static bool exists(const std::string& dir);

  bool fitted() const { return kmeans_.num_clusters() > 0; }
  int64_t num_units() const { return options_.num_units; }
  int64_t dim() const { return kmeans_.dim(); }
  const UnitEncoderOptions& options() const { return options_; }
  const modalities::speech::KMeans& kmeans() const { return kmeans_; }
  const at::Tensor& mean() const { return mean_; }
  const at::Tensor& std() const { return std_; }

 private:
  at::Tensor normalize(const at::Tensor& raw) const;  // [F,D] -> [F,D]
  UnitEncoderOptions options_;
  modalities::speech::KMeans kmeans_;
  at::Tensor mean_, std_;                               // [D] float32
  std::shared_ptr<models::hubert::ModelImpl> hubert_;  // kind hubert only
};

}  // namespace softprompt::recipes

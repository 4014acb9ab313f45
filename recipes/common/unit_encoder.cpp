#include "recipes/common/unit_encoder.h"

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/config/schema.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "modalities/speech/kaldi_features.h"
#include "modalities/speech/mel_spectrogram.h"
#include "modalities/speech/units.h"
#include "modalities/speech/waveform_norm.h"
#include "models/hubert/loader.h"

namespace softprompt::recipes {
namespace {

namespace speech = modalities::speech;
constexpr const char* kFormat = "softprompt-unit-encoder";
constexpr int kVersion = 1;
constexpr const char* kJson = "/unit_encoder.json";
constexpr const char* kCentroids = "/unit_kmeans.safetensors";
constexpr const char* kStats = "/unit_feature_stats.safetensors";

// Kaldi's add-deltas (window 2, edges replicated): d[t] = sum_n n (x[t+n] - x[t-n]) / (2 sum_n n^2).
// x [F,D] -> [F,D].
at::Tensor deltas(const at::Tensor& x) {
  const int64_t f = x.size(0);
  if (f == 0) return x.clone();
  const at::Tensor padded = torch::cat({x.slice(0, 0, 1).expand({2, x.size(1)}), x,
                                        x.slice(0, f - 1, f).expand({2, x.size(1)})});
  return (padded.slice(0, 3, 3 + f) - padded.slice(0, 1, 1 + f) +
          2 * (padded.slice(0, 4, 4 + f) - padded.slice(0, 0, f))) / 10.0;
}

}  // namespace

const std::vector<std::pair<std::string, UnitFeatureKind>>& unit_feature_kinds() {
  static const std::vector<std::pair<std::string, UnitFeatureKind>> kinds = {
      {"mfcc", UnitFeatureKind::kMfcc}, {"logmel", UnitFeatureKind::kLogMel}, {"hubert", UnitFeatureKind::kHubert}};
  return kinds;
}

void UnitEncoderOptions::validate() const {
  auto positive = [](int64_t v, const char* name) {
    if (v < 1) throw InputError(std::string("unit encoder: ") + name + " must be positive, got " + std::to_string(v));
  };
  positive(num_units, "num_units");
  positive(num_ceps, "num_ceps");
  positive(num_mel_bins, "num_mel_bins");
  positive(n_mels, "n_mels");
  if (num_ceps > num_mel_bins) throw InputError("unit encoder: num_ceps must be <= num_mel_bins");
  if (kind == UnitFeatureKind::kHubert && hubert_dir.empty())
    throw InputError("unit encoder: feature kind hubert needs a HuBERT directory (units.hubert_dir)");
  if (hubert_layer < 0) throw InputError("unit encoder: hubert_layer must be >= 0");
}

UnitEncoder::UnitEncoder(UnitEncoderOptions options) : options_(std::move(options)) {
  options_.validate();
  if (options_.kind != UnitFeatureKind::kHubert) return;
  models::hubert::Model model = models::hubert::load_pretrained(options_.hubert_dir);
  if (options_.hubert_layer > model->num_layers())
    throw InputError("unit encoder: hubert_layer " + std::to_string(options_.hubert_layer) + " exceeds the " +
                     std::to_string(model->num_layers()) + " layers of " + options_.hubert_dir);
  hubert_ = model.ptr();
}

at::Tensor UnitEncoder::raw_features(const at::Tensor& waveform) const {
  TORCH_CHECK(waveform.dim() == 1, "unit encoder: waveform must be [N], got ", waveform.sizes());
  torch::NoGradGuard no_grad;
  switch (options_.kind) {
    case UnitFeatureKind::kMfcc: {
      speech::MfccOptions o;
      o.num_ceps = options_.num_ceps;
      o.num_mel_bins = options_.num_mel_bins;
      at::Tensor c = speech::kaldi_mfcc(waveform, o);  // [F,C]
      if (!options_.deltas) return c;
      const at::Tensor d = deltas(c);
      return torch::cat({c, d, deltas(d)}, 1);  // [F,3C]
    }
    case UnitFeatureKind::kLogMel: {
      speech::MelSpectrogramOptions o;
      o.n_mels = options_.n_mels;
      o.hop_length = 160;
      return speech::log_mel_spectrogram(waveform, o);  // [F,n_mels]
    }
    case UnitFeatureKind::kHubert: {
      at::Tensor x = waveform.unsqueeze(0).to(torch::kFloat);
      if (options_.hubert_normalize) x = speech::normalize_waveform(x);
      return hubert_->layer_features(x, at::Tensor(), options_.hubert_layer).embeds[0].contiguous();  // [F,D]
    }
  }
  throw InputError("unit encoder: unknown feature kind");
}

void UnitEncoder::fit(const std::vector<at::Tensor>& raw_features, const UnitFitOptions& options) {
  if (raw_features.empty()) throw InputError("unit encoder: no utterances to fit on");
  const at::Tensor all = torch::cat(raw_features, 0).to(torch::kFloat);  // [F_total,D]
  if (all.size(0) < options_.num_units)
    throw InputError("unit encoder: " + std::to_string(all.size(0)) + " frames are fewer than K = " +
                     std::to_string(options_.num_units));
  const at::Tensor all64 = all.to(torch::kDouble);
  mean_ = all64.mean(0).to(torch::kFloat);
  std_ = all64.std(0, /*unbiased=*/false).clamp_min(1e-5).to(torch::kFloat);
  at::Tensor data = normalize(all);
  if (data.size(0) > options.max_frames) {
    auto gen = at::detail::createCPUGenerator(options.seed);
    data = data.index_select(0, torch::randperm(data.size(0), gen, torch::kLong).slice(0, 0, options.max_frames));
  }
  speech::KMeansOptions k;
  k.num_clusters = options_.num_units;
  k.max_iterations = options.max_iterations;
  k.seed = options.seed;
  kmeans_ = speech::KMeans::fit(data, k);
}

at::Tensor UnitEncoder::normalize(const at::Tensor& raw) const {
  TORCH_CHECK(raw.dim() == 2 && raw.size(1) == mean_.size(0), "unit encoder: features must be [F,",
              mean_.size(0), "], got ", raw.sizes());
  return (raw.to(torch::kFloat) - mean_) / std_;
}

at::Tensor UnitEncoder::units_from_features(const at::Tensor& raw) const {
  if (!fitted()) throw InputError("unit encoder: not fitted (fit() or load() first)");
  const at::Tensor units = kmeans_.predict(normalize(raw));  // [F]
  return options_.dedup ? speech::dedup_units(units).units : units;
}

void UnitEncoder::save(const std::string& dir) const {
  if (!fitted()) throw InputError("unit encoder: cannot save an unfitted encoder");
  std::filesystem::create_directories(dir);
  const auto& o = options_;
  const nlohmann::json json = {
      {"format", kFormat},         {"version", kVersion},
      {"sample_rate", 16000},      {"feature", core::config::enum_to_string(o.kind, unit_feature_kinds())},
      {"num_units", o.num_units},  {"dedup", o.dedup},
      {"num_ceps", o.num_ceps},    {"num_mel_bins", o.num_mel_bins},
      {"deltas", o.deltas},        {"n_mels", o.n_mels},
      {"hubert_dir", o.hubert_dir}, {"hubert_layer", o.hubert_layer},
      {"hubert_normalize", o.hubert_normalize}, {"dim", dim()}};
  kmeans_.save(dir + kCentroids);
  core::io::save_safetensors(dir + kStats, {{"mean", mean_.contiguous()}, {"std", std_.contiguous()}});
  core::io::write_file_atomically(dir + kJson, json.dump(2) + "\n");
}

bool UnitEncoder::exists(const std::string& dir) {
  return std::filesystem::is_regular_file(dir + kJson);
}

UnitEncoder UnitEncoder::load(const std::string& dir) {
  const std::string path = dir + kJson;
  const nlohmann::json j = nlohmann::json::parse(core::io::read_file(path), nullptr, false);
  if (!j.is_object() || j.value("format", std::string()) != kFormat || j.value("version", 0) != kVersion)
    throw InputError(path + ": not a version-" + std::to_string(kVersion) + " " + kFormat + " file");
  UnitEncoderOptions o;
  try {
    o.kind = core::config::enum_from_string("feature", j.at("feature").get<std::string>(), unit_feature_kinds());
    o.num_units = j.at("num_units").get<int64_t>();
    o.dedup = j.at("dedup").get<bool>();
    o.num_ceps = j.at("num_ceps").get<int64_t>();
    o.num_mel_bins = j.at("num_mel_bins").get<int64_t>();
    o.deltas = j.at("deltas").get<bool>();
    o.n_mels = j.at("n_mels").get<int64_t>();
    o.hubert_dir = j.at("hubert_dir").get<std::string>();
    o.hubert_layer = j.at("hubert_layer").get<int64_t>();
    o.hubert_normalize = j.at("hubert_normalize").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": " + e.what());
  }
  UnitEncoder enc(o);
  enc.kmeans_ = speech::KMeans::load(dir + kCentroids);
  const auto stats = core::io::load_safetensors(dir + kStats);
  if (!stats.count("mean") || !stats.count("std"))
    throw InputError(dir + kStats + ": expected tensors 'mean' and 'std'");
  enc.mean_ = stats.at("mean").to(torch::kFloat).clone();
  enc.std_ = stats.at("std").to(torch::kFloat).clone();
  if (enc.kmeans_.num_clusters() != o.num_units || enc.mean_.dim() != 1 ||
      enc.mean_.sizes() != enc.std_.sizes() || enc.mean_.size(0) != enc.kmeans_.dim())
    throw InputError(dir + ": centroids [" + std::to_string(enc.kmeans_.num_clusters()) + "," +
                     std::to_string(enc.kmeans_.dim()) + "] do not match num_units " +
                     std::to_string(o.num_units) + " and the feature statistics");
  return enc;
}

}  // namespace softprompt::recipes

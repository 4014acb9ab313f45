#pragma once
// k-means over frame features (HuBERT layer outputs, MFCCs) for discrete speech units, as in GSLM /
// SpeechPrompt: k-means++ initialisation (greedy variant of Arthur & Vassilvitskii 2007, as scikit-learn),
// then Lloyd's algorithm on the full set or mini-batch k-means (Sculley 2010) for large sets. Runs on torch
// tensors on the data's device; all randomness comes from one seeded CPU generator, so a seed gives the same
// centroids.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace softprompt::modalities::speech {

struct KMeansOptions {
  int64_t num_clusters = 100;
  int64_t max_iterations = 100;  // Lloyd iterations; mini-batch: passes over the data
  int64_t batch_size = 0;        // 0: full-batch Lloyd; > 0: mini-batch updates with batches of this size
  double tolerance = 1e-4;       // stop when the squared centroid shift <= tolerance * mean feature variance
  int64_t init_size = 0;         // points k-means++ sees (0: all for Lloyd, 3 * batch_size for mini-batch)
  // mini-batch: stop after this many steps without a better smoothed inertia.
  int64_t max_no_improvement = 10;
  uint64_t seed = 0;
  int64_t chunk_size = 8192;  // rows per block of the distance computation (bounds memory at chunk x K)
};

// A fitted codebook of centroids [K,D].
class KMeans {
 public:
  KMeans() = default;
  // Wraps given centroids [K,D] (float). Throws InputError when they are not a non-empty finite 2-D matrix.
  explicit KMeans(at::Tensor centroids);

  // Fits on data [N,D] (float, any device). Throws InputError when N < num_clusters or the options are
  // invalid.
  static KMeans fit(const at::Tensor& data, const KMeansOptions& options);

  // Nearest centroid (squared Euclidean) per row: [...,D] -> [...] int64 on the features' device.
  at::Tensor predict(const at::Tensor& features) const;
  // Sum of squared distances of rows [N,D] to their nearest centroid.
  double inertia(const at::Tensor& data) const;

  // Safetensors file with one tensor "centroids" [K,D] float32 (written atomically) and format metadata.
  void save(const std::string& path) const;
  // Throws IoError (cannot open) or InputError (not a centroid file) naming the path.
  static KMeans load(const std::string& path);

  const at::Tensor& centroids() const { return centroids_; }
  int64_t num_clusters() const { return centroids_.defined() ? centroids_.size(0) : 0; }
  int64_t dim() const { return centroids_.defined() ? centroids_.size(1) : 0; }
  int64_t iterations() const { return iterations_; }  // iterations (or mini-batch steps) fit() ran

 private:
  at::Tensor centroids_;  // [K,D] float32
  int64_t iterations_ = 0;
};

}  // namespace softprompt::modalities::speech

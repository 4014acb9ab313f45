// k-means units: recovery of separated clusters, determinism, mini-batch, centroid files, dedup.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "modalities/speech/kmeans.h"
#include "modalities/speech/units.h"
#include "modalities/speech/waveform_norm.h"

namespace fs = std::filesystem;
namespace sp = softprompt::modalities::speech;

namespace {

// Four tight Gaussian blobs far apart in 8-D; returns points and their true blob ids.
std::pair<at::Tensor, at::Tensor> blobs(int64_t per_blob, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor centers = torch::tensor({0.0f, 10.0f, -10.0f, 20.0f}).unsqueeze(1) * at::ones({1, 8});
  at::Tensor ids = at::arange(4).repeat_interleave(per_blob);
  at::Tensor x = centers.index_select(0, ids) + 0.3 * at::randn({4 * per_blob, 8}, gen, at::kFloat);
  return {x, ids};
}

// True when labels and truth define the same partition (up to renaming).
bool same_partition(const at::Tensor& labels, const at::Tensor& truth) {
  std::set<std::pair<int64_t, int64_t>> pairs;
  for (int64_t i = 0; i < labels.size(0); ++i)
    pairs.insert({labels[i].item<int64_t>(), truth[i].item<int64_t>()});
  std::set<int64_t> a, b;
  for (auto [l, t] : pairs) {
    a.insert(l);
    b.insert(t);
  }
  return pairs.size() == a.size() && pairs.size() == b.size();
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("softprompt_km_" + std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace

TEST(KMeans, RecoversSeparatedClustersAndIsDeterministic) {
  auto [x, truth] = blobs(200, 1);
  sp::KMeansOptions o;
  o.num_clusters = 4;
  o.seed = 3;
  const sp::KMeans a = sp::KMeans::fit(x, o);
  EXPECT_TRUE(same_partition(a.predict(x), truth));
  EXPECT_LT(a.inertia(x) / x.size(0), 8 * 0.3 * 0.3 * 1.2);  // ~ the within-blob variance
  EXPECT_GE(a.iterations(), 1);
  const sp::KMeans b = sp::KMeans::fit(x, o);
  EXPECT_TRUE(a.centroids().equal(b.centroids()));
  o.seed = 4;
  const sp::KMeans c = sp::KMeans::fit(x, o);
  EXPECT_TRUE(same_partition(c.predict(x), truth));
}

TEST(KMeans, MiniBatchRecoversClusters) {
  auto [x, truth] = blobs(2000, 2);
  sp::KMeansOptions o;
  o.num_clusters = 4;
  o.batch_size = 256;
  o.max_iterations = 5;
  o.seed = 11;
  const sp::KMeans a = sp::KMeans::fit(x, o);
  EXPECT_TRUE(same_partition(a.predict(x), truth));
  EXPECT_TRUE(a.centroids().equal(sp::KMeans::fit(x, o).centroids()));
  // predict keeps leading dims: [B,T,D] -> [B,T]
  EXPECT_EQ(a.predict(x.reshape({4, 2000, 8})).sizes(), (at::IntArrayRef{4, 2000}));
}

TEST(KMeans, BadOptionsAndData) {
  const at::Tensor x = at::randn({10, 3});
  sp::KMeansOptions o;
  o.num_clusters = 11;
  EXPECT_THROW(sp::KMeans::fit(x, o), softprompt::InputError);
  o.num_clusters = 0;
  EXPECT_THROW(sp::KMeans::fit(x, o), softprompt::InputError);
  o.num_clusters = 2;
  at::Tensor nan = x.clone();
  nan[0][0] = NAN;
  EXPECT_THROW(sp::KMeans::fit(nan, o), softprompt::InputError);
  const sp::KMeans k = sp::KMeans::fit(x, o);
  EXPECT_THROW(k.predict(at::randn({4, 5})), c10::Error);  // wrong feature dim
}

TEST(KMeans, CentroidsSaveAndLoad) {
  auto [x, truth] = blobs(50, 5);
  sp::KMeansOptions o;
  o.num_clusters = 4;
  const sp::KMeans a = sp::KMeans::fit(x, o);
  const std::string p = temp_path("c.safetensors");
  a.save(p);
  const sp::KMeans b = sp::KMeans::load(p);
  EXPECT_TRUE(a.centroids().equal(b.centroids()));
  EXPECT_TRUE(a.predict(x).equal(b.predict(x)));
  fs::remove(p);
  // Not a centroid file: wrong key, extra key, wrong rank, garbage bytes, missing file.
  namespace io = softprompt::core::io;
  io::save_safetensors(p, {{"weights", at::ones({2, 2})}});
  EXPECT_THROW(sp::KMeans::load(p), softprompt::InputError);
  io::save_safetensors(p, {{"centroids", at::ones({2, 2})}, {"x", at::ones({1})}});
  EXPECT_THROW(sp::KMeans::load(p), softprompt::InputError);
  io::save_safetensors(p, {{"centroids", at::ones({4})}});
  EXPECT_THROW(sp::KMeans::load(p), softprompt::InputError);
  { std::ofstream(p) << "garbage"; }
  EXPECT_THROW(sp::KMeans::load(p), softprompt::InputError);
  fs::remove(p);
  EXPECT_THROW(sp::KMeans::load(p), softprompt::IoError);
}

TEST(Units, DedupCollapsesRunsAndExpandInverts) {
  const at::Tensor u = torch::tensor({5, 5, 5, 2, 2, 7, 5, 5}, at::kLong);
  const sp::DedupedUnits d = sp::dedup_units(u);
  EXPECT_TRUE(d.units.equal(torch::tensor({5, 2, 7, 5}, at::kLong)));
  EXPECT_TRUE(d.durations.equal(torch::tensor({3, 2, 1, 2}, at::kLong)));
  EXPECT_TRUE(sp::expand_units(d.units, d.durations).equal(u));
  EXPECT_EQ(sp::dedup_units(at::empty({0}, at::kLong)).units.size(0), 0);
  EXPECT_THROW(sp::dedup_units(at::ones({2, 2}, at::kLong)), c10::Error);
}

TEST(WaveformNorm, ZeroMeanUnitVarianceOverRealSamples) {
  const at::Tensor x = at::randn({2, 1000}) * 3 + 1;
  const at::Tensor y = sp::normalize_waveform(x);
  EXPECT_LT(y.mean(1).abs().max().item<double>(), 1e-5);
  EXPECT_LT((y.var(1, /*unbiased=*/false) - 1).abs().max().item<double>(), 1e-4);
  // With lengths: statistics of the first 600 samples only, padding set to the padding value.
  const at::Tensor lengths = torch::tensor({1000, 600}, at::kLong);
  const at::Tensor z = sp::normalize_waveform(x, lengths, /*padding_value=*/0.0);
  const at::Tensor head = x[1].slice(0, 0, 600).to(at::kDouble);
  const at::Tensor expect = (head - head.mean()) / at::sqrt(head.var(0, false) + 1e-7);
  EXPECT_LT((z[1].slice(0, 0, 600) - expect).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(z[1].slice(0, 600).abs().max().item<double>(), 0.0);
  EXPECT_TRUE(z[0].allclose(y[0]));
  EXPECT_THROW(sp::normalize_waveform(x, torch::tensor({1000, 1001}, at::kLong)), softprompt::InputError);
}

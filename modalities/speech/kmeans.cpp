#include "modalities/speech/kmeans.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <utility>

#include "core/errors.h"
#include "core/io/safetensors.h"

namespace softprompt::modalities::speech {
namespace {

constexpr const char* kFormat = "softprompt.kmeans";

// Squared Euclidean distances [M,K] of rows x [M,D] to centres c [K,D], via ||x||^2 - 2 x.c + ||c||^2.
at::Tensor sq_distances(const at::Tensor& x, const at::Tensor& c, const at::Tensor& c_norm) {
  at::Tensor base = x.pow(2).sum(1, /*keepdim=*/true) + c_norm.unsqueeze(0);
  return at::addmm(base, x, c.t(), /*beta=*/1, /*alpha=*/-2).clamp_min(0);
}

// Nearest centre and its squared distance for every row, in chunks of rows: -> [N] int64, [N] float.
std::pair<at::Tensor, at::Tensor> assign(const at::Tensor& x, const at::Tensor& c, int64_t chunk) {
  const at::Tensor c_norm = c.pow(2).sum(1);
  const int64_t n = x.size(0);
  at::Tensor labels = at::empty({n}, x.options().dtype(at::kLong));
  at::Tensor dist = at::empty({n}, x.options());
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t e = std::min(n, s + chunk);
    auto [d, i] = sq_distances(x.slice(0, s, e), c, c_norm).min(1);
    dist.slice(0, s, e).copy_(d);
    labels.slice(0, s, e).copy_(i);
  }
  return {labels, dist};
}

// Greedy k-means++ (scikit-learn's _kmeans_plusplus): each new centre is the best of 2 + ln(k) candidates
// drawn with probability proportional to the squared distance to the centres so far.
at::Tensor kmeans_plusplus(const at::Tensor& x, int64_t k, at::Generator& gen) {
  const int64_t n = x.size(0);
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  const auto dev = x.device();
  at::Tensor centers = at::empty({k, x.size(1)}, x.options());
  const int64_t first = at::randint(n, {1}, gen, at::TensorOptions().dtype(at::kLong)).item<int64_t>();
  centers[0].copy_(x[first]);
  at::Tensor closest =
      sq_distances(x, centers.slice(0, 0, 1), centers.slice(0, 0, 1).pow(2).sum(1)).squeeze(1);
  for (int64_t c = 1; c < k; ++c) {
    const at::Tensor cum = closest.to(at::kDouble).cumsum(0);
    const at::Tensor draws =
        at::rand({trials}, gen, at::TensorOptions().dtype(at::kDouble)).to(dev) * cum[-1];
    const at::Tensor ids = at::searchsorted(cum, draws).clamp_max(n - 1);
    const at::Tensor cand = x.index_select(0, ids);  // [trials,D]
    at::Tensor d =
        at::minimum(sq_distances(x, cand, cand.pow(2).sum(1)), closest.unsqueeze(1));  // [N,trials]
    const int64_t best = d.to(at::kDouble).sum(0).argmin().item<int64_t>();
    closest = d.select(1, best).contiguous();
    centers[c].copy_(cand[best]);
  }
  return centers;
}

// Moves the centres of empty clusters to the points farthest from their centres (as scikit-learn does).
void relocate_empty(at::Tensor& sums, at::Tensor& counts, const at::Tensor& x, const at::Tensor& dist) {
  const at::Tensor empty = (counts == 0).nonzero().squeeze(1);
  const int64_t m = empty.size(0);
  if (m == 0) return;
  const at::Tensor far = std::get<1>(dist.topk(std::min<int64_t>(m, dist.size(0))));
  for (int64_t i = 0; i < far.size(0); ++i) {
    sums[empty[i].item<int64_t>()].copy_(x[far[i].item<int64_t>()]);
    counts[empty[i].item<int64_t>()].fill_(1);
  }
}

// Lloyd's algorithm from `centers` until the squared shift <= tol or max_iterations.
at::Tensor lloyd(const at::Tensor& x, at::Tensor centers, const KMeansOptions& o, double tol,
                 int64_t* iterations) {
  const int64_t k = centers.size(0);
  for (int64_t it = 0; it < o.max_iterations; ++it) {
    auto [labels, dist] = assign(x, centers, o.chunk_size);
    at::Tensor sums = at::zeros_like(centers).index_add_(0, labels, x);
    at::Tensor counts = at::bincount(labels, /*weights=*/{}, k).to(x.scalar_type());
    relocate_empty(sums, counts, x, dist);
    at::Tensor updated = sums / counts.unsqueeze(1);
    const double shift = (updated - centers).pow(2).sum().item<double>();
    centers = updated;
    *iterations = it + 1;
    if (shift <= tol) break;
  }
  return centers;
}

// Mini-batch k-means (Sculley 2010): each centre becomes the mean of every point ever assigned to it. Stops
// after max_iterations passes, max_no_improvement steps without a better smoothed batch inertia, or a shift
// <= tol.
at::Tensor mini_batch(const at::Tensor& x, at::Tensor centers, const KMeansOptions& o, double tol,
                      at::Generator& gen, int64_t* iterations) {
  const int64_t n = x.size(0), k = centers.size(0);
  const int64_t b = std::min(o.batch_size, n);
  const int64_t steps = o.max_iterations * ((n + b - 1) / b);
  at::Tensor counts = at::zeros({k}, x.options());
  const double alpha = std::min(1.0, 2.0 * static_cast<double>(b) / static_cast<double>(n + 1));
  double ewa = 0.0, best = std::numeric_limits<double>::infinity();
  int64_t stale = 0;
  for (int64_t s = 0; s < steps; ++s) {
    const at::Tensor idx = at::randint(n, {b}, gen, at::TensorOptions().dtype(at::kLong)).to(x.device());
    const at::Tensor xb = x.index_select(0, idx);
    auto [labels, dist] = assign(xb, centers, o.chunk_size);
    const at::Tensor bsums = at::zeros_like(centers).index_add_(0, labels, xb);
    const at::Tensor bcounts = at::bincount(labels, /*weights=*/{}, k).to(x.scalar_type());
    const at::Tensor total = counts + bcounts;
    const at::Tensor updated =
        at::where((bcounts > 0).unsqueeze(1),
                  (centers * counts.unsqueeze(1) + bsums) / total.clamp_min(1).unsqueeze(1), centers);
    const double shift = (updated - centers).pow(2).sum().item<double>();
    centers = updated;
    counts = total;
    *iterations = s + 1;
    const double batch_inertia = dist.sum().item<double>() / static_cast<double>(b);
    ewa = s == 0 ? batch_inertia : ewa * (1.0 - alpha) + batch_inertia * alpha;
    if (ewa < best) {
      best = ewa;
      stale = 0;
    } else if (++stale >= o.max_no_improvement) {
      break;
    }
    if (s > 0 && shift <= tol) break;
  }
  return centers;
}

void check_options(const KMeansOptions& o, int64_t n) {
  auto bad = [](const std::string& what) { throw InputError("k-means: " + what); };
  if (o.num_clusters < 1) bad("num_clusters must be >= 1, got " + std::to_string(o.num_clusters));
  if (n < o.num_clusters)
    bad("need at least num_clusters (" + std::to_string(o.num_clusters) + ") points, got " +
        std::to_string(n));
  if (o.max_iterations < 1) bad("max_iterations must be >= 1, got " + std::to_string(o.max_iterations));
  if (o.batch_size < 0 || o.init_size < 0 || o.chunk_size < 1 || o.tolerance < 0.0)
    bad("batch_size, init_size, tolerance must be >= 0 and chunk_size >= 1");
}

}  // namespace

KMeans::KMeans(at::Tensor centroids) {
  if (!centroids.defined() || centroids.dim() != 2 || centroids.size(0) < 1 || centroids.size(1) < 1 ||
      !centroids.is_floating_point())
    throw InputError("k-means centroids must be a non-empty float [K,D] matrix");
  if (!at::isfinite(centroids).all().item<bool>())
    throw InputError("k-means centroids contain non-finite values");
  centroids_ = centroids.to(at::kFloat).contiguous();
}

KMeans KMeans::fit(const at::Tensor& data, const KMeansOptions& o) {
  TORCH_CHECK(data.dim() == 2 && data.is_floating_point(), "k-means: data must be a float [N,D] matrix, got ",
              data.sizes());
  check_options(o, data.size(0));
  const at::Tensor x = data.to(at::kFloat).contiguous();
  if (!at::isfinite(x).all().item<bool>()) throw InputError("k-means: data contain non-finite values");
  const int64_t n = x.size(0);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  // sklearn's tolerance: relative to the mean per-feature variance of the data.
  const double tol = o.tolerance * x.var(0, /*unbiased=*/false).mean().item<double>();
  int64_t init_size = o.init_size > 0 ? o.init_size : (o.batch_size > 0 ? 3 * o.batch_size : n);
  init_size = std::min(n, std::max(init_size, o.num_clusters));
  const at::Tensor init_x = init_size < n
                                ? x.index_select(0, at::randperm(n, gen, at::TensorOptions().dtype(at::kLong))
                                                        .slice(0, 0, init_size)
                                                        .to(x.device()))
                                : x;
  KMeans model;
  const at::Tensor seeds = kmeans_plusplus(init_x, o.num_clusters, gen);
  model.centroids_ = (o.batch_size == 0 ? lloyd(x, seeds, o, tol, &model.iterations_)
                                        : mini_batch(x, seeds, o, tol, gen, &model.iterations_))
                         .contiguous();
  return model;
}

at::Tensor KMeans::predict(const at::Tensor& features) const {
  // [...,D] -> [...]
  TORCH_CHECK(centroids_.defined(), "k-means: predict on an empty codebook");
  TORCH_CHECK(features.dim() >= 1 && features.size(-1) == dim() && features.is_floating_point(),
              "k-means: features must be float [..., ", dim(), "], got ", features.sizes());
  const at::Tensor x = features.reshape({-1, dim()}).to(at::kFloat);
  const at::Tensor labels = assign(x, centroids_.to(x.device()), 8192).first;
  std::vector<int64_t> shape(features.sizes().begin(), features.sizes().end() - 1);
  return labels.reshape(shape);
}

double KMeans::inertia(const at::Tensor& data) const {
  TORCH_CHECK(data.dim() == 2 && data.size(1) == dim(), "k-means: data must be [N,", dim(), "]");
  const at::Tensor x = data.to(at::kFloat);
  return assign(x, centroids_.to(x.device()), 8192).second.to(at::kDouble).sum().item<double>();
}

void KMeans::save(const std::string& path) const {
  TORCH_CHECK(centroids_.defined(), "k-means: nothing to save");
  core::io::save_safetensors(path, {{"centroids", centroids_}},
                             {{"format", kFormat},
                              {"num_clusters", std::to_string(num_clusters())},
                              {"dim", std::to_string(dim())}});
}

KMeans KMeans::load(const std::string& path) {
  core::io::SafetensorsFile file(path);
  if (!file.contains("centroids"))
    throw InputError("'" + path + "' is not a k-means file: it has no tensor 'centroids'");
  if (file.infos().size() != 1)
    throw InputError("'" + path + "' is not a k-means file: it holds " + std::to_string(file.infos().size()) +
                     " tensors, expected only 'centroids'");
  try {
    return KMeans(file.tensor("centroids").clone());
  } catch (const InputError& e) {
    throw InputError("'" + path + "': " + e.what());
  }
}

}  // namespace softprompt::modalities::speech

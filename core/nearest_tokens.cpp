#include "core/nearest_tokens.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace softprompt::core {

NearestTokens nearest_tokens(const at::Tensor& prompt, const at::Tensor& embedding, int64_t k) {
  TORCH_CHECK(prompt.dim() == 2, "nearest_tokens: prompt must be [P,D], got ", prompt.sizes());
  TORCH_CHECK(embedding.dim() == 2, "nearest_tokens: embedding must be [V,D], got ", embedding.sizes());
  TORCH_CHECK(prompt.size(1) == embedding.size(1), "nearest_tokens: prompt width ", prompt.size(1),
              " differs from the embedding width ", embedding.size(1));
  TORCH_CHECK(k >= 1, "nearest_tokens: k must be >= 1, got ", k);
  TORCH_CHECK(embedding.size(0) >= 1, "nearest_tokens: empty vocabulary");
  TORCH_CHECK(prompt.is_floating_point() && embedding.is_floating_point(),
              "nearest_tokens: float tensors needed");
  at::NoGradGuard no_grad;
  const int64_t vocab = embedding.size(0);
  k = std::min(k, vocab);
  constexpr double kEps = 1e-12;  // a zero vector has similarity 0 to everything, not NaN
  const at::Tensor p = prompt.detach().to(embedding.device(), at::kFloat);
  const at::Tensor p_unit = p / p.norm(2, {1}, /*keepdim=*/true).clamp_min(kEps);  // [P,D]
  constexpr int64_t kChunk = 8192;
  std::vector<at::Tensor> cand_scores, cand_ids;
  for (int64_t start = 0; start < vocab; start += kChunk) {
    const int64_t len = std::min(kChunk, vocab - start);
    const at::Tensor e = embedding.narrow(0, start, len).to(at::kFloat);      // [C,D]
    const at::Tensor e_norm = e.norm(2, {1}).clamp_min(kEps);                 // [C]
    const at::Tensor sims = at::matmul(p_unit, e.t()) / e_norm.unsqueeze(0);  // [P,C]
    auto [s, i] = sims.topk(std::min(k, len), /*dim=*/1);                     // [P,k']
    cand_scores.push_back(s);
    cand_ids.push_back(i + start);
  }
  const at::Tensor scores = at::cat(cand_scores, 1), ids = at::cat(cand_ids, 1);  // [P,chunks*k']
  auto [best, where] = scores.topk(k, /*dim=*/1);                                 // [P,k]
  return {ids.gather(1, where).to(at::kLong), best};
}

}  // namespace softprompt::core

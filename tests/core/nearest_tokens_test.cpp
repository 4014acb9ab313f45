// nearest_tokens: cosine nearest vocabulary entries of prompt vectors, checked against a brute-force
// computation with at::cosine_similarity (including a vocabulary larger than one scan chunk).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/nearest_tokens.h"

namespace softprompt::core {
namespace {

TEST(NearestTokens, MatchesBruteForceCosine) {
  torch::manual_seed(3);
  const auto emb = torch::randn({10000, 6});  // crosses the 8192-row chunk boundary
  auto prompt = torch::randn({5, 6});
  prompt[0] = emb[9876] * 3.0;  // a scaled copy: cosine 1 with token 9876
  prompt[1] = emb[17] * 0.5 + 1e-4;
  const auto r = nearest_tokens(prompt, emb, 4);
  ASSERT_EQ(r.ids.sizes(), (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(r.ids[0][0].item<int64_t>(), 9876);
  EXPECT_NEAR(r.scores[0][0].item<float>(), 1.0f, 1e-5);
  EXPECT_EQ(r.ids[1][0].item<int64_t>(), 17);
  const auto sims = at::cosine_similarity(prompt.unsqueeze(1), emb.unsqueeze(0), /*dim=*/2);  // [5,V]
  const auto [best, ids] = sims.topk(4, 1);
  EXPECT_TRUE(torch::equal(r.ids, ids));
  EXPECT_TRUE(torch::allclose(r.scores, best, 1e-5, 1e-6));
}

TEST(NearestTokens, HalfPrecisionEmbeddingAndEdgeCases) {
  torch::manual_seed(4);
  const auto emb = torch::randn({50, 8}).to(torch::kFloat16);
  auto prompt = torch::zeros({2, 8});
  prompt[1] = emb[7].to(torch::kFloat);
  const auto r = nearest_tokens(prompt, emb, 100);  // k clipped to V
  EXPECT_EQ(r.ids.size(1), 50);
  EXPECT_FALSE(r.scores.isnan().any().item<bool>());  // a zero prompt vector gives 0, not NaN
  EXPECT_EQ(r.ids[1][0].item<int64_t>(), 7);
  EXPECT_THROW(nearest_tokens(torch::zeros({2, 7}), emb, 1), c10::Error);
  EXPECT_THROW(nearest_tokens(torch::zeros({2, 8}), emb, 0), c10::Error);
  EXPECT_THROW(nearest_tokens(torch::zeros({8}), emb, 1), c10::Error);
}

}  // namespace
}  // namespace softprompt::core

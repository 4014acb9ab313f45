// CoOp through ClipPromptClassifier on the tiny fixture CLIP: only the context trains, class-token positions,
// unified vs class-specific contexts, and the image-feature cache (memory and disk) equal to the uncached
// path.
#include <gtest/gtest.h>

#include "../core/temp_dir.h"
#include "clip_methods_util.h"
#include "core/artifact.h"

namespace softprompt::test {
namespace {

using core::methods::VlMethod;

std::vector<std::string> ids_for(int64_t first, int64_t n) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < n; ++i) out.push_back("img" + std::to_string(first + i));
  return out;
}

TEST(ClipCoOp, TrainsOnlyTheContext) {
  auto model = tiny_clip();
  auto clf = make_classifier(model, method_options(VlMethod::kCoOp));
  const auto logits = clf.logits(tiny_images(5, 1));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{5, 4}));
  auto params = clf.trainable_parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params.begin()->first, "text.prompt_embeddings");
  EXPECT_EQ(params.begin()->second.sizes(), (std::vector<int64_t>{4, 64}));
  torch::nn::functional::cross_entropy(logits, torch::tensor({0, 1, 2, 3, 0})).backward();
  EXPECT_GT(params.begin()->second.grad().abs().sum().item<double>(), 0);
  for (const auto& p : model->parameters()) {
    EXPECT_FALSE(p.requires_grad());
    EXPECT_FALSE(p.grad().defined());
  }
}

TEST(ClipCoOp, ContextInitFromText) {
  auto model = tiny_clip();
  auto clf = make_classifier(model, method_options(VlMethod::kCoOp));
  const auto ids = hash_tokenize("a photo of a");
  const auto expected =
      model->text_model->embeddings->token_embedding->weight.index_select(0, torch::tensor(ids));
  EXPECT_TRUE(torch::equal(clf.trainable_parameters().at("text.prompt_embeddings").detach(), expected));
}

// The K template rows: SOT, then the context and the class tokens in the order the position asks for.
TEST(ClipCoOp, ClassTokenPositions) {
  auto model = tiny_clip();
  const auto cls = hash_tokenize("small red car");  // class 2: three tokens
  const int64_t dot = hash_tokenize(".")[0];
  for (auto [position, soft_at, class_at] :
       {std::tuple{core::ClassPosition::kEnd, std::vector<int64_t>{1, 2, 3, 4}, int64_t{5}},
        std::tuple{core::ClassPosition::kFront, std::vector<int64_t>{4, 5, 6, 7}, int64_t{1}},
        std::tuple{core::ClassPosition::kMiddle, std::vector<int64_t>{1, 2, 6, 7}, int64_t{3}}}) {
    auto o = method_options(VlMethod::kCoOp);
    o.class_position = position;
    auto clf = make_classifier(model, o);
    const auto& placed = clf.placed_classes();
    const auto row = placed.input_ids[2], soft = placed.soft_index[2];
    SCOPED_TRACE(core::methods::to_string(position));
    EXPECT_EQ(row[0].item<int64_t>(), 510);
    for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(soft[soft_at[k]].item<int64_t>(), k);
    for (size_t j = 0; j < cls.size(); ++j) EXPECT_EQ(row[class_at + j].item<int64_t>(), cls[j]);
    EXPECT_EQ(row[8].item<int64_t>(), dot);
    EXPECT_EQ(row[9].item<int64_t>(), 511);
    EXPECT_EQ(clf.logits(tiny_images(2, 3)).sizes(), (std::vector<int64_t>{2, 4}));
  }
}

// Unified: one context moves every class's logit; class-specific: context k moves class k's logit only (the
// other classes' logits stay bit-identical).
TEST(ClipCoOp, ClassSpecificVersusUnified) {
  auto model = tiny_clip();
  const auto images = tiny_images(3, 4);
  auto csc = method_options(VlMethod::kCoOp);
  csc.class_specific = true;
  auto clf = make_classifier(model, csc);
  auto weight = clf.trainable_parameters().at("text.prompt_embeddings");
  ASSERT_EQ(weight.sizes(), (std::vector<int64_t>{4, 4, 64}));
  torch::NoGradGuard no_grad;
  const auto before = clf.logits(images);
  weight[1].add_(torch::randn({4, 64}, at::make_generator<at::CPUGeneratorImpl>(9)));
  const auto diff = (clf.logits(images) - before).abs().amax(0);  // [K]
  EXPECT_GT(diff[1].item<double>(), 0.0);
  for (int64_t k : {0, 2, 3}) EXPECT_EQ(diff[k].item<double>(), 0.0);

  auto unified = make_classifier(model, method_options(VlMethod::kCoOp));
  const auto u0 = unified.logits(images);
  unified.trainable_parameters()
      .at("text.prompt_embeddings")
      .add_(torch::randn({4, 64}, at::make_generator<at::CPUGeneratorImpl>(9)));
  EXPECT_GT((unified.logits(images) - u0).abs().amax(0).min().item<double>(), 0.0);
  // A class-specific context is for its K classes only.
  EXPECT_THROW(clf.set_classes({"cat", "dog"}), InputError);
}

TEST(ClipCoOp, CachedImageFeaturesEqualTheUncachedPath) {
  auto model = tiny_clip();
  auto clf = make_classifier(model, method_options(VlMethod::kCoOp));
  const auto a = tiny_images(6, 5), b = tiny_images(6, 6);
  const auto uncached_a = clf.logits(a), uncached_b = clf.logits(b);
  EXPECT_EQ(clf.cache().size(), 0);
  // First sight (every row missing), then from the cache.
  EXPECT_TRUE(torch::equal(clf.logits(a, ids_for(0, 6)), uncached_a));
  EXPECT_TRUE(torch::equal(clf.logits(a, ids_for(0, 6)), uncached_a));
  EXPECT_EQ(clf.cache().hits(), 6);
  // A batch mixing cached and new images: the new ones are computed, the cached ones reused.
  auto mixed = torch::cat({a.narrow(0, 0, 3), b.narrow(0, 0, 3)});
  auto mixed_ids = ids_for(0, 3);
  for (const auto& id : ids_for(100, 3)) mixed_ids.push_back(id);
  const auto cached_mixed = clf.logits(mixed, mixed_ids);
  EXPECT_EQ(clf.cache().size(), 9);
  EXPECT_TRUE(torch::equal(cached_mixed.narrow(0, 0, 3), uncached_a.narrow(0, 0, 3)));
  EXPECT_TRUE(torch::allclose(cached_mixed.narrow(0, 3, 3), uncached_b.narrow(0, 0, 3), 1e-6, 1e-6));
  // Training through cached features reaches the context as before.
  torch::nn::functional::cross_entropy(clf.logits(a, ids_for(0, 6)), torch::tensor({0, 1, 2, 3, 0, 1}))
      .backward();
  EXPECT_GT(clf.trainable_parameters().at("text.prompt_embeddings").grad().abs().sum().item<double>(), 0);
}

TEST(ClipCoOp, DiskCacheIsReusedAndKeyedByBackbone) {
  testing::TempDir dir;
  auto model = tiny_clip();
  auto options = tiny_classifier_options();
  options.cache_path = dir / "features.safetensors";
  const auto images = tiny_images(4, 7);
  at::Tensor first;
  {
    auto clf = make_classifier(model, method_options(VlMethod::kCoOp), options);
    first = clf.logits(images, ids_for(0, 4));
    clf.cache().save();
  }
  auto again = make_classifier(model, method_options(VlMethod::kCoOp), options);
  EXPECT_EQ(again.cache().size(), 4);
  EXPECT_TRUE(torch::equal(again.logits(images, ids_for(0, 4)), first));
  EXPECT_EQ(again.cache().misses(), 0);
  // Another backbone's weights: the file is ignored (with a warning) and rebuilt.
  std::vector<std::string> warnings;
  core::FeatureCache other("another-backbone", options.cache_path,
                           [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(other.size(), 0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("another-backbone"), std::string::npos);
}

}  // namespace
}  // namespace softprompt::test

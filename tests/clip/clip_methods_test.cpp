// CoCoOp, VPT (shallow, deep), MaPLe and independent V+L prompts on the tiny fixture CLIP: each trains only
// its own tensors, CoCoOp conditions on the image, MaPLe's vision prompts are a function of its text prompts,
// and every method's artifact loads back to identical logits.
#include <gtest/gtest.h>

#include "../core/temp_dir.h"
#include "clip_methods_util.h"
#include "core/artifact.h"
#include "core/methods/projected_prompt.h"

namespace softprompt::test {
namespace {

using core::methods::VlMethod;

const std::vector<VlMethod>& all_methods() {
  static const std::vector<VlMethod> m{VlMethod::kCoOp,    VlMethod::kCoCoOp, VlMethod::kVptShallow,
                                       VlMethod::kVptDeep, VlMethod::kMaPLe,  VlMethod::kIvlp};
  return m;
}

// The tensors each method trains on the 2-layer tiny CLIP (depth defaults to both layers).
std::set<std::string> expected_names(VlMethod m) {
  switch (m) {
    case VlMethod::kCoOp:
      return {"text.prompt_embeddings"};
    case VlMethod::kCoCoOp:
      return {"text.base.prompt_embeddings", "text.meta_net.linear1.weight", "text.meta_net.linear1.bias",
              "text.meta_net.linear2.weight", "text.meta_net.linear2.bias"};
    case VlMethod::kVptShallow:
      return {"vision.prompt_embeddings"};
    case VlMethod::kVptDeep:
      return {"vision.prompt_embeddings", "vision_layer_1.prompt_embeddings"};
    case VlMethod::kMaPLe:
      return {"text.prompt_embeddings", "text_layer_1.prompt_embeddings", "vision.proj.weight",
              "vision.proj.bias",       "vision_layer_1.proj.weight",     "vision_layer_1.proj.bias"};
    case VlMethod::kIvlp:
      return {"text.prompt_embeddings", "text_layer_1.prompt_embeddings", "vision.prompt_embeddings",
              "vision_layer_1.prompt_embeddings"};
  }
  return {};
}

TEST(ClipMethods, EachTrainsOnlyItsOwnTensors) {
  auto model = tiny_clip();
  for (VlMethod m : all_methods()) {
    SCOPED_TRACE(core::methods::to_string(m));
    auto clf = make_classifier(model, method_options(m));
    const auto logits = clf.logits(tiny_images(3, 1), {"a", "b", "c"});
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{3, 4}));
    std::set<std::string> names;
    for (const auto& [name, t] : clf.trainable_parameters()) names.insert(name);
    EXPECT_EQ(names, expected_names(m));
    torch::nn::functional::cross_entropy(logits, torch::tensor({0, 1, 2})).backward();
    for (const auto& [name, t] : clf.trainable_parameters()) {
      ASSERT_TRUE(t.grad().defined()) << name;
      EXPECT_GT(t.grad().abs().sum().item<double>(), 0) << name;
    }
    for (const auto& p : model->parameters()) {
      EXPECT_FALSE(p.requires_grad());
      EXPECT_FALSE(p.grad().defined());
    }
    // Frozen image features are cached exactly when no prompt enters the image tower.
    EXPECT_EQ(clf.cache().size(), clf.prompts().vision_prompts ? 0 : 3);
  }
}

TEST(ClipMethods, CoCoOpConditionsOnTheImage) {
  auto model = tiny_clip();
  auto clf = make_classifier(model, method_options(VlMethod::kCoCoOp));
  const auto images = tiny_images(2, 2);
  torch::NoGradGuard no_grad;
  const auto features = clf.image_features(images);
  const auto text = clf.text_features(features);
  ASSERT_EQ(text.sizes(), (std::vector<int64_t>{2, 4, 32}));
  EXPECT_GT((text[0] - text[1]).abs().max().item<double>(), 1e-5);  // per-image prompts
  // Image 0's logits do not depend on the other images of its batch.
  const auto both = clf.logits(images), alone = clf.logits(images.narrow(0, 0, 1));
  EXPECT_TRUE(torch::allclose(both.narrow(0, 0, 1), alone, 1e-5, 1e-6));
  // The prompt for an image is the context plus the meta-net's bias of its normalised feature.
  auto& cond = *clf.prompts().conditional.ptr();
  const auto f = features / features.norm(2, -1, true);
  cond.set_condition(f, 1);
  const auto v = cond.select(torch::zeros({2}, torch::kLong)).vectors;
  const auto ctx = clf.trainable_parameters().at("text.base.prompt_embeddings");
  EXPECT_TRUE(torch::allclose(v, ctx.unsqueeze(0) + cond.meta_net(f).unsqueeze(1)));
}

TEST(ClipMethods, MaPLeVisionPromptsAreProjectedTextPrompts) {
  auto model = tiny_clip();
  auto clf = make_classifier(model, method_options(VlMethod::kMaPLe));
  auto params = clf.trainable_parameters();
  torch::NoGradGuard no_grad;
  core::methods::ProjectedPromptImpl* deep = nullptr;
  for (const auto& child : clf.prompts().set->named_children())
    if (child.key() == "vision_layer_1")
      deep = dynamic_cast<core::methods::ProjectedPromptImpl*>(child.value().get());
  ASSERT_NE(deep, nullptr);
  const auto rows = torch::zeros({1}, torch::kLong);
  const auto text = params.at("text_layer_1.prompt_embeddings");
  const auto expected =
      torch::addmm(params.at("vision_layer_1.proj.bias"), text, params.at("vision_layer_1.proj.weight").t());
  EXPECT_TRUE(torch::allclose(deep->select(rows).vectors[0], expected, 1e-6, 1e-6));
  // Moving the text prompt moves the vision prompt: the image features change with a text-side tensor.
  const auto images = tiny_images(2, 3);
  const auto before = clf.image_features(images);
  text.add_(0.5);
  EXPECT_GT((clf.image_features(images) - before).abs().max().item<double>(), 1e-5);
}

TEST(ClipMethods, VptLeavesTheTextSideFrozen) {
  auto model = tiny_clip();
  for (VlMethod m : {VlMethod::kVptShallow, VlMethod::kVptDeep}) {
    auto clf = make_classifier(model, method_options(m));
    const auto text = clf.text_features(at::Tensor());
    EXPECT_FALSE(text.requires_grad());
    EXPECT_EQ(text.sizes(), (std::vector<int64_t>{4, 32}));
    EXPECT_TRUE(clf.image_features(tiny_images(2, 4)).requires_grad());
    EXPECT_EQ(clf.prompts().set->slots().size(), m == VlMethod::kVptDeep ? 2u : 1u);
  }
}

TEST(ClipMethods, SaveLoadGivesIdenticalLogits) {
  testing::TempDir dir;
  auto model = tiny_clip();
  const auto images = tiny_images(3, 8);
  for (VlMethod m : all_methods()) {
    SCOPED_TRACE(core::methods::to_string(m));
    auto trained = make_classifier(model, method_options(m, /*seed=*/1));
    {
      torch::NoGradGuard no_grad;
      for (auto& [name, t] : trained.trainable_parameters()) t.add_(0.01 * torch::randn_like(t));
    }
    core::Manifest manifest;
    manifest.method = core::methods::to_string(m);
    manifest.slots = trained.prompts().set->slots();
    manifest.labels = tiny_classes();
    const std::string stem = dir / core::methods::to_string(m);
    core::save_artifact(stem, core::methods::vl_prompt_tensors(trained.prompts()), manifest);
    auto loaded = make_classifier(model, method_options(m, /*seed=*/2));
    const auto artifact = core::load_artifact(stem);
    loaded.load_parameters(artifact.tensors, artifact.paths.tensors);
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(loaded.logits(images), trained.logits(images)));
  }
}

TEST(ClipMethods, BadOptionsAreInputErrors) {
  auto model = tiny_clip();
  EXPECT_THROW(core::methods::parse_vl_method("coop2"), InputError);
  EXPECT_THROW(core::methods::parse_class_position("left"), InputError);
  auto o = method_options(VlMethod::kCoOp);
  o.n_ctx = 1;
  o.class_position = core::ClassPosition::kMiddle;
  EXPECT_THROW(make_classifier(model, o), InputError);
  o = method_options(VlMethod::kCoCoOp);
  o.class_specific = true;
  EXPECT_THROW(make_classifier(model, o), InputError);
  o = method_options(VlMethod::kVptDeep);
  o.depth = 3;  // the tiny CLIP has 2 layers
  EXPECT_THROW(make_classifier(model, o), InputError);
  auto clf = make_classifier(model, method_options(VlMethod::kCoOp));
  EXPECT_THROW(clf.set_classes({}), InputError);
  EXPECT_THROW(clf.logits(tiny_images(2, 1), {"only-one-id"}), InputError);
  // A wrongly shaped tensor in an artifact names the key.
  auto tensors = core::methods::vl_prompt_tensors(clf.prompts());
  tensors["text.prompt_embeddings"] = torch::zeros({5, 64});
  EXPECT_THROW(clf.load_parameters(tensors, "x.safetensors"), InputError);
}

}  // namespace
}  // namespace softprompt::test

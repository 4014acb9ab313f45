#pragma once
// CLIP as a prompt-learned K-way image classifier (CoOp's CustomCLIP): logits [B,K] = exp(logit_scale) *
// cos(image_feature_b, text_feature_k), the text features made from the class names placed in the method's
// template, the method's prompts entering CLIP at its slots (core/methods/vl_prompts.h).
//
// Why here (models/clip) and not in recipes/common: it is CLIP's own zero/few-shot head and needs only core
// (tokenization is passed in as a function), so the image recipe, bench/coop and the tests share one copy.
//
// Image features: when the method puts no prompts into the image tower they do not depend on anything that
// trains, so with an id per image they are computed once (core::FeatureCache, optionally on disk) and reused.
// The cached logits equal the uncached path exactly (a hit returns the stored rows; misses are one batch).
//
//   auto prompts = make_vl_prompts(model, options, tokenize, class_names);   // e.g. options.method = kCoOp
//   ClipPromptClassifier clf(model, prompts, tokenize, {});
//   clf.set_classes(class_names);
//   auto logits = clf.logits(pixel_values, image_ids);   // [B,K]; cross_entropy -> backward -> step
//   core::save_artifact(stem, clf.trainable_parameters(), manifest);
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/feature_cache.h"
#include "core/methods/vl_prompts.h"
#include "core/placement.h"
#include "models/clip/model.h"

namespace softprompt::models::clip {

// The widths, depths and VPT init bound of this CLIP, for core::methods::build_vl_prompts.
core::methods::VlDims vl_dims(const ClipConfig& config);
// build_vl_prompts for this CLIP: its dims, its frozen token embeddings and tokenize(options.ctx_init).
core::methods::VlPrompts make_vl_prompts(ClipModel& model, const core::methods::VlPromptOptions& options,
                                         const core::Tokenize& tokenize,
                                         const std::vector<std::string>& class_names);

struct ClassifierOptions {
  int64_t sot_id = 49406, eot_id = 49407, pad_id = 0;  // CLIP BPE's specials (clip.tokenize pads with 0)
  bool cache_image_features = true;  // only used when the method has no vision prompts and ids are given
  std::string cache_path;            // "" = in memory; else a safetensors file keyed by image id
  // false: the text tower runs all max_positions (77) positions, as CoOp does; the default runs to the
  // longest EOT (same result, DESIGN.md performance principles). bench/coop compares the two.
  bool truncate_text = true;
};

class ClipPromptClassifier {
 public:
  // `tokenize` returns ids without SOT/EOT (the classifier adds them). The model stays frozen.
  ClipPromptClassifier(ClipModel model, core::methods::VlPrompts prompts, core::Tokenize tokenize,
                       ClassifierOptions options = {});

  // The K classes (base or novel). Throws InputError for none, or a count other than a class-specific
  // context's. Places the K template rows once.
  void set_classes(const std::vector<std::string>& class_names);
  int64_t num_classes() const { return static_cast<int64_t>(classes_.size()); }

  // pixel_values [B,3,H,W], image_ids [B] (or empty: no caching) -> [B,E]. With grad only through vision
  // prompts; frozen features come from the cache when ids are given and caching is on.
  at::Tensor image_features(const at::Tensor& pixel_values, const std::vector<std::string>& image_ids = {});
  // image_features [B,E] -> text features [K,E], or [B,K,E] for a conditional method (CoCoOp).
  at::Tensor text_features(const at::Tensor& image_features);
  // image_features [B,E] -> [B,K].
  at::Tensor logits_from_features(const at::Tensor& image_features);
  // [B,3,H,W] -> [B,K].
  at::Tensor logits(const at::Tensor& pixel_values, const std::vector<std::string>& image_ids = {});

  core::io::TensorMap trainable_parameters() const;  // the prompt tensors that require grad, by name
  // Strict: every prompt tensor present with its shape, nothing else (InputError naming the key and source).
  void load_parameters(const core::io::TensorMap& tensors, const std::string& source);

  const core::methods::VlPrompts& prompts() const { return prompts_; }
  core::FeatureCache& cache() { return *cache_; }
  ClipModel& model() { return model_; }
  const core::PlacedBatch& placed_classes() const { return placed_; }

 private:
  at::Tensor frozen_image_features(const at::Tensor& pixel_values);

  ClipModel model_;
  core::methods::VlPrompts prompts_;
  core::Tokenize tokenize_;
  ClassifierOptions options_;
  std::unique_ptr<core::FeatureCache> cache_;
  std::vector<std::string> classes_;
  core::PlacedBatch placed_;  // the K class rows in the template
  at::Tensor fixed_text_;     // [K,E] when no text prompts train (computed once per set_classes)
};

}  // namespace softprompt::models::clip

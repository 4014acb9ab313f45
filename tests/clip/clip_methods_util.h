#pragma once
// Shared by the CLIP prompt-method suites: the tiny fixture CLIP, a word-hash tokenizer for its 512-token
// vocabulary, random images, and a classifier for a method.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "clip_test_util.h"
#include "core/errors.h"
#include "core/methods/vl_prompts.h"
#include "models/clip/prompt_classifier.h"

namespace softprompt::test {

// Words and punctuation -> ids in [1, 500): deterministic, enough for placement tests (SOT 510, EOT 511).
inline std::vector<int64_t> hash_tokenize(const std::string& text) {
  std::vector<int64_t> ids;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    uint64_t h = 1469598103934665603ull;
    for (char c : word) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    ids.push_back(1 + static_cast<int64_t>(h % 499));
    word.clear();
  };
  for (char c : text) {
    if (c == ' ') {
      flush();
    } else if (c == '.' || c == ',') {
      flush();
      word = std::string(1, c);
      flush();
    } else {
      word += c;
    }
  }
  flush();
  return ids;
}

inline const std::vector<std::string>& tiny_classes() {
  static const std::vector<std::string> k{"cat", "dog", "small red car", "tree"};
  return k;
}

inline models::clip::ClipModel tiny_clip() { return models::clip::load_clip(fixture("clip/hf")).model; }

// [n,3,32,32] images from a fixed seed.
inline at::Tensor tiny_images(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn({n, 3, 32, 32}, gen, torch::kFloat);
}

inline models::clip::ClassifierOptions tiny_classifier_options() {
  models::clip::ClassifierOptions o;
  o.sot_id = 510;
  o.eot_id = 511;
  return o;
}

inline core::methods::VlPromptOptions method_options(core::methods::VlMethod m, uint64_t seed = 0) {
  core::methods::VlPromptOptions o;
  o.method = m;
  o.n_ctx = 4;
  o.vision_tokens = 3;
  o.seed = seed;
  return o;
}

inline models::clip::ClipPromptClassifier make_classifier(
    models::clip::ClipModel model, const core::methods::VlPromptOptions& o,
    models::clip::ClassifierOptions co = tiny_classifier_options()) {
  auto prompts = models::clip::make_vl_prompts(model, o, hash_tokenize, tiny_classes());
  models::clip::ClipPromptClassifier clf(model, prompts, hash_tokenize, co);
  clf.set_classes(tiny_classes());
  return clf;
}

}  // namespace softprompt::test

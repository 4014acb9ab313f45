// bench_coop: CoOp training (Zhou et al. 2022) on the ViT-B/32 CLIP config with random weights, 10 classes,
// batch 32, 16 context vectors, SGD. Three ways, each from the same initial context and the same batch order:
//   coop_way   the image encoder rerun at every step and the text tower over all 77 positions (CoOp's code);
//   uncached   our classifier without image ids: image encoder every step, text tower to the longest EOT;
//   cached     our classifier with image ids: image features computed once (first epoch) and reused.
// `uncached` and `cached` must give identical logits at every step (torch::equal, checked); coop_way is
// compared by max abs difference. Prints per-epoch seconds, medians over the epochs after the first, the
// ratios, and one JSON line. Usage: bench_coop [epochs=3] [steps=2] [threads=2]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/threads.h"
#include "models/clip/prompt_classifier.h"

using namespace softprompt;

namespace {

constexpr int64_t kBatch = 32, kClasses = 10, kContext = 16;

// Class names -> distinct ids in CLIP's word range (random weights: which words does not matter).
std::vector<int64_t> word_ids(const std::string& text) {
  std::vector<int64_t> ids;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    ids.push_back(1000 +
                  static_cast<int64_t>(std::hash<std::string>()(text.substr(start, end - start)) % 39000));
    start = end + 1;
  }
  return ids;
}

struct Run {
  std::vector<double> epoch_s;
  std::vector<at::Tensor> logits;  // per step, detached
};

struct Setup {
  models::clip::ClipModel model{nullptr};
  std::vector<std::string> classes;
  at::Tensor images, labels;
  std::vector<std::vector<int64_t>> orders;  // per epoch, a permutation of the images
};

Run train(const Setup& s, bool cached, bool truncate_text) {
  core::methods::VlPromptOptions o;
  o.n_ctx = kContext;
  o.ctx_init = "";  // CoOp's default: 16 random vectors, class token at the end
  models::clip::ClipModel model = s.model;
  auto prompts = models::clip::make_vl_prompts(model, o, word_ids, s.classes);
  models::clip::ClassifierOptions co;
  co.truncate_text = truncate_text;
  models::clip::ClipPromptClassifier clf(model, prompts, word_ids, co);
  clf.set_classes(s.classes);
  std::vector<at::Tensor> params;
  for (auto& [name, t] : clf.trainable_parameters()) params.push_back(t);
  torch::optim::SGD opt(params, torch::optim::SGDOptions(0.002).momentum(0.9));
  Run run;
  for (const auto& order : s.orders) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t first = 0; first < order.size(); first += kBatch) {
      std::vector<int64_t> idx(order.begin() + first, order.begin() + first + kBatch);
      std::vector<std::string> ids;
      for (int64_t i : idx) ids.push_back("image" + std::to_string(i));
      const auto index = torch::tensor(idx, torch::kLong);
      opt.zero_grad();
      const auto logits =
          clf.logits(s.images.index_select(0, index), cached ? ids : std::vector<std::string>{});
      torch::nn::functional::cross_entropy(logits, s.labels.index_select(0, index)).backward();
      opt.step();
      run.logits.push_back(logits.detach());
    }
    run.epoch_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return run;
}

double median_after_first(std::vector<double> s) {
  if (s.size() > 1) s.erase(s.begin());
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t epochs = 3, steps = 2, threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&](const char* key) {
      return std::max<int64_t>(1, std::stoll(a.substr(std::strlen(key))));
    };
    if (a.rfind("epochs=", 0) == 0) epochs = value("epochs=");
    if (a.rfind("steps=", 0) == 0) steps = value("steps=");
    if (a.rfind("threads=", 0) == 0) threads = value("threads=");
  }
  threads = core::configure_threads(static_cast<int>(threads));
  torch::manual_seed(0);
  Setup s;
  s.model = models::clip::ClipModel(models::clip::vit_b32());
  for (auto& p : s.model->parameters()) p.set_requires_grad(false);
  s.model->eval();
  for (int64_t k = 0; k < kClasses; ++k)
    s.classes.push_back("class " + std::to_string(k) + (k % 2 ? " thing" : ""));
  const int64_t n = steps * kBatch;
  s.images = torch::randn({n, 3, 224, 224});
  s.labels = torch::randint(kClasses, {n}, torch::kLong);
  for (int64_t e = 0; e < epochs; ++e) {
    auto perm = torch::randperm(n, torch::kLong);
    s.orders.emplace_back(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + n);
  }
  const Run coop = train(s, /*cached=*/false, /*truncate_text=*/false);
  const Run uncached = train(s, /*cached=*/false, /*truncate_text=*/true);
  const Run cached = train(s, /*cached=*/true, /*truncate_text=*/true);
  bool identical = true;
  double coop_diff = 0;
  for (size_t i = 0; i < cached.logits.size(); ++i) {
    identical = identical && torch::equal(cached.logits[i], uncached.logits[i]);
    coop_diff = std::max(coop_diff, (coop.logits[i] - cached.logits[i]).abs().max().item<double>());
  }
  std::printf("%-6s %12s %12s %12s %14s %14s\n", "epoch", "coop_way s", "uncached s", "cached s",
              "coop/cached", "uncached/cached");
  for (int64_t e = 0; e < epochs; ++e)
    std::printf("%-6lld %12.3f %12.3f %12.3f %13.1fx %13.1fx\n", static_cast<long long>(e + 1),
                coop.epoch_s[e], uncached.epoch_s[e], cached.epoch_s[e], coop.epoch_s[e] / cached.epoch_s[e],
                uncached.epoch_s[e] / cached.epoch_s[e]);
  const double mc = median_after_first(coop.epoch_s), mu = median_after_first(uncached.epoch_s),
               mk = median_after_first(cached.epoch_s);
  std::printf(
      "median epoch after the first: coop_way %.3f s, uncached %.3f s, cached %.3f s -> %.1fx, %.1fx\n", mc,
      mu, mk, mc / mk, mu / mk);
  std::printf("cached vs uncached logits identical at every step: %s; coop_way vs cached max |diff| %.3g\n",
              identical ? "yes" : "NO", coop_diff);
  nlohmann::json j = {{"impl", "softprompt-cpp"},
                      {"bench", "coop"},
                      {"threads", threads},
                      {"epochs", epochs},
                      {"steps_per_epoch", steps},
                      {"batch", kBatch},
                      {"classes", kClasses},
                      {"coop_way_epoch_s", coop.epoch_s},
                      {"uncached_epoch_s", uncached.epoch_s},
                      {"cached_epoch_s", cached.epoch_s},
                      {"median_epoch_s", {{"coop_way", mc}, {"uncached", mu}, {"cached", mk}}},
                      {"logits_identical", identical},
                      {"coop_way_max_abs_diff", coop_diff}};
  std::cout << j.dump() << "\n";
  return identical ? 0 : 1;
}

// bench_clip_text_truncation: CLIP's text tower is causal, so the pooled output at the EOT depends only on
// positions up to it (DESIGN.md, performance principles). CoOp-style step on the ViT-B/32 text tower (random
// weights; 12 blocks, width 512): 10 class prompts of 2-6 tokens + 16 context vectors inserted after SOT
// (PromptSet), forward + backward to the prompts. Compares running to the longest EOT (default) with running
// all 77 positions, checks both give the same pooled output, prints one JSON line.
// Usage: bench_clip_text_truncation [repeats=N]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/methods/soft_prompt.h"
#include "core/prompt_set.h"
#include "core/threads.h"
#include "models/clip/config.h"
#include "models/clip/text_model.h"

using namespace softprompt;

int main(int argc, char** argv) {
  int repeats = 3;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]).rfind("repeats=", 0) == 0) repeats = std::max(1, std::stoi(argv[i] + 8));
  const int threads = core::configure_threads(0);
  torch::manual_seed(0);
  const auto config = models::clip::vit_b32().text;
  models::clip::ClipTextTransformer tower(config);
  for (auto& p : tower->parameters()) p.set_requires_grad(false);
  tower->eval();
  const int64_t classes = 10, ctx = 16, length = 77 - ctx;  // CoOp: 16 context vectors, 77 positions in all
  auto ids = torch::zeros({classes, length}, torch::kLong);
  for (int64_t c = 0; c < classes; ++c) {  // SOT, 2..6 name tokens and ".", EOT
    const int64_t n = 2 + c % 5;
    ids[c][0] = 49406;
    ids[c].narrow(0, 1, n).copy_(torch::randint(1000, 40000, {n}, torch::kLong));
    ids[c][n + 1] = 49407;
  }
  core::methods::SoftPromptOptions o;
  o.num_tokens = ctx;
  o.dim = config.hidden_size;
  core::methods::SoftPrompt context(o);
  core::PromptSet set;
  set->add_insert_slot("text", context.ptr(), core::InsertAt{core::InsertAt::Kind::kPrefix, 1});
  const auto eot = tower->eot_index(ids);
  const auto mask = models::clip::mask_through(eot, length);
  const auto tokens = tower->embed(ids);

  auto step = [&](bool truncate) {
    set->begin_batch({});
    models::clip::TextEncodeOptions opt;
    opt.truncate = truncate;
    auto out = tower->encode({tokens, mask}, eot + ctx, *set, opt);
    out.pooled.square().sum().backward();
    context->weight.mutable_grad() = at::Tensor();
    return out;
  };
  auto time = [&](bool truncate) {
    std::vector<double> s;
    step(truncate);  // warm-up
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      step(truncate);
      s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(s.begin(), s.end());
    return s[s.size() / 2];
  };
  const auto a = step(true), b = step(false);
  const double diff = (a.pooled - b.pooled).abs().max().item<double>();
  const double cut = time(true), full = time(false);
  nlohmann::json j = {{"bench", "clip_text_truncation"},
                      {"threads", threads},
                      {"positions_truncated", a.last_hidden_state.size(1)},
                      {"positions_full", b.last_hidden_state.size(1)},
                      {"pooled_max_abs_diff", diff},
                      {"step_s_truncated", cut},
                      {"step_s_full", full},
                      {"speedup", full / cut}};
  std::cout << j.dump() << "\n";
  return diff <= 1e-4 ? 0 : 1;
}

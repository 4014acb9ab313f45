// bench_sentiment: the C++ side of bench/run_sentiment.sh. GPT-2 small (random weights: 12 blocks, 768, vocab
// 50257), batch 8, 64 tokens, 20 virtual tokens; the same cases as bench/baseline_gpt2_peft.py, done the
// softprompt way: prompts inserted by the core PromptSet, the classification step computing only the label
// words' logits at the read position, the LM loss chunked, a mixed-prompt batch gathered from a PromptBank.
// Prints one JSON line: median seconds per step and peak RSS.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/methods/prompt_bank.h"
#include "core/prompt_set.h"
#include "core/threads.h"
#include "models/gpt2/model.h"
#include "recipes/common/recipe_main.h"

using namespace softprompt;

int main(int argc, char** argv) {
  return recipes::run_recipe("bench_sentiment", argc, argv, [](const recipes::RecipeArgs& a) {
    std::string kase = "train_step";
    int repeats = 10, layers = 12;
    for (const auto& o : a.overrides) {
      const auto eq = o.find('=');
      const auto k = o.substr(0, eq), v = o.substr(eq + 1);
      if (k == "case") kase = v;
      else if (k == "repeats") repeats = std::stoi(v);
      else if (k == "layers") layers = std::stoi(v);
    }
    const int64_t B = 8, T = 64, P = 20;
    torch::manual_seed(0);
    auto cfg = models::gpt2::gpt2_small();
    cfg.n_layer = layers;
    models::gpt2::Model model(cfg);
    for (auto& p : model->parameters()) p.set_requires_grad(false);
    model->eval();
    std::vector<at::Tensor> init;
    for (int i = 0; i < 4; ++i) init.push_back(torch::randn({P, 768}) * 0.02);
    core::methods::PromptBank bank(std::vector<std::string>{"a", "b", "c", "d"}, init);
    core::PromptSet prompts;
    prompts->add_insert_slot("text", bank.ptr(), core::InsertAt{core::InsertAt::Kind::kPrefix, 0});
    torch::optim::AdamW opt(std::vector<at::Tensor>{bank->weight}, torch::optim::AdamWOptions(1e-3));
    const auto ids = torch::randint(0, 50257, {B, T}, torch::kLong);
    const auto mask = torch::ones({B, T}, torch::kLong);
    const auto label_ids = torch::tensor({922, 2089}, torch::kLong);
    const auto labels = torch::randint(0, 2, {B}, torch::kLong);
    const auto single = torch::zeros({B}, torch::kLong);
    const auto mixed = torch::arange(B, torch::kLong) % 4;

    auto forward = [&](const at::Tensor& rows) {
      prompts->begin_batch(rows);
      return model->forward_slots({model->embed(ids), mask}, *prompts).last_hidden_state;  // [B,P+T,D]
    };
    auto step = [&] {
      if (kase == "train_step") {  // LM loss over the input positions, full vocabulary, in chunks
        auto h = forward(single);
        auto loss = model->lm_loss(h.slice(1, P, P + T - 1), ids.slice(1, 1));
        opt.zero_grad();
        loss.backward();
        opt.step();
      } else if (kase == "classify_step") {  // only the label words, only at the last position
        auto h = forward(single).select(1, P + T - 1);
        auto loss = torch::nn::functional::cross_entropy(model->lm_logits(h, label_ids), labels);
        opt.zero_grad();
        loss.backward();
        opt.step();
      } else if (kase == "inference" || kase == "mixed_inference") {
        torch::NoGradGuard ng;
        auto h = forward(kase == "inference" ? single : mixed).select(1, P + T - 1);
        model->lm_logits(h, label_ids).argmax(1);
      } else {
        throw InputError("unknown case '" + kase + "'");
      }
    };
    step();
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      step();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::cout << nlohmann::json{{"impl", "softprompt-cpp"}, {"case", kase}, {"median_s", times[times.size() / 2]},
                                {"peak_rss_mb", ru.ru_maxrss / 1024.0}, {"repeats", repeats},
                                {"threads", at::get_num_threads()}}
                     .dump()
              << "\n";
    return 0;
  });
}

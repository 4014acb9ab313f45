// bench_speech: the C++ side of bench/run_speech.sh. Cases (the same as bench/baseline_speech.py):
//   kws_step  one SpeechPrompt training step of the keyword-spotting recipe on a random unit LM of the
//   starter's
//             shape (unit_lm::Config defaults: K=100 units, 4 blocks of width 192), batch 32, 60 units per
//             clip, 8 input prompt vectors, 4 key/value prompt vectors per block, learnable verbalizer over
//             12 classes: the recipe's own code path (PromptClassifierTask over SpeechPrompt, AdamW).
//   logmel    log-mel features (n_fft 400, hop 160, 80 mels: the unit encoder's log-mel) of 1-s clips, one
//             clip per call as the recipe encodes them; reports seconds of audio per second.
//   mfcc      Kaldi MFCC (13 cepstra, 23 mel bins, torchaudio.compliance.kaldi defaults) of the same clips.
// Prints one JSON line: median seconds per step (or per clip) and peak RSS.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "modalities/speech/kaldi_features.h"
#include "modalities/speech/mel_spectrogram.h"
#include "models/unit_lm/model.h"
#include "recipes/common/recipe_main.h"
#include "recipes/common/speech_classifier.h"

using namespace softprompt;
namespace sc = softprompt::recipes::speech_classifier;

namespace {

constexpr int64_t kBatch = 32, kUnits = 60, kClasses = 12;

// A KWS training step through the recipe's task; returns the step function.
std::function<void()> kws_step(sc::UnitBackbone& bb, std::unique_ptr<recipes::PromptClassifierTask>& task,
                               std::unique_ptr<torch::optim::AdamW>& opt) {
  sc::Config c = sc::read_config(sc::Corpus::kSpeechCommands, "", {});
  bb.model = models::unit_lm::build(bb.config);
  for (auto& p : bb.model->parameters()) p.set_requires_grad(false);
  bb.model->eval();
  sc::SpeechData data;
  for (int64_t i = 0; i < kBatch; ++i) {
    const auto u = torch::randint(0, bb.config.num_units, {kUnits}, torch::kLong);
    data.train.push_back({recipes::units_to_text(u), i % kClasses});
  }
  std::vector<int64_t> units(kClasses);
  std::iota(units.begin(), units.end(), 0);
  auto sp = sc::make_speech_prompt(c, bb, units, 1);
  task = sc::make_task(c, bb, data, sp);
  std::vector<at::Tensor> params;
  for (const auto& [k, v] : task->trainable_parameters()) params.push_back(v);
  opt = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(1e-2));
  std::vector<int64_t> idx(kBatch);
  std::iota(idx.begin(), idx.end(), 0);
  return [&task, &opt, idx] {
    opt->zero_grad();
    task->train_step(idx).loss.backward();
    opt->step();
  };
}

}  // namespace

int main(int argc, char** argv) {
  return recipes::run_recipe("bench_speech", argc, argv, [](const recipes::RecipeArgs& a) {
    std::string kase = "kws_step";
    int repeats = 20;
    for (const auto& o : a.overrides) {
      const auto eq = o.find('=');
      const auto k = o.substr(0, eq), v = o.substr(eq + 1);
      if (k == "case")
        kase = v;
      else if (k == "repeats")
        repeats = std::stoi(v);
    }
    torch::manual_seed(0);
    sc::UnitBackbone bb;
    std::unique_ptr<recipes::PromptClassifierTask> task;
    std::unique_ptr<torch::optim::AdamW> opt;
    const auto clip = 0.1 * torch::randn({16000});
    modalities::speech::MelSpectrogramOptions mo;
    mo.n_fft = 400;
    mo.hop_length = 160;
    mo.n_mels = 80;
    const modalities::speech::MelSpectrogram mel(mo);
    std::function<void()> step;
    if (kase == "kws_step")
      step = kws_step(bb, task, opt);
    else if (kase == "logmel")
      step = [&] { mel.log_mel(clip); };
    else if (kase == "mfcc")
      step = [&] { modalities::speech::kaldi_mfcc(clip); };
    else
      throw InputError("unknown case '" + kase + "' (kws_step | logmel | mfcc)");
    step();
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      step();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    nlohmann::json out = {{"impl", "softprompt-cpp"}, {"case", kase},
                          {"median_s", median},       {"peak_rss_mb", ru.ru_maxrss / 1024.0},
                          {"repeats", repeats},       {"threads", at::get_num_threads()}};
    if (kase != "kws_step") out["audio_s_per_s"] = 1.0 / median;  // 1-s clips
    std::cout << out.dump() << "\n";
    return 0;
  });
}

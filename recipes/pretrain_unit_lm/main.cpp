// pretrain_unit_lm: the starter speech backbone. Reads the synthetic speech corpus of
// scripts/make_unit_lm_corpus.sh (Brown sentences spoken by the TRAINING voices of the speech sets only),
// mixes noise into part of it, fits the unit encoder (frame features -> k-means K units, de-duplicated) on the
// training utterances, pretrains a small GPT-2-architecture unit LM on their unit sequences (next-unit loss),
// reports held-out perplexity, and saves model + encoder in the HF layout under the cache, reused when a
// finished model with the same settings and corpus is there.
//   pretrain_unit_lm --config recipes/configs/pretrain_unit_lm/starter_unit_lm.yaml [key=value ...]
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "modalities/speech/audio_io.h"
#include "models/unit_lm/model.h"
#include "recipes/common/lm_pretraining.h"
#include "recipes/common/pretrain_unit_lm_config.h"
#include "recipes/common/recipe_main.h"
#include "recipes/common/starter_cache.h"
#include "recipes/common/unit_encoder.h"

namespace fs = std::filesystem;
using namespace softprompt;
using recipes::pretrain_unit_lm::Config;

namespace {

struct Utterance {
  std::string path;
  bool heldout = false;
};

// sentences.tsv (id, speaker, text) of the corpus -> wavs/<id>.wav, every heldout_every-th held out.
std::vector<Utterance> read_corpus(const std::string& dir, int64_t heldout_every) {
  const std::string list = dir + "/sentences.tsv";
  if (!fs::exists(dir + "/.complete") || !fs::exists(list))
    throw IoError("no finished unit-LM corpus in '" + dir + "' (run scripts/make_unit_lm_corpus.sh)");
  std::ifstream in(list);
  std::string line;
  std::getline(in, line);  // header
  std::vector<Utterance> out;
  while (std::getline(in, line)) {
    const std::string id = line.substr(0, line.find('\t'));
    if (id.empty()) throw InputError(list + ":" + std::to_string(out.size() + 2) + ": empty id");
    out.push_back({dir + "/wavs/" + id + ".wav", static_cast<int64_t>(out.size()) % heldout_every == heldout_every - 1});
  }
  if (out.size() < 2) throw InputError(list + ": fewer than two utterances");
  return out;
}

// Adds white or brown noise at a random SNR to a share of the utterances. Seeded per utterance, so the
// result does not depend on the order of processing. waveform [N] -> [N].
at::Tensor add_noise(const at::Tensor& wave, int64_t index, const Config& c) {
  auto gen = at::detail::createCPUGenerator(c.train.seed * 1000003 + static_cast<uint64_t>(index));
  const at::Tensor u = torch::rand({3}, gen, torch::kDouble);
  if (u[0].item<double>() >= c.noise_fraction || wave.numel() < 2) return wave;
  at::Tensor noise = torch::randn({wave.numel()}, gen, torch::kDouble);
  if (u[1].item<double>() < 0.5) noise = torch::cumsum(noise, 0) - torch::cumsum(noise, 0).mean();  // brown
  const double snr_db = c.min_snr_db + (c.max_snr_db - c.min_snr_db) * u[2].item<double>();
  const double signal = wave.to(torch::kDouble).pow(2).mean().item<double>();
  const double scale = std::sqrt(signal / std::pow(10.0, snr_db / 10.0) / noise.pow(2).mean().item<double>());
  return (wave.to(torch::kDouble) + scale * noise).to(torch::kFloat);
}

// Settings that change the result (paths and `force` do not) plus the corpus's own parameters.
std::string identity(const core::config::Schema<Config>& s, const Config& c, const std::string& corpus_dir) {
  auto j = s.to_json(c);
  j["corpus"].erase("dir");
  j["output"].erase("dir");
  j["output"].erase("force");
  j["corpus_parameters"] = core::io::read_file(corpus_dir + "/.complete");
  return j.dump();
}

struct UnitData {
  recipes::UnitEncoder encoder;
  std::vector<std::vector<int64_t>> train, heldout;  // [bos] + units per utterance
  int64_t frames = 0;
  double audio_seconds = 0;
};

UnitData encode_corpus(const std::vector<Utterance>& corpus, const Config& c, int64_t bos) {
  UnitData d{recipes::UnitEncoder(c.units), {}, {}, 0, 0};
  std::vector<at::Tensor> features(corpus.size()), train_features;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const at::Tensor wave = add_noise(modalities::speech::load_audio(corpus[i].path), i, c);
    d.audio_seconds += wave.numel() / 16000.0;
    features[i] = d.encoder.raw_features(wave);
    d.frames += features[i].size(0);
    if (!corpus[i].heldout) train_features.push_back(features[i]);
  }
  auto fit = c.fit;
  fit.seed = c.train.seed;
  d.encoder.fit(train_features, fit);
  for (size_t i = 0; i < corpus.size(); ++i) {
    const at::Tensor units = d.encoder.units_from_features(features[i]).contiguous();
    std::vector<int64_t> doc{bos};
    doc.insert(doc.end(), units.data_ptr<int64_t>(), units.data_ptr<int64_t>() + units.numel());
    (corpus[i].heldout ? d.heldout : d.train).push_back(std::move(doc));
  }
  return d;
}

models::unit_lm::Config model_config(const Config& c) {
  models::unit_lm::Config mc;
  mc.name = "starter-unit-lm";
  mc.num_units = c.units.num_units;
  mc.n_positions = c.context;
  mc.n_embd = c.n_embd;
  mc.n_layer = c.n_layer;
  mc.n_head = c.n_head;
  mc.to_gpt2();  // validates
  return mc;
}

struct Trained {
  models::gpt2::Model model{nullptr};
  int64_t steps = 0;
  double heldout_perplexity = 0;
};

// The next-unit LM on the windows, checkpoints under <tmp>/train; returns the best state's model.
Trained train(const Config& c, const models::unit_lm::Config& mc, const at::Tensor& train_w, const at::Tensor& dev_w,
              const std::string& tmp) {
  core::trainer::seed_everything(c.train.seed);
  Trained t{models::unit_lm::build(mc)};
  recipes::init_gpt2_weights(*t.model);
  recipes::LmPretrainTask task(t.model, train_w, dev_w);
  auto opts = c.train;
  opts.optimizer = core::trainer::OptimizerKind::kAdamW;
  opts.schedule = core::trainer::ScheduleKind::kCosine;
  opts.metric = "perplexity";
  opts.metric_mode = core::trainer::MetricMode::kMin;
  opts.checkpoint_dir = tmp + "/train";
  core::trainer::Trainer trainer(opts);
  const auto result = trainer.fit(task);
  std::cout << core::trainer::summary(result, opts);
  t.steps = result.steps;
  t.heldout_perplexity = task.evaluate("dev").metrics.at("perplexity");
  return t;
}

int run(const recipes::RecipeArgs& args) {
  const auto s = recipes::pretrain_unit_lm::schema();
  if (args.help) {
    std::cout << "pretrain_unit_lm --config FILE [key=value ...]\n" << s.help_text();
    return 0;
  }
  const auto overrides = core::config::parse_overrides(args.overrides);
  const Config c = args.config_path.empty() ? s.read(YAML::Node(), "<defaults>", overrides)
                                            : s.read_file(args.config_path, overrides);
  c.units.validate();
  if (c.heldout_every < 2) throw InputError("corpus.heldout_every must be >= 2");
  const std::string corpus_dir = c.corpus_dir.empty() ? recipes::cache_dir() + "/data/unit_lm_corpus" : c.corpus_dir;
  const std::string out = c.output_dir.empty() ? recipes::cache_dir() + "/starter/unit_lm" : c.output_dir;
  const auto corpus = read_corpus(corpus_dir, c.heldout_every);
  const models::unit_lm::Config mc = model_config(c);
  const std::string id = identity(s, c, corpus_dir);
  if (auto report = c.force ? std::nullopt : recipes::reusable_pretrain_report(out, id)) {
    std::cout << "[pretrain_unit_lm] reusing " << out << " (held-out perplexity "
              << report->value("heldout_perplexity", 0.0) << ")\n";
    return 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::cout << "[pretrain_unit_lm] encoding " << corpus.size() << " utterances of " << corpus_dir << "\n";
  const UnitData data = encode_corpus(corpus, c, mc.bos_id());
  const auto train_w = recipes::make_windows(data.train, mc.eos_id(), c.context);
  const auto dev_w = recipes::make_windows(data.heldout, mc.eos_id(), c.context);
  const double encode_s = seconds();
  std::cout << "[pretrain_unit_lm] " << data.audio_seconds / 3600 << " h of audio, " << data.frames << " frames -> "
            << train_w.numel() << " training units in " << train_w.size(0) << " windows, " << dev_w.numel()
            << " held-out units (" << static_cast<int>(encode_s) << " s)\n";
  const std::string tmp = out + ".tmp";
  fs::remove_all(tmp);
  Trained t = train(c, mc, train_w, dev_w, tmp);

  models::unit_lm::save_pretrained(*t.model, mc, tmp);
  data.encoder.save(tmp);
  const nlohmann::json report = {
      {"settings", id},         {"heldout_perplexity", t.heldout_perplexity},
      {"steps", t.steps},       {"utterances", corpus.size()},
      {"audio_hours", data.audio_seconds / 3600},
      {"frames", data.frames},  {"train_units", train_w.numel()},
      {"heldout_units", dev_w.numel()},
      {"units_per_second", static_cast<double>(train_w.numel() + dev_w.numel()) / data.audio_seconds},
      {"encode_seconds", encode_s}, {"seconds", seconds()}};
  core::io::write_file_atomically(tmp + "/softprompt_pretrain.json", report.dump(2) + "\n");
  core::io::write_file_atomically(tmp + "/pretrain_config.yaml", s.to_yaml(c));
  recipes::publish_directory(tmp, out);
  std::cout << "[pretrain_unit_lm] saved " << out << ": held-out perplexity " << t.heldout_perplexity << " over "
            << mc.vocab_size() << " ids, " << t.steps << " steps, " << static_cast<int>(seconds()) << " s\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return recipes::run_recipe("pretrain_unit_lm", argc, argv, run); }

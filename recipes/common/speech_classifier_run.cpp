#include "recipes/common/speech_classifier_run.h"

#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/metrics.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "recipes/common/plot.h"
#include "recipes/common/speech_classifier.h"

namespace fs = std::filesystem;

namespace softprompt::recipes::speech_classifier {
namespace {

struct SeedResult {
  int64_t seed;
  double dev_accuracy, test_accuracy, test_macro_f1;
  core::io::TensorMap prompt;
  at::Tensor confusion;
  std::string run_dir;
};

SeedResult train_seed(const std::string& recipe, const Config& c, const UnitBackbone& bb, const SpeechData& data,
                      const std::vector<int64_t>& units, int64_t seed) {
  core::trainer::seed_everything(static_cast<uint64_t>(seed));
  auto sp = make_speech_prompt(c, bb, units, static_cast<uint64_t>(seed));
  auto task = make_task(c, bb, data, sp);
  auto opts = c.train;
  opts.seed = static_cast<uint64_t>(seed);
  const std::string dir = c.output_dir + "/seed_" + std::to_string(seed);
  opts.checkpoint_dir = dir;
  core::trainer::Trainer trainer(opts);
  core::trainer::stop_on_signals(trainer);
  const auto result = trainer.fit(*task);
  if (result.interrupted) throw std::runtime_error("interrupted; resume with train.resume=true");
  plot_training(dir, result.history, "accuracy");
  const auto dev = task->evaluate("dev");
  const auto test = task->evaluate("test");
  SeedResult r{seed, dev.metrics.at("accuracy"), test.metrics.at("accuracy"), test.metrics.at("macro_f1"), {}, {},
               dir};
  for (const auto& [k, v] : sp->trainable_state()) r.prompt[k] = v.detach().clone();
  r.confusion = core::confusion_matrix(test.predictions, test.labels, static_cast<int64_t>(data.labels.size()));
  std::cout << "[" << recipe << "] seed " << seed << ": validation accuracy " << r.dev_accuracy
            << ", test accuracy " << r.test_accuracy << ", test macro-F1 " << r.test_macro_f1 << "\n";
  return r;
}

core::Manifest manifest_for(const Config& c, const UnitBackbone& bb, const SpeechData& data,
                            const std::vector<int64_t>& units, const core::methods::SpeechPrompt& sp) {
  core::Manifest m;
  m.method = "speech_prompt";
  m.method_options = {{"input_tokens", c.input_tokens}, {"deep_tokens", c.deep_tokens},
                      {"verbalizer", c.verbalizer},     {"init", c.init},
                      {"deep_init", c.deep_init},       {"label_units", units},
                      {"optimizer", c.optimizer},       {"lr", c.train.lr},
                      {"max_steps", c.train.max_steps}, {"seeds", c.seeds}};
  m.slots = sp->prompts->slots();
  m.backbone = bb.info;
  m.tokenizer = "units:" + bb.encoder_hash;
  m.prompt_template = prompt_template(c);
  m.labels = data.labels;
  for (size_t i = 0; i < data.labels.size(); ++i) m.verbalizer[data.labels[i]] = {units[i]};
  m.extra = {{"backbone_path", bb.path}, {"encoder_path", bb.encoder_path}, {"encoder_hash", bb.encoder_hash},
             {"max_length", c.max_length}};
  return m;
}

int train_main(const std::string& recipe, const Config& c) {
  const UnitBackbone bb = load_backbone(c.backbone_path, c.encoder_path);
  const SpeechData data = load_data(c, bb);
  const auto units = label_units(c, bb, data);
  std::cout << "[" << recipe << "] unit LM " << bb.path << " (" << bb.info.id << "), " << data.labels.size()
            << " classes, " << data.train.size() << " train / " << data.dev.size() << " validation / "
            << data.test.size() << " test clips (held-out voices)\n";
  fs::create_directories(c.output_dir);
  std::vector<SeedResult> runs;
  for (auto seed : c.seeds) runs.push_back(train_seed(recipe, c, bb, data, units, seed));
  std::vector<double> accs, f1s;
  for (const auto& r : runs) {
    accs.push_back(r.test_accuracy);
    f1s.push_back(r.test_macro_f1);
  }
  const auto acc = core::mean_std(accs), f1 = core::mean_std(f1s);
  const auto best = std::max_element(runs.begin(), runs.end(),
                                     [](const auto& a, const auto& b) { return a.dev_accuracy < b.dev_accuracy; });
  const std::string confusion = c.output_dir + "/confusion_test.png";
  plot_confusion(confusion, data.labels, best->confusion, "test confusion (seed " + std::to_string(best->seed) + ")");
  const auto sp = make_speech_prompt(c, bb, units, 0);
  auto manifest = manifest_for(c, bb, data, units, sp);
  manifest.metrics = {{"test_accuracy_mean", acc.mean}, {"test_accuracy_std", acc.std},
                      {"test_macro_f1_mean", f1.mean},  {"best_seed", best->seed},
                      {"best_seed_test_accuracy", best->test_accuracy}};
  core::SaveOptions so;
  so.config_yaml = schema(c.corpus).to_yaml(c);
  const std::string stem = c.output_dir + "/prompt";
  core::save_artifact(stem, best->prompt, manifest, so);
  const auto bytes = fs::file_size(stem + ".safetensors");
  nlohmann::json line = {{"recipe", recipe}, {"accuracy_mean", acc.mean}, {"accuracy_std", acc.std},
                         {"macro_f1_mean", f1.mean}, {"macro_f1_std", f1.std}, {"seeds", c.seeds},
                         {"per_seed_accuracy", accs}, {"artifact", stem + ".safetensors"},
                         {"artifact_bytes", bytes}, {"backbone", bb.info.id}, {"classes", data.labels.size()},
                         {"test_clips", data.test.size()}};
  core::io::write_file_atomically(c.output_dir + "/results.json", line.dump() + "\n");
  std::cout << "\n  " << recipe << " (held-out voices, " << data.test.size() << " test clips, "
            << data.labels.size() << " classes)\n"
            << "  SpeechPrompt (" << c.seeds.size() << " seeds): accuracy " << std::fixed << std::setprecision(1)
            << 100 * acc.mean << "% ± " << 100 * acc.std << ", macro-F1 " << 100 * f1.mean << "% ± "
            << 100 * f1.std << "\n"
            << "  artifact: " << stem << ".safetensors (" << bytes << " bytes) + " << stem << ".json\n"
            << "  plots: " << best->run_dir << "/loss.png, " << best->run_dir << "/dev_accuracy.png, " << confusion
            << "\n";
  std::cout << line.dump() << "\n";
  return 0;
}

// Rebuilds the config the artifact was trained with from its manifest (prompt shape, verbalizer, length).
Config config_from_manifest(Config c, const core::Manifest& m) {
  const auto& o = m.method_options;
  c.input_tokens = o.at("input_tokens").get<int64_t>();
  c.deep_tokens = o.at("deep_tokens").get<int64_t>();
  c.verbalizer = o.at("verbalizer").get<std::string>();
  c.init = o.at("init").get<std::string>();
  c.deep_init = "random";  // overwritten by the artifact's tensors; no forward pass needed to build it
  c.label_units = o.at("label_units").get<std::vector<int64_t>>();
  c.max_length = m.extra.value("max_length", c.max_length);
  return c;
}

int predict_main(const Config& c, const std::string& artifact_path, const std::string& wav) {
  const auto manifest = core::load_manifest(artifact_path);
  if (manifest.method != "speech_prompt")
    throw InputError(artifact_path + ": method '" + manifest.method + "' is not a SpeechPrompt artifact");
  const UnitBackbone bb =
      load_backbone(c.backbone_path.empty() ? manifest.extra.value("backbone_path", "") : c.backbone_path,
                    c.encoder_path.empty() ? manifest.extra.value("encoder_path", "") : c.encoder_path);
  if (bb.encoder_hash != manifest.extra.value("encoder_hash", ""))
    throw InputError(artifact_path + ": trained on units of encoder " + manifest.extra.value("encoder_hash", "?") +
                     ", but " + bb.encoder_path + " is encoder " + bb.encoder_hash);
  core::LoadOptions lo;
  lo.backbone_hash = bb.info.weights_hash;
  lo.backbone_id = bb.info.id;
  const auto art = core::load_artifact(artifact_path, lo);
  const Config pc = config_from_manifest(c, manifest);
  auto sp = make_speech_prompt(pc, bb, pc.label_units, 0);
  sp->load_state(art.tensors, art.paths.tensors);
  SpeechData none;
  auto task = make_task(pc, bb, none, sp);
  SpeechExample clip;
  clip.path = wav;
  const auto units = units_to_text(bb.encode(load_clip(clip)));
  const auto probs = torch::softmax(task->predict({units}), 1)[0];
  const auto k = probs.argmax().item<int64_t>();
  nlohmann::json out = {{"audio", wav}, {"label", manifest.labels[k]}};
  for (size_t i = 0; i < manifest.labels.size(); ++i)
    out["probabilities"][manifest.labels[i]] = probs[static_cast<int64_t>(i)].item<double>();
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int run(const std::string& recipe, Corpus corpus, const RecipeArgs& args) {
  if (args.help) {
    std::cout << recipe << " --config FILE [key=value ...]\n"
              << recipe << " --predict FILE.wav [--artifact STEM] [key=value ...]\n"
              << schema(corpus).help_text();
    return 0;
  }
  const Config c = read_config(corpus, args.config_path, args.overrides);
  std::string wav, artifact = c.output_dir + "/prompt";
  bool predicting = false;
  for (size_t i = 0; i + 1 < args.positional.size(); i += 2) {
    if (args.positional[i] == "--predict") {
      wav = args.positional[i + 1];
      predicting = true;
    } else if (args.positional[i] == "--artifact") {
      artifact = args.positional[i + 1];
    }
  }
  return predicting ? predict_main(c, artifact, wav) : train_main(recipe, c);
}

}  // namespace softprompt::recipes::speech_classifier

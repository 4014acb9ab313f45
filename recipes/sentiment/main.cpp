// sentiment: prompt tuning for text classification on a frozen GPT-2-architecture LM.
//   sentiment --config recipes/configs/sentiment/starter_prompt_tuning.yaml [key=value ...]
//   sentiment --predict "some text" [--artifact runs/sentiment/prompt] [backbone.path=DIR]
// parse -> build -> zero-shot baseline -> train the method (method.name, default prompt tuning) once per seed
// -> evaluate -> save the best seed's artifact and results.json (recipes/common/method_report.h).
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/metrics.h"
#include "core/methods/soft_prompt.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "recipes/common/method_report.h"
#include "recipes/common/plot.h"
#include "recipes/common/recipe_main.h"
#include "recipes/sentiment/sentiment_backbone.h"
#include "recipes/common/sentiment_config.h"

namespace fs = std::filesystem;
using namespace softprompt;
using namespace softprompt::recipes;
using namespace softprompt::recipes::sentiment;

namespace {

struct SeedResult {
  int64_t seed;
  double dev_accuracy, test_accuracy, train_seconds;
  core::io::TensorMap tensors;  // the method's trained tensors
  at::Tensor confusion;
  std::string run_dir;
  std::shared_ptr<MethodParts> method;
};

// One seed on its own freshly loaded backbone: full fine-tuning, LoRA and adapters change the backbone, and
// the next seed must start from the pretrained weights.
SeedResult train_seed(const Config& c, const Data& data, int64_t seed) {
  core::trainer::seed_everything(static_cast<uint64_t>(seed));
  Backbone bb = load_backbone(c.backbone_path, c.tokenizer_path);
  auto method = make_method(c, bb, static_cast<uint64_t>(seed));
  auto task = make_task(c, bb, data, method, template_for_method(*method, c.prompt_template));
  auto opts = c.train;
  opts.seed = static_cast<uint64_t>(seed);
  const std::string dir = c.output_dir + "/seed_" + std::to_string(seed);
  opts.checkpoint_dir = dir;
  core::trainer::Trainer trainer(opts);
  core::trainer::stop_on_signals(trainer);
  const auto start = std::chrono::steady_clock::now();
  const auto result = trainer.fit(*task);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (result.interrupted) throw std::runtime_error("interrupted; resume with train.resume=true");
  plot_training(dir, result.history, "accuracy");
  const auto dev = task->evaluate("dev");
  const auto test = task->evaluate("test");
  SeedResult r{seed, dev.metrics.at("accuracy"), test.metrics.at("accuracy"), took.count(), {}, {}, dir, method};
  r.tensors = method->export_tensors();
  r.confusion = core::confusion_matrix(test.predictions, test.labels, static_cast<int64_t>(c.labels.size()));
  std::cout << "[sentiment] " << c.method.name << " seed " << seed << ": dev accuracy " << r.dev_accuracy
            << ", test accuracy " << r.test_accuracy << "\n";
  return r;
}

core::Manifest manifest_for(const Config& c, const Backbone& bb, const MethodParts& method,
                            const core::MeanStd& tuned, std::optional<double> zero_shot) {
  core::Manifest m;
  m.method = c.method.name;
  m.method_options = {{"options", method.options()}, {"optimizer", c.optimizer},
                      {"lr", c.train.lr}, {"max_steps", c.train.max_steps}, {"seeds", c.seeds}};
  if (method.input_prompt) m.method_options["num_virtual_tokens"] = core::Template::parse(c.prompt_template).num_soft();
  m.slots = method.prompts->slots();
  m.backbone = bb.info;
  m.tokenizer = bb.tokenizer_path;
  m.prompt_template = template_for_method(method, c.prompt_template);
  m.labels = c.labels;
  for (size_t i = 0; i < c.labels.size(); ++i) m.verbalizer[c.labels[i]] = {c.label_words[i]};
  m.metrics = {{"test_accuracy_mean", tuned.mean}, {"test_accuracy_std", tuned.std}};
  if (zero_shot) m.metrics["zero_shot_test_accuracy"] = *zero_shot;
  m.extra = {{"backbone_path", bb.path}, {"max_length", c.max_length}, {"prompt_config_template", c.prompt_template}};
  return m;
}

std::optional<double> zero_shot_accuracy(const Config& c, const Backbone& bb, const Data& data) {
  if (!c.zero_shot) return std::nullopt;
  auto task = make_task(c, bb, data, nullptr, c.zero_shot_template);
  const double acc = task->evaluate("test").metrics.at("accuracy");
  std::cout << "[sentiment] zero-shot (\"" << c.zero_shot_template << "\") test accuracy " << acc << "\n";
  return acc;
}

int train_main(const Config& c) {
  const Data data = load_data(c);
  Backbone bb = load_backbone(c.backbone_path, c.tokenizer_path);
  std::cout << "[sentiment] backbone " << bb.path << " (" << bb.info.id << "), method " << c.method.name << ", "
            << data.train.size() << " train / " << data.dev.size() << " dev / " << data.test.size()
            << " test examples\n";
  fs::create_directories(c.output_dir);
  const auto zero_shot = zero_shot_accuracy(c, bb, data);

  std::vector<SeedResult> runs;
  MethodRun stats;
  for (auto seed : c.seeds) {
    runs.push_back(train_seed(c, data, seed));
    stats.test_accuracy.push_back(runs.back().test_accuracy);
    stats.train_seconds.push_back(runs.back().train_seconds);
  }
  const auto tuned = core::mean_std(stats.test_accuracy);
  const auto best = std::max_element(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.dev_accuracy < b.dev_accuracy;
  });
  plot_confusion(c.output_dir + "/confusion_test.png", c.labels, best->confusion,
                 "test confusion (seed " + std::to_string(best->seed) + ")");
  auto manifest = manifest_for(c, bb, *best->method, tuned, zero_shot);
  manifest.metrics["best_seed"] = best->seed;
  manifest.metrics["best_seed_test_accuracy"] = best->test_accuracy;
  core::SaveOptions so;
  so.config_yaml = schema().to_yaml(c);
  const std::string stem = c.output_dir + "/prompt";
  core::save_artifact(stem, best->tensors, manifest, so);
  stats.artifact_bytes = static_cast<int64_t>(fs::file_size(stem + ".safetensors"));
  nlohmann::json line = method_report(*best->method, stats);
  line.update({{"recipe", "sentiment"}, {"zero_shot_accuracy", zero_shot ? nlohmann::json(*zero_shot) : nullptr},
               {"tuned_accuracy_mean", tuned.mean}, {"tuned_accuracy_std", tuned.std}, {"seeds", c.seeds},
               {"steps", c.train.max_steps}, {"artifact", stem + ".safetensors"}, {"backbone", bb.info.id}});
  core::io::write_file_atomically(c.output_dir + "/results.json", line.dump() + "\n");
  std::cout << "\n  sentiment (held-out test, " << data.test.size() << " sentences)\n" << std::fixed
            << std::setprecision(1);
  if (zero_shot) std::cout << "  zero-shot hand-written prompt : " << 100 * *zero_shot << "%\n";
  std::cout << "  " << c.method.name << " (" << c.seeds.size() << " seeds) : " << 100 * tuned.mean << "% ± "
            << 100 * tuned.std << ", " << line["trainable_params"] << " trainable parameters ("
            << std::setprecision(3) << line["trainable_percent"].get<double>() << "% of the backbone)\n"
            << "  artifact: " << stem << ".safetensors (" << stats.artifact_bytes << " bytes) + " << stem << ".json\n"
            << "  plots: " << best->run_dir << "/loss.png, " << best->run_dir << "/dev_accuracy.png, "
            << c.output_dir << "/confusion_test.png\n";
  std::cout << line.dump() << "\n";
  return 0;
}

int predict_main(const Config& c, const std::string& artifact_path, const std::string& text) {
  const auto manifest = core::load_manifest(artifact_path);
  std::string bpath = c.backbone_path;
  if (bpath.empty()) bpath = manifest.extra.value("backbone_path", "");
  Backbone bb = load_backbone(bpath, c.tokenizer_path.empty() ? manifest.tokenizer : c.tokenizer_path);
  core::LoadOptions lo;
  lo.backbone_hash = bb.info.weights_hash;
  lo.backbone_id = bb.info.id;
  const auto art = core::load_artifact(artifact_path, lo);
  Config pc = c;
  pc.prompt_template = manifest.extra.value("prompt_config_template", manifest.prompt_template);
  pc.labels = manifest.labels;
  pc.label_words.clear();
  for (const auto& l : manifest.labels) pc.label_words.push_back(manifest.verbalizer.at(l).at(0).get<std::string>());
  pc.max_length = manifest.extra.value("max_length", c.max_length);
  pc.method.name = manifest.method;
  pc.method.options = manifest.method_options.value("options", nlohmann::json::object());
  auto method = make_method(pc, bb, 0);
  method->load_tensors(art.tensors);
  auto task = make_task(pc, bb, Data{}, method, template_for_method(*method, pc.prompt_template));
  const auto probs = torch::softmax(task->predict({text}), 1)[0];
  const auto k = probs.argmax().item<int64_t>();
  nlohmann::json out = {{"text", text}, {"label", pc.labels[k]}};
  for (size_t i = 0; i < pc.labels.size(); ++i) out["probabilities"][pc.labels[i]] = probs[i].item<double>();
  std::cout << out.dump() << "\n";
  return 0;
}

int run(const RecipeArgs& args) {
  if (args.help) {
    std::cout << "sentiment --config FILE [key=value ...]\nsentiment --predict TEXT [--artifact STEM]\n"
              << schema().help_text();
    return 0;
  }
  const Config c = read_config(args.config_path, args.overrides);
  std::string predict, artifact = c.output_dir + "/prompt";
  bool predicting = false;
  for (size_t i = 0; i + 1 < args.positional.size(); i += 2) {
    if (args.positional[i] == "--predict") {
      predict = args.positional[i + 1];
      predicting = true;
    } else if (args.positional[i] == "--artifact") {
      artifact = args.positional[i + 1];
    }
  }
  return predicting ? predict_main(c, artifact, predict) : train_main(c);
}

}  // namespace

int main(int argc, char** argv) {
  return run_recipe("sentiment", argc, argv, run, {"--predict", "--artifact"});
}

// image_classification: CLIP zero-shot and few-shot image classification on a frozen CLIP.
//   image_classification --config recipes/configs/image_classification/starter_clip_coop.yaml [key=value ...]
// parse -> load backbone + data -> zero-shot (template ensemble) -> per k and seed: sample k shots per
// training class, train the method (prompts, or a linear probe), evaluate on held-out test images (base and
// novel classes in base-to-novel mode) -> report, plots, artifact.
#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/metrics.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "modalities/text/tokenizer_factory.h"
#include "models/clip/load.h"
#include "models/weights/hf_checkpoint.h"
#include "recipes/common/clip_features.h"
#include "recipes/common/plot.h"
#include "recipes/common/recipe_main.h"
#include "recipes/image_classification/few_shot_tasks.h"
#include "recipes/image_classification/image_data.h"

namespace fs = std::filesystem;
using namespace softprompt;
using namespace softprompt::recipes::image_classification;

namespace {

struct Backbone {
  models::clip::ClipModel model{nullptr};
  std::unique_ptr<modalities::text::ClipTokenizer> tok;
  std::string path, tokenizer_path;
  core::BackboneInfo info;
};

Backbone load_backbone(const Config& c) {
  Backbone bb;
  bb.path = c.backbone_path.empty() ? recipes::cache_dir() + "/starter/clip" : c.backbone_path;
  if (c.backbone_path.empty() && !fs::exists(bb.path))
    throw IoError("no starter CLIP at '" + bb.path +
                  "': run pretrain_clip first (or give backbone.path=...)");
  auto loaded = models::clip::load_clip(bb.path);
  bb.model = loaded.model;
  std::string tp = c.tokenizer_path;
  if (tp.empty()) {
    std::error_code ec;
    tp = "clip";  // an HF directory carries vocab.json/merges.txt, not the gzip file: use the shipped BPE
    if (fs::is_directory(bb.path, ec))
      for (const auto& f : fs::directory_iterator(bb.path))
        if (f.path().extension() == ".gz") tp = f.path().string();
  }
  bb.tokenizer_path = modalities::text::resolve_tokenizer_path(tp);
  bb.tok = modalities::text::ClipTokenizer::from_file(bb.tokenizer_path);
  const auto& cfg = bb.model->config();
  bb.info = {bb.model->backbone_id(), models::weights::checkpoint_fingerprint(loaded.weight_files),
             cfg.text.hidden_size, cfg.text.num_layers, cfg.text.num_heads};
  return bb;
}

// An evaluation split: its classes (indices into data.classes) and its preprocessed test images.
struct EvalSplit {
  std::string name;  // "all", or "base" / "novel"
  std::vector<int64_t> classes;
  std::vector<std::string> class_names;
  Split test;
};

std::vector<std::string> names_of(const ClassificationData& d, const std::vector<int64_t>& classes) {
  std::vector<std::string> out;
  for (auto k : classes) out.push_back(d.classes.at(static_cast<size_t>(k)));
  return out;
}

EvalSplit make_split(const ClassificationData& d, std::string name, std::vector<int64_t> classes,
                     int64_t size) {
  const auto sub = select_classes(d.test_labels, classes);
  EvalSplit s{std::move(name), classes, names_of(d, classes), {}};
  s.test.pixels = recipes::clip::preprocess_all(d.test_images.index_select(0, sub.indices), size);
  s.test.labels = sub.labels;
  for (int64_t i = 0; i < sub.indices.size(0); ++i)
    s.test.ids.push_back("test:" + std::to_string(sub.indices[i].item<int64_t>()));
  return s;
}

double zero_shot_accuracy(Backbone& bb, const Config& c, const EvalSplit& s) {
  auto emb = recipes::clip::class_embeddings(*bb.model, *bb.tok, s.class_names, c.templates,
                                             bb.model->config().text.max_positions);
  auto pred = recipes::clip::image_embeddings(*bb.model, s.test.pixels).matmul(emb.t()).argmax(1);
  return pred.eq(s.test.labels).to(torch::kDouble).mean().item<double>();
}

core::methods::VlPromptOptions prompt_options(const Config& c, uint64_t seed) {
  core::methods::VlPromptOptions o;
  o.method = core::methods::parse_vl_method(c.method);
  o.n_ctx = c.n_ctx;
  o.class_position = core::methods::parse_class_position(c.class_position);
  o.class_specific = c.class_specific;
  o.ctx_init = c.ctx_init;
  o.vision_tokens = c.vision_tokens;
  o.depth = c.depth;
  o.text_template = c.text_template;
  o.seed = seed;
  o.validate();
  return o;
}

struct RunResult {
  int64_t k = 0, seed = 0;
  std::map<std::string, double> accuracy;  // eval split -> test accuracy
  core::io::TensorMap tensors;
  std::vector<std::string> slots;
  at::Tensor confusion;  // on the first eval split
  std::string dir;
};

core::trainer::TrainResult fit(const Config& c, core::trainer::Task& task, const std::string& dir,
                               uint64_t seed) {
  auto opts = c.train;
  opts.seed = seed;
  opts.checkpoint_dir = dir;
  core::trainer::Trainer trainer(opts);
  core::trainer::stop_on_signals(trainer);
  auto result = trainer.fit(task);
  if (result.interrupted) throw std::runtime_error("interrupted");
  recipes::plot_training(dir, result.history, "accuracy");
  return result;
}

RunResult run_once(const Config& c, Backbone& bb, const ClassificationData& d,
                   const std::vector<int64_t>& train_classes, std::vector<EvalSplit>& splits, int64_t k,
                   int64_t seed) {
  RunResult r{
      k, seed, {}, {}, {}, {}, c.output_dir + "/k" + std::to_string(k) + "_seed" + std::to_string(seed)};
  const auto s = static_cast<uint64_t>(seed);
  core::trainer::seed_everything(s);
  const auto shots = sample_shots(d.train_labels, train_classes, k, s);
  const auto idx = torch::tensor(shots, torch::kLong);
  Split train{recipes::clip::preprocess_all(d.train_images.index_select(0, idx),
                                            bb.model->config().vision.image_size),
              select_classes(d.train_labels.index_select(0, idx), train_classes).labels,
              {}};
  for (auto i : shots) train.ids.push_back("train:" + std::to_string(i));
  std::vector<at::Tensor> preds;
  if (c.method == "linear_probe") {
    LinearProbeTask task(recipes::clip::image_embeddings(*bb.model, train.pixels), train.labels,
                         static_cast<int64_t>(train_classes.size()));
    fit(c, task, r.dir, s);
    for (auto& sp : splits)
      preds.push_back(task.predict(recipes::clip::image_embeddings(*bb.model, sp.test.pixels)));
    r.tensors = task.trainable_parameters();
  } else {
    auto tokenize = [&](const std::string& text) { return bb.tok->encode(text, false); };
    auto prompts =
        models::clip::make_vl_prompts(bb.model, prompt_options(c, s), tokenize, names_of(d, train_classes));
    models::clip::ClipPromptClassifier clf(bb.model, prompts, tokenize);
    clf.set_classes(names_of(d, train_classes));
    PromptLearningTask task(clf, train);
    fit(c, task, r.dir, s);
    for (auto& sp : splits) {
      clf.set_classes(sp.class_names);
      preds.push_back(predict(clf, sp.test));
    }
    r.tensors = clf.trainable_parameters();
    r.slots = prompts.set->slots();
  }
  for (auto& [name, t] : r.tensors) t = t.detach().clone();
  for (size_t i = 0; i < splits.size(); ++i)
    r.accuracy[splits[i].name] = preds[i].eq(splits[i].test.labels).to(torch::kDouble).mean().item<double>();
  const auto& first = splits.front();
  r.confusion = core::confusion_matrix(
      std::vector<int64_t>(preds[0].data_ptr<int64_t>(), preds[0].data_ptr<int64_t>() + preds[0].numel()),
      std::vector<int64_t>(first.test.labels.data_ptr<int64_t>(),
                           first.test.labels.data_ptr<int64_t>() + first.test.labels.numel()),
      static_cast<int64_t>(first.classes.size()));
  std::cout << "[image_classification] " << c.method << " k=" << k << " seed " << seed << ": "
            << nlohmann::json(r.accuracy).dump() << "\n";
  return r;
}

double harmonic_mean(double a, double b) { return a + b > 0 ? 2 * a * b / (a + b) : 0.0; }

// Mean and std over seeds of each eval split's accuracy (and of the per-seed HM in base-to-novel mode).
nlohmann::json summarize(const std::vector<RunResult>& runs, bool base_to_novel) {
  std::map<std::string, std::vector<double>> per;
  for (const auto& r : runs) {
    for (const auto& [name, acc] : r.accuracy) per[name].push_back(acc);
    if (base_to_novel) per["hm"].push_back(harmonic_mean(r.accuracy.at("base"), r.accuracy.at("novel")));
  }
  nlohmann::json out;
  for (const auto& [name, v] : per) {
    const auto m = core::mean_std(v);
    out[name] = {{"mean", m.mean}, {"std", m.std}, {"per_seed", v}};
  }
  return out;
}

core::Manifest manifest_for(const Config& c, const Backbone& bb, const RunResult& run,
                            const std::vector<std::string>& classes, const nlohmann::json& summary) {
  core::Manifest m;
  m.method = c.method;
  m.method_options = {{"n_ctx", c.n_ctx},
                      {"ctx_init", c.ctx_init},
                      {"class_position", c.class_position},
                      {"class_specific", c.class_specific},
                      {"vision_tokens", c.vision_tokens},
                      {"depth", c.depth},
                      {"text_template", c.text_template},
                      {"shots", run.k},
                      {"seed", run.seed}};
  m.slots = run.slots;
  m.backbone = bb.info;
  m.tokenizer = bb.tokenizer_path;
  m.labels = classes;
  for (const auto& [k, per_split] : summary.items())  // manifest metrics are numbers: "16shot_novel_mean"
    for (const auto& [split, ms] : per_split.items())
      for (const char* stat : {"mean", "std"}) m.metrics[k + "shot_" + split + "_" + stat] = ms.at(stat);
  m.extra = {{"backbone_path", bb.path}, {"dataset", c.dataset}, {"base_to_novel", c.base_to_novel}};
  return m;
}

std::string pct(const nlohmann::json& ms) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << 100 * ms.at("mean").get<double>() << " ± "
    << 100 * ms.at("std").get<double>();
  return o.str();
}

void print_table(const Config& c, const nlohmann::json& zero_shot, const nlohmann::json& per_k) {
  const std::vector<std::string> cols =
      c.base_to_novel ? std::vector<std::string>{"base", "novel", "hm"} : std::vector<std::string>{"all"};
  std::cout << "\n  " << c.dataset << " test accuracy (%), " << c.seeds.size() << " seeds\n  " << std::left
            << std::setw(26) << "method";
  for (const auto& col : cols) std::cout << std::setw(16) << col;
  std::cout << "\n  " << std::setw(26) << "zero-shot (" + std::to_string(c.templates.size()) + " templates)";
  for (const auto& col : cols) {
    std::ostringstream v;
    v << std::fixed << std::setprecision(1) << 100 * zero_shot.at(col).get<double>();
    std::cout << std::setw(16) << v.str();
  }
  for (const auto& [k, s] : per_k.items()) {
    std::cout << "\n  " << std::setw(26) << c.method + " " + k + "-shot";
    for (const auto& col : cols) std::cout << std::setw(16) << pct(s.at(col));
  }
  std::cout << "\n";
}

int train_main(const Config& c) {
  Backbone bb = load_backbone(c);
  const auto data = load_data(c);
  const int64_t n_classes = static_cast<int64_t>(data.classes.size()),
                size = bb.model->config().vision.image_size;
  std::vector<int64_t> all(static_cast<size_t>(n_classes));
  std::iota(all.begin(), all.end(), 0);
  // CoCoOp's protocol: the first half of the classes (rounded up) is base, the rest novel.
  const auto half = all.begin() + (n_classes + 1) / 2;
  const std::vector<int64_t> base(all.begin(), half), novel(half, all.end());
  if (c.base_to_novel && novel.empty()) throw InputError("eval.base_to_novel needs at least two classes");
  std::vector<EvalSplit> splits;
  if (c.base_to_novel) {
    splits.push_back(make_split(data, "base", base, size));
    splits.push_back(make_split(data, "novel", novel, size));
  } else {
    splits.push_back(make_split(data, "all", all, size));
  }
  std::cout << "[image_classification] backbone " << bb.path << " (" << bb.info.id << "), "
            << data.classes.size() << " classes, " << data.train_labels.size(0) << " train pool / "
            << data.test_labels.size(0) << " test images\n";
  fs::create_directories(c.output_dir);
  nlohmann::json zero_shot;
  for (const auto& s : splits) zero_shot[s.name] = zero_shot_accuracy(bb, c, s);
  if (c.base_to_novel) zero_shot["hm"] = harmonic_mean(zero_shot["base"], zero_shot["novel"]);
  std::cout << "[image_classification] zero-shot " << zero_shot.dump() << "\n";

  nlohmann::json per_k = nlohmann::json::object();
  std::vector<RunResult> last;
  if (c.method != "zero_shot") {
    for (auto k : c.shots) {
      std::vector<RunResult> runs;
      for (auto seed : c.seeds)
        runs.push_back(run_once(c, bb, data, c.base_to_novel ? base : all, splits, k, seed));
      per_k[std::to_string(k)] = summarize(runs, c.base_to_novel);
      last = std::move(runs);
    }
  }
  nlohmann::json line = {{"recipe", "image_classification"},
                         {"dataset", c.dataset},
                         {"method", c.method},
                         {"base_to_novel", c.base_to_novel},
                         {"zero_shot", zero_shot},
                         {"shots", per_k},
                         {"seeds", c.seeds},
                         {"templates", c.templates},
                         {"backbone", bb.info.id}};
  if (!last.empty()) {
    // No dev set in the few-shot protocol, so nothing to select on: the artifact is the first seed's run.
    const auto& run = last.front();
    recipes::plot_confusion(c.output_dir + "/confusion_test.png", splits.front().class_names, run.confusion,
                            c.method + " " + std::to_string(run.k) + "-shot, seed " +
                                std::to_string(run.seed) + " (" + splits.front().name + " classes)");
    core::SaveOptions so;
    so.config_yaml = schema().to_yaml(c);
    const std::string stem = c.output_dir + "/prompt";
    core::save_artifact(stem, run.tensors, manifest_for(c, bb, run, data.classes, per_k), so);
    line["artifact"] = stem + ".safetensors";
    line["artifact_bytes"] = fs::file_size(stem + ".safetensors");
  }
  core::io::write_file_atomically(c.output_dir + "/results.json", line.dump() + "\n");
  print_table(c, zero_shot, per_k);
  std::cout << line.dump() << "\n";
  return 0;
}

int run(const recipes::RecipeArgs& args) {
  if (args.help) {
    std::cout << "image_classification --config FILE [key=value ...]\n" << schema().help_text();
    return 0;
  }
  return train_main(read_config(args.config_path, args.overrides));
}

}  // namespace

int main(int argc, char** argv) { return recipes::run_recipe("image_classification", argc, argv, run); }

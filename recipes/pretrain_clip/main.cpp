// pretrain_clip: the starter CLIP. Trains a small CLIP contrastively on local images with captions drawn from
// varied templates (Fashion-MNIST TRAIN images, the MNIST train part, synthetic OpenCV shape scenes), saves
// it in the HF layout (config.json + model.safetensors + the CLIP BPE vocabulary) under the cache, and reuses
// it when a finished model with the same settings is there.
//   pretrain_clip --config recipes/configs/pretrain_clip/starter_clip.yaml [key=value ...]
#include <torch/torch.h>

#include <yaml-cpp/yaml.h>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "modalities/text/tokenizer_factory.h"
#include "models/clip/saver.h"
#include "recipes/common/clip_features.h"
#include "recipes/common/clip_pretraining.h"
#include "recipes/common/image_sources.h"
#include "recipes/common/pretrain_clip_config.h"
#include "recipes/common/recipe_main.h"
#include "recipes/common/starter_cache.h"

namespace fs = std::filesystem;
using namespace softprompt;
using softprompt::recipes::pretrain_clip::Config;
using softprompt::recipes::pretrain_clip::schema;
namespace images = softprompt::recipes::images;

namespace {

// Settings that change the model (paths and `force` do not).
nlohmann::json identity(const core::config::Schema<Config>& s, const Config& c) {
  auto j = s.to_json(c);
  j.erase("data");
  j["output"].erase("dir");
  j["output"].erase("force");
  j["data_sizes"] = {c.fashion_images, c.mnist_images, c.shape_images, c.dev_images};
  return j;
}

struct PretrainData {
  at::Tensor pixels, attributes;                // [N,3,S,S], [N,A]
  std::vector<recipes::clip::ZeroShotSet> dev;  // held-out zero-shot checks
};

// The first `n` of a seeded permutation for training, the next `dev` for the zero-shot check.
void add_set(PretrainData& d, const images::ImageSet& set, int64_t n, int64_t dev, int64_t size,
             uint64_t seed, std::vector<at::Tensor>& pixels, std::vector<at::Tensor>& attrs,
             const std::string& templ) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto order = torch::randperm(set.images.size(0), gen);
  n = std::min(n, set.images.size(0) - dev);
  const auto tr = order.slice(0, 0, n), dv = order.slice(0, n, n + dev);
  pixels.push_back(recipes::clip::preprocess_all(set.images.index_select(0, tr), size));
  attrs.push_back(set.attributes.index_select(0, tr));
  d.dev.push_back({set.name, recipes::clip::preprocess_all(set.images.index_select(0, dv), size),
                   set.labels.index_select(0, dv), set.classes, templ});
}

PretrainData build_data(const Config& c) {
  PretrainData d;
  std::vector<at::Tensor> pixels, attrs;
  const auto seed = c.train.seed;
  add_set(d, images::read_fashion_mnist(c.data_dir + "/fashion-mnist", "train"), c.fashion_images,
          c.dev_images, c.image_size, seed, pixels, attrs, "a photo of a {}.");
  add_set(d, images::read_mnist_digits(c.data_dir + "/mnist", "train"), c.mnist_images, c.dev_images,
          c.image_size, seed + 1, pixels, attrs, "a drawing of the digit {}.");
  add_set(d, images::render_shapes(c.shape_images, seed + 2), c.shape_images, 0, c.image_size, seed + 2,
          pixels, attrs, "");
  d.dev.pop_back();  // the dev shapes are single objects (the classification set), rendered apart
  images::ShapeOptions single;
  single.single_object = true;
  const auto dev_shapes = images::render_shapes(c.dev_images, seed + 3, single);
  d.dev.push_back({"shapes", recipes::clip::preprocess_all(dev_shapes.images, c.image_size),
                   dev_shapes.labels, dev_shapes.classes, "a photo of a {}."});
  d.pixels = torch::cat(pixels);
  d.attributes = torch::cat(attrs);
  return d;
}

models::clip::ClipConfig model_config(const Config& c, int64_t vocab, int64_t eot) {
  models::clip::ClipConfig m;
  m.text = {vocab, c.text_width, 4 * c.text_width, c.text_layers, c.text_heads, c.context};
  m.text.eos_token_id = eot;
  m.text.eot_rule = models::clip::EotRule::kFirstEos;
  m.vision.hidden_size = c.vision_width;
  m.vision.intermediate_size = 4 * c.vision_width;
  m.vision.num_layers = c.vision_layers;
  m.vision.num_heads = c.vision_heads;
  m.vision.image_size = c.image_size;
  m.vision.patch_size = c.patch_size;
  m.projection_dim = c.projection_dim;
  models::clip::validate(m, "pretrain_clip config");
  return m;
}

bool reuse(const std::string& out, const std::string& id) {
  const auto report = recipes::reusable_pretrain_report(out, id);
  if (!report) return false;
  std::cout << "[pretrain_clip] reusing " << out << " (held-out zero-shot accuracy "
            << report->value("dev_zero_shot", nlohmann::json::object()).dump() << ")\n";
  return true;
}

int run(const recipes::RecipeArgs& args) {
  const auto s = schema();
  if (args.help) {
    std::cout << "pretrain_clip --config FILE [key=value ...]\n" << s.help_text();
    return 0;
  }
  const auto overrides = core::config::parse_overrides(args.overrides);
  Config c = args.config_path.empty() ? s.read(YAML::Node(), "<defaults>", overrides)
                                      : s.read_file(args.config_path, overrides);
  const std::string out = c.output_dir.empty() ? recipes::cache_dir() + "/starter/clip" : c.output_dir;
  const auto id = identity(s, c).dump();
  if (!c.force && reuse(out, id)) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  const auto vocab_path = modalities::text::resolve_tokenizer_path("clip");
  const auto tok = modalities::text::ClipTokenizer::from_file(vocab_path);
  const auto data = build_data(c);
  std::cout << "[pretrain_clip] " << data.pixels.size(0) << " training images (" << c.image_size << " px), "
            << data.dev.size() << " held-out zero-shot sets of " << c.dev_images << "\n";

  core::trainer::seed_everything(c.train.seed);
  models::clip::ClipModel model(model_config(c, tok->vocab_size(), tok->eot()));
  recipes::clip::init_clip_weights(*model);
  recipes::clip::ClipPretrainTask task(model, *tok, data.pixels, data.attributes, data.dev, c.train.seed);
  const std::string tmp = out + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  auto opts = c.train;
  opts.optimizer = core::trainer::OptimizerKind::kAdamW;
  opts.schedule = core::trainer::ScheduleKind::kCosine;
  opts.metric = "accuracy";
  opts.checkpoint_dir = tmp + "/train";
  opts.restore_best = false;  // the last state: the zero-shot check is a probe, not a selection criterion
  core::trainer::Trainer trainer(opts);
  const auto result = trainer.fit(task);
  std::cout << core::trainer::summary(result, opts);
  model->eval();
  const auto dev = task.evaluate("dev").metrics;

  fs::remove(tmp + "/train/last.ckpt");  // a full-model resume state; the model itself is saved next
  fs::remove(tmp + "/train/best.safetensors");
  models::clip::save_pretrained(*model, tmp);
  fs::copy_file(vocab_path, tmp + "/" + fs::path(vocab_path).filename().string());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  nlohmann::json report = {{"settings", id},        {"dev_zero_shot", dev},
                           {"steps", result.steps}, {"train_images", data.pixels.size(0)},
                           {"seconds", secs},       {"parameters", params}};
  core::io::write_file_atomically(tmp + "/softprompt_pretrain.json", report.dump(2) + "\n");
  core::io::write_file_atomically(tmp + "/pretrain_config.yaml", s.to_yaml(c));
  recipes::publish_directory(tmp, out);  // the finished directory appears at once
  std::cout << "[pretrain_clip] saved " << out << ": held-out zero-shot " << nlohmann::json(dev).dump()
            << ", " << result.steps << " steps, " << static_cast<int>(secs) << " s\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return recipes::run_recipe("pretrain_clip", argc, argv, run); }

#include "recipes/common/image_classification_config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "core/errors.h"

namespace softprompt::recipes::image_classification {

core::config::Schema<Config> schema() {
  using T = core::trainer::TrainerOptions;
  auto tr = [](auto member) {
    return [member](Config & c) -> auto& { return c.train.*member; };
  };
  core::config::Schema<Config> s;
  s.add("backbone.path", &Config::backbone_path, "",
        "HF CLIP dir or OpenAI .safetensors; empty = starter CLIP")
      .add("tokenizer.path", &Config::tokenizer_path, "",
           "CLIP BPE vocab; empty = the backbone dir's or shipped")
      .add("data.dataset", &Config::dataset, "fashion_mnist", "fashion_mnist | mnist | shapes | folder | csv")
      .add("data.dir", &Config::data_dir, "", "fashion-mnist/, mnist/ folder; empty = <cache>/data")
      .add("data.train_path", &Config::train_path, "", "folder: root/<class>/*.png; csv: path,label file")
      .add("data.test_path", &Config::test_path, "", "folder or csv of the held-out test images")
      .add("data.test_images", &Config::test_images, 0, "evaluate on the first N test images (0 = all)")
      .add("method.name", &Config::method, "coop",
           "zero_shot | coop | cocoop | vpt_shallow | vpt_deep | maple | ivlp | linear_probe")
      .add("zero_shot.templates", &Config::templates, {"a photo of a {}."},
           "hand-written templates; several are ensembled")
      .add("eval.base_to_novel", &Config::base_to_novel, false, "train on the first half of the classes")
      .add("train.shots", &Config::shots, {16}, "labelled images per training class, one run per k")
      .add("train.seeds", &Config::seeds, {1, 2, 3}, "one run per seed; mean and std are reported")
      .add("prompt.n_ctx", &Config::n_ctx, 4, "text context vectors (CoOp, CoCoOp, MaPLe, IVLP)")
      .add("prompt.ctx_init", &Config::ctx_init, "a photo of a", "context init text; empty = random")
      .add("prompt.class_position", &Config::class_position, "end", "CoOp class token: end | middle | front")
      .add("prompt.class_specific", &Config::class_specific, false, "CoOp: one context per class")
      .add("prompt.vision_tokens", &Config::vision_tokens, 4, "VPT / IVLP vision prompts per layer")
      .add("prompt.depth", &Config::depth, 0, "prompted layers (0 = the method's default)")
      .add("prompt.text_template", &Config::text_template, "a photo of a {class}.", "VPT's text side")
      .add("train.optimizer", &Config::optimizer, "adamw", "adamw | sgd | adafactor")
      .add("train.schedule", &Config::schedule, "cosine", "constant | linear | cosine")
      .add("train.lr", tr(&T::lr), 0.01, "peak learning rate")
      .add("train.weight_decay", tr(&T::weight_decay), 0.0, "weight decay")
      .add("train.warmup_steps", tr(&T::warmup_steps), 10, "linear warm-up steps")
      .add("train.max_steps", tr(&T::max_steps), 200, "optimizer steps per run")
      .add("train.batch_size", tr(&T::batch_size), 32, "images per step")
      .add("train.grad_clip", tr(&T::grad_clip), 1.0, "global norm clip (0 = off)")
      .add("train.log_every", tr(&T::log_every), 20, "steps between log lines")
      .add("output.dir", &Config::output_dir, "runs/image_classification", "artifacts, metrics and plots");
  return s;
}

Config read_config(const std::string& path, const std::vector<std::string>& overrides) {
  const auto s = schema();
  const auto ov = core::config::parse_overrides(overrides);
  Config c = path.empty() ? s.read(YAML::Node(), "<defaults>", ov) : s.read_file(path, ov);
  c.train.optimizer = core::trainer::parse_optimizer(c.optimizer);
  c.train.schedule = core::trainer::parse_schedule(c.schedule);
  c.train.metric = "accuracy";
  c.train.eval_every = -1;  // few-shot: no dev set to select on (as CoOp), the last state is evaluated
  c.train.restore_best = false;
  c.train.validate();
  static const std::set<std::string> methods = {"zero_shot", "coop",  "cocoop", "vpt_shallow",
                                                "vpt_deep",  "maple", "ivlp",   "linear_probe"};
  if (!methods.count(c.method)) throw InputError("method.name: unknown method '" + c.method + "'");
  static const std::set<std::string> sets = {"fashion_mnist", "mnist", "shapes", "folder", "csv"};
  if (!sets.count(c.dataset)) throw InputError("data.dataset: unknown dataset '" + c.dataset + "'");
  for (auto k : c.shots)
    if (k < 1) throw InputError("train.shots: " + std::to_string(k) + " is not a positive number of images");
  if (c.seeds.empty()) throw InputError("train.seeds: at least one seed");
  if (c.base_to_novel && c.method == "linear_probe")
    throw InputError("eval.base_to_novel: a linear probe has no weights for novel classes");
  return c;
}

}  // namespace softprompt::recipes::image_classification

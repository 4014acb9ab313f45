#include "recipes/common/sentiment_config.h"

#include <yaml-cpp/yaml.h>

namespace softprompt::recipes::sentiment {

core::config::Schema<Config> schema() {
  using T = core::trainer::TrainerOptions;
  auto tr = [](auto member) { return [member](Config& c) -> auto& { return c.train.*member; }; };
  core::config::Schema<Config> s;
  s.add("backbone.path", &Config::backbone_path, "", "HF GPT-2 directory; empty = the starter LM in the cache")
      .add("tokenizer.path", &Config::tokenizer_path, "", "tokenizer; empty = the backbone directory's")
      .add("data.dir", &Config::data_dir, "", "UCI sentiment folder (imdb/amazon/yelp .json)")
      .add("data.train_file", &Config::train_file, "", "CSV/JSONL (text,label) instead of data.dir")
      .add("data.dev_file", &Config::dev_file, "", "optional; else 10% of train_file")
      .add("data.test_file", &Config::test_file, "", "optional; else 20% of train_file")
      .add("data.labels", &Config::labels, {"negative", "positive"}, "class order")
      .add("verbalizer.words", &Config::label_words, {" bad", " good"}, "one label word per class")
      .add("prompt.template", &Config::prompt_template, "{soft:20} {text} It was {mask}", "tuned prompt")
      .add("prompt.zero_shot_template", &Config::zero_shot_template, "{text} It was {mask}",
           "hand-written baseline prompt")
      .add("prompt.zero_shot", &Config::zero_shot, true, "evaluate the hand-written prompt on test first")
      .add("prompt.init", &Config::init, "vocab", "random | vocab | text | labels")
      .add("prompt.init_range", &Config::init_range, 0.5, "random: U(-r, r)")
      .add("prompt.vocab_top_n", &Config::vocab_top_n, 2000, "vocab/labels: sample among the first N ids")
      .add("prompt.init_text", &Config::init_text, "", "text: the initial prompt text")
      .add("data.max_length", &Config::max_length, 160, "tokens per example incl. prompt (longer text is cut)")
      .add("train.seeds", &Config::seeds, {1, 2, 3}, "one prompt per seed; mean and std are reported")
      .add("train.optimizer", &Config::optimizer, "adamw", "adamw | sgd | adafactor")
      .add("train.schedule", &Config::schedule, "linear", "constant | linear | cosine")
      .add("train.lr", tr(&T::lr), 0.03, "peak learning rate")
      .add("train.weight_decay", tr(&T::weight_decay), 0.0, "weight decay")
      .add("train.warmup_steps", tr(&T::warmup_steps), 20, "linear warm-up steps")
      .add("train.max_steps", tr(&T::max_steps), 200, "optimizer steps per seed")
      .add("train.batch_size", tr(&T::batch_size), 16, "examples per step")
      .add("train.grad_clip", tr(&T::grad_clip), 1.0, "global norm clip (0 = off)")
      .add("train.eval_every", tr(&T::eval_every), 50, "steps between dev evaluations")
      .add("train.patience", tr(&T::patience), 0, "early stopping patience in evaluations (0 = off)")
      .add("train.log_every", tr(&T::log_every), 10, "steps between log lines")
      .add("train.resume", tr(&T::resume), false, "continue each seed from its last checkpoint")
      .add("output.dir", &Config::output_dir, "runs/sentiment", "artifacts, metrics and plots");
  add_method_options(s, [](Config& c) -> MethodConfig& { return c.method; });
  return s;
}

Config read_config(const std::string& path, const std::vector<std::string>& overrides) {
  const auto s = schema();
  const auto ov = core::config::parse_overrides(overrides);
  Config c = path.empty() ? s.read(YAML::Node(), "<defaults>", ov) : s.read_file(path, ov);
  c.train.optimizer = core::trainer::parse_optimizer(c.optimizer);
  c.train.schedule = core::trainer::parse_schedule(c.schedule);
  c.train.metric = "accuracy";
  c.train.validate();
  validate_method_config(c.method);
  return c;
}

}  // namespace softprompt::recipes::sentiment

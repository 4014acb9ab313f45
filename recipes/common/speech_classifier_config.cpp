#include "recipes/common/speech_classifier_config.h"

#include <yaml-cpp/yaml.h>

#include "recipes/common/speech_data.h"

namespace softprompt::recipes::speech_classifier {

core::config::Schema<Config> schema(Corpus corpus) {
  using T = core::trainer::TrainerOptions;
  auto tr = [](auto member) { return [member](Config& c) -> auto& { return c.train.*member; }; };
  const bool kws = corpus == Corpus::kSpeechCommands;
  core::config::Schema<Config> s;
  s.add("backbone.path", &Config::backbone_path, "", "unit-LM directory; empty = the starter unit LM")
      .add("encoder.path", &Config::encoder_path, "", "unit encoder; empty = the one beside the backbone")
      .add("data.dir", &Config::data_dir, "",
           kws ? "Speech Commands layout; empty = <cache>/data/synthetic_kws"
               : "Fluent Speech Commands layout; empty = <cache>/data/synthetic_intents")
      .add("data.keywords", &Config::keywords, speech_commands_keywords(), "Speech Commands keyword classes")
      .add("data.silence_unknown", &Config::silence_unknown, true, "Speech Commands: _silence_ + _unknown_")
      .add("data.max_length", &Config::max_length, 256, "positions per example (bos + prompt + units)")
      .add("units.cache", &Config::units_cache, "", "unit-sequence cache; empty = <cache>/units")
      .add("prompt.input_tokens", &Config::input_tokens, 8, "input prompt vectors (0 = none)")
      .add("prompt.deep_tokens", &Config::deep_tokens, 4, "key/value prompt vectors per block (0 = none)")
      .add("prompt.init", &Config::init, "vocab", "input prompt init: random | vocab")
      .add("prompt.deep_init", &Config::deep_init, "activations", "activations | random")
      .add("verbalizer.kind", &Config::verbalizer, "learnable", "fixed | learnable")
      .add("verbalizer.units", &Config::label_units, {}, "unit per class; empty = most frequent training units")
      .add("train.seeds", &Config::seeds, {1, 2, 3}, "one prompt per seed; mean and std are reported")
      .add("train.optimizer", &Config::optimizer, "adamw", "adamw | sgd | adafactor")
      .add("train.schedule", &Config::schedule, "linear", "constant | linear | cosine")
      .add("train.lr", tr(&T::lr), 0.01, "peak learning rate")
      .add("train.weight_decay", tr(&T::weight_decay), 0.0, "weight decay")
      .add("train.warmup_steps", tr(&T::warmup_steps), 30, "linear warm-up steps")
      .add("train.max_steps", tr(&T::max_steps), 600, "optimizer steps per seed")
      .add("train.batch_size", tr(&T::batch_size), 32, "examples per step")
      .add("train.grad_clip", tr(&T::grad_clip), 1.0, "global norm clip (0 = off)")
      .add("train.eval_every", tr(&T::eval_every), 100, "steps between validation evaluations")
      .add("train.patience", tr(&T::patience), 0, "early stopping patience in evaluations (0 = off)")
      .add("train.log_every", tr(&T::log_every), 20, "steps between log lines")
      .add("train.resume", tr(&T::resume), false, "continue each seed from its last checkpoint")
      .add("output.dir", &Config::output_dir, kws ? "runs/keyword_spotting" : "runs/intent_classification",
           "artifacts, metrics and plots");
  return s;
}

Config read_config(Corpus corpus, const std::string& path, const std::vector<std::string>& overrides) {
  const auto s = schema(corpus);
  const auto ov = core::config::parse_overrides(overrides);
  Config c = path.empty() ? s.read(YAML::Node(), "<defaults>", ov) : s.read_file(path, ov);
  c.corpus = corpus;
  c.train.optimizer = core::trainer::parse_optimizer(c.optimizer);
  c.train.schedule = core::trainer::parse_schedule(c.schedule);
  c.train.metric = "accuracy";
  c.train.validate();
  return c;
}

}  // namespace softprompt::recipes::speech_classifier

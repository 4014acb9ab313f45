#include "recipes/common/pretrain_lm_config.h"

namespace softprompt::recipes::pretrain_lm {

core::config::Schema<Config> schema() {
  core::config::Schema<Config> s;
  s.add_required("data.dir", &Config::data_dir, "folder with brown/, spam/ and sentiment/ (scripts/fetch_data.sh)")
      .add("output.dir", &Config::output_dir, "", "where the model goes; empty = <cache>/starter/text_lm")
      .add("output.force", &Config::force, false, "retrain even when a finished model with these settings exists")
      .add("corpus.email_docs", &Config::email_docs, 0, "SpamAssassin ham e-mails to include")
      .add("corpus.in_domain_repeat", &Config::in_domain_repeat, 15, "times the sentiment TRAIN sentences are repeated")
      .add("tokenizer.vocab_size", &Config::vocab_size, 4000, "sentencepiece vocabulary size")
      .add("model.n_layer", &Config::n_layer, 4, "transformer blocks")
      .add("model.n_embd", &Config::n_embd, 192, "hidden size")
      .add("model.n_head", &Config::n_head, 4, "attention heads")
      .add("model.context", &Config::context, 64, "training window (tokens) = n_positions")
      .add("train.max_steps", [](Config& c) -> auto& { return c.train.max_steps; }, 600, "optimizer steps")
      .add("train.batch_size", [](Config& c) -> auto& { return c.train.batch_size; }, 32, "windows per step")
      .add("train.lr", [](Config& c) -> auto& { return c.train.lr; }, 3e-3, "peak learning rate (AdamW)")
      .add("train.warmup_steps", [](Config& c) -> auto& { return c.train.warmup_steps; }, 40, "linear warm-up")
      .add("train.weight_decay", [](Config& c) -> auto& { return c.train.weight_decay; }, 0.01, "AdamW decay")
      .add("train.grad_clip", [](Config& c) -> auto& { return c.train.grad_clip; }, 1.0, "global norm clip")
      .add("train.eval_every", [](Config& c) -> auto& { return c.train.eval_every; }, 300, "steps between evals")
      .add("train.seed", [](Config& c) -> auto& { return c.train.seed; }, uint64_t{1234}, "seed of init and order");
  return s;
}

}  // namespace softprompt::recipes::pretrain_lm

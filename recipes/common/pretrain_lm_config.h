#pragma once
// The pretrain_lm recipe's configuration (recipes/configs/pretrain_lm/*.yaml + key=value overrides).
#include <string>

#include "core/config/schema.h"
#include "core/trainer/trainer_options.h"

namespace softprompt::recipes::pretrain_lm {

struct Config {
  std::string data_dir;             // the fetch script's data folder (brown/, spam/, sentiment/)
  std::string output_dir;           // "" = <cache>/starter/text_lm
  bool force = false;
  int64_t email_docs = 0;
  int64_t in_domain_repeat = 15;    // the sentiment TRAIN sentences, repeated (unlabeled)
  int64_t vocab_size = 4000;
  int64_t n_layer = 4, n_embd = 192, n_head = 4, context = 64;
  core::trainer::TrainerOptions train;
};

core::config::Schema<Config> schema();

}  // namespace softprompt::recipes::pretrain_lm

#pragma once
// The pretrain_unit_lm recipe's configuration (recipes/configs/pretrain_unit_lm/*.yaml + key=value overrides).
#include <string>

#include "core/config/schema.h"
#include "core/trainer/trainer_options.h"
#include "recipes/common/unit_encoder.h"

namespace softprompt::recipes::pretrain_unit_lm {

struct Config {
  std::string corpus_dir;       // scripts/make_unit_lm_corpus.sh's folder; "" = <cache>/data/unit_lm_corpus
  int64_t heldout_every = 20;   // every N-th utterance is held out (perplexity); the rest trains
  double noise_fraction = 0.5;  // utterances that get white or brown noise mixed in (seeded per utterance)
  double min_snr_db = 5, max_snr_db = 30;
  std::string output_dir;  // "" = <cache>/starter/unit_lm
  bool force = false;
  UnitEncoderOptions units;
  UnitFitOptions fit;
  int64_t n_layer = 4, n_embd = 192, n_head = 4, context = 256;
  core::trainer::TrainerOptions train;
};

core::config::Schema<Config> schema();

}  // namespace softprompt::recipes::pretrain_unit_lm

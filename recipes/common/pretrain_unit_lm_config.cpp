#include "recipes/common/pretrain_unit_lm_config.h"

namespace softprompt::recipes::pretrain_unit_lm {

core::config::Schema<Config> schema() {
  core::config::Schema<Config> s;
  auto u = [](auto field) { return [field](Config& c) -> auto& { return c.units.*field; }; };
  auto t = [](auto field) { return [field](Config& c) -> auto& { return c.train.*field; }; };
  s.add("corpus.dir", &Config::corpus_dir, "", "scripts/make_unit_lm_corpus.sh output; empty = <cache>/data/unit_lm_corpus")
      .add("corpus.heldout_every", &Config::heldout_every, 20, "every N-th utterance is held out for perplexity")
      .add("corpus.noise_fraction", &Config::noise_fraction, 0.5, "share of utterances with white/brown noise added")
      .add("corpus.min_snr_db", &Config::min_snr_db, 5.0, "lowest signal-to-noise ratio of the added noise")
      .add("corpus.max_snr_db", &Config::max_snr_db, 30.0, "highest signal-to-noise ratio of the added noise")
      .add("output.dir", &Config::output_dir, "", "where the model goes; empty = <cache>/starter/unit_lm")
      .add("output.force", &Config::force, false, "retrain even when a finished model with these settings exists")
      .add_enum("units.features", u(&UnitEncoderOptions::kind), UnitFeatureKind::kMfcc, unit_feature_kinds(),
                "frame features quantized into units")
      .add("units.k", u(&UnitEncoderOptions::num_units), 100, "k-means clusters = units")
      .add("units.dedup", u(&UnitEncoderOptions::dedup), true, "collapse runs of one unit")
      .add("units.num_ceps", u(&UnitEncoderOptions::num_ceps), 13, "mfcc: cepstra")
      .add("units.deltas", u(&UnitEncoderOptions::deltas), true, "mfcc: append deltas and delta-deltas")
      .add("units.n_mels", u(&UnitEncoderOptions::n_mels), 80, "logmel: mel bins")
      .add("units.hubert_dir", u(&UnitEncoderOptions::hubert_dir), "", "hubert: HF HuBERT directory")
      .add("units.hubert_layer", u(&UnitEncoderOptions::hubert_layer), 6, "hubert: hidden_states index")
      .add("units.fit_frames", [](Config& c) -> auto& { return c.fit.max_frames; }, 200000,
           "frames k-means is fitted on (seeded subset)")
      .add("units.kmeans_iterations", [](Config& c) -> auto& { return c.fit.max_iterations; }, 60,
           "Lloyd iterations")
      .add("model.n_layer", &Config::n_layer, 4, "transformer blocks")
      .add("model.n_embd", &Config::n_embd, 192, "hidden size")
      .add("model.n_head", &Config::n_head, 4, "attention heads")
      .add("model.context", &Config::context, 256, "training window (units) = n_positions")
      .add("train.max_steps", t(&core::trainer::TrainerOptions::max_steps), 400, "optimizer steps")
      .add("train.batch_size", t(&core::trainer::TrainerOptions::batch_size), 32, "windows per step")
      .add("train.lr", t(&core::trainer::TrainerOptions::lr), 2e-3, "peak learning rate (AdamW)")
      .add("train.warmup_steps", t(&core::trainer::TrainerOptions::warmup_steps), 40, "linear warm-up")
      .add("train.weight_decay", t(&core::trainer::TrainerOptions::weight_decay), 0.01, "AdamW decay")
      .add("train.grad_clip", t(&core::trainer::TrainerOptions::grad_clip), 1.0, "global norm clip")
      .add("train.eval_every", t(&core::trainer::TrainerOptions::eval_every), 100, "steps between evals")
      .add("train.seed", t(&core::trainer::TrainerOptions::seed), uint64_t{1234},
           "seed of k-means, noise, init and order");
  return s;
}

}  // namespace softprompt::recipes::pretrain_unit_lm

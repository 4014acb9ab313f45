#pragma once
// Configuration of the speech classification recipes (keyword_spotting, intent_classification):
// recipes/configs/<task>/*.yaml + key=value overrides. One schema; the task picks the corpus layout and the
// defaults that differ (data folder, output folder).
#include <string>
#include <vector>

#include "core/config/schema.h"
#include "core/trainer/trainer_options.h"

namespace softprompt::recipes::speech_classifier {

enum class Corpus { kSpeechCommands, kFluentSpeechCommands };

struct Config {
  std::string backbone_path;  // unit-LM directory; "" = the starter unit LM (<cache>/starter/unit_lm)
  std::string encoder_path;   // unit encoder; "" = the one saved with the backbone
  std::string data_dir;       // corpus folder; "" = the synthetic set in <cache>/data
  std::vector<std::string> keywords;  // Speech Commands: the keyword classes (others become _unknown_)
  bool silence_unknown = true;        // Speech Commands: add the _silence_ and _unknown_ classes
  std::string units_cache;            // "" = <cache>/units
  int64_t max_length = 256;           // positions per example: bos + input prompt + units (cut from the end)
  int64_t input_tokens = 8;           // SpeechPrompt input prompt length (0 = none)
  int64_t deep_tokens = 4;            // key/value prompt length per block (0 = none)
  std::string init;                   // input prompt init: random | vocab
  std::string deep_init;              // activations | random
  std::string verbalizer;             // fixed | learnable
  std::vector<int64_t> label_units;   // class -> unit; empty = the most frequent training units
  std::vector<int64_t> seeds;
  core::trainer::TrainerOptions train;
  std::string optimizer, schedule;
  std::string output_dir;
  Corpus corpus = Corpus::kSpeechCommands;  // set by the recipe, not by the file
};

core::config::Schema<Config> schema(Corpus corpus);
// Reads the file (built-in defaults when `path` is empty) with overrides; fills train's enums.
Config read_config(Corpus corpus, const std::string& path, const std::vector<std::string>& overrides);

}  // namespace softprompt::recipes::speech_classifier

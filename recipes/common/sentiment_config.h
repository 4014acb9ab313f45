#pragma once
// The sentiment recipe's configuration (recipes/configs/sentiment/*.yaml + key=value overrides).
#include <string>
#include <vector>

#include "core/config/schema.h"
#include "core/trainer/trainer_options.h"
#include "recipes/common/method_config.h"

namespace softprompt::recipes::sentiment {

struct Config {
  std::string backbone_path;     // HF GPT-2 directory; "" = the starter LM (<cache>/starter/text_lm)
  std::string tokenizer_path;    // "" = tokenizer.model in the backbone dir, else the GPT-2 BPE files there
  std::string data_dir;          // UCI sentiment JSON files (scripts/fetch_data.sh sentiment)
  std::string train_file, dev_file, test_file;  // generic CSV/JSONL instead (text,label); dev/test optional
  std::vector<std::string> labels;              // class order; default: the data's labels, sorted
  std::vector<std::string> label_words;         // one word per label (leading space: a word start)
  std::string prompt_template;                  // with {soft:N}: tuned prompt
  std::string zero_shot_template;               // hand-written prompt, no {soft}
  bool zero_shot = true;                        // evaluate the hand-written prompt as a baseline
  MethodConfig method;                          // what trains (prompt_tuning: the template's {soft:N})
  std::string init;                             // random | vocab | text | labels
  double init_range = 0.5;
  int64_t vocab_top_n = 0;
  std::string init_text;
  int64_t max_length = 160;
  std::vector<int64_t> seeds;
  core::trainer::TrainerOptions train;
  std::string optimizer, schedule;
  std::string output_dir;
};

core::config::Schema<Config> schema();
// Reads the file (or built-in defaults when `path` is empty) with overrides; fills train's enums.
Config read_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace softprompt::recipes::sentiment

#pragma once
// The unit language model's hyper-parameters: a GPT-2 (models/gpt2) whose vocabulary is K discrete acoustic
// units followed by special tokens, as the GSLM / SpeechPrompt unit LM (Lakhotia et al. 2021; Chang et al.
// 2022). Vocabulary layout: ids 0..K-1 are the units, then bos = K, eos = K+1, pad = K+2, then
// `num_extra_tokens` free tokens (e.g. verbalizer labels that are not units).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

#include "models/gpt2/config.h"

namespace softprompt::models::unit_lm {

inline constexpr const char* kModality = "units";  // slots "units", "units.layer.i", "units.kv.i"
inline constexpr const char* kFamily = "unit_lm";   // config.json "softprompt_family"

struct Config {
  std::string name = "unit-lm";  // preset / run name; part of the backbone id
  int64_t num_units = 100;       // K: k-means clusters of the unit encoder
  int64_t num_extra_tokens = 0;  // ids after the specials, free for label tokens
  int64_t n_positions = 256;     // longest sequence (units + prompts)
  int64_t n_embd = 192;          // hidden size D
  int64_t n_layer = 4;           // transformer blocks
  int64_t n_head = 4;            // attention heads

  int64_t bos_id() const { return num_units; }
  int64_t eos_id() const { return num_units + 1; }
  int64_t pad_id() const { return num_units + 2; }
  int64_t vocab_size() const { return num_units + 3 + num_extra_tokens; }
  // The GPT-2 this unit LM is: vocab_size(), specials, and slot prefix "units". Validates (InputError).
  gpt2::Config to_gpt2() const;
};

// The unit-LM fields written into config.json next to GPT-2's (HF's GPT2Config keeps unknown keys, so
// transformers still loads the directory as a GPT2LMHeadModel): softprompt_family "unit_lm",
// num_units, num_extra_tokens, pad_token_id.
void add_to_hf_json(const Config& config, nlohmann::json& json);
// Reads a unit-LM config.json (GPT-2 fields + the above). InputError naming `source` when the family is not
// unit_lm, a field is missing or has the wrong type, or the vocabulary does not match K + 3 + extra.
Config from_hf_json(const nlohmann::json& json, const std::string& source = "config.json");

}  // namespace softprompt::models::unit_lm

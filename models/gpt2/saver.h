#pragma once
// Writes GPT-2 in the Hugging Face layout (config.json + model.safetensors with GPT2LMHeadModel's
// `transformer.` keys, tied head left out), so load_pretrained and HF's from_pretrained both read it.
#include <nlohmann/json_fwd.hpp>

#include <string>

#include "models/gpt2/config.h"
#include "models/gpt2/model.h"

namespace softprompt::models::gpt2 {

// The config as HF's GPT2Config.to_dict would write it (model_type "gpt2", architectures GPT2LMHeadModel).
nlohmann::json to_hf_json(const Config& config);

// Writes <dir>/config.json and <dir>/model.safetensors (float32, atomically each; `dir` is created).
void save_pretrained(ModelImpl& model, const std::string& dir);
// The same with `extra_config` (a JSON object) merged into config.json: the fields of a family built on
// GPT-2 (the unit LM's num_units, ...).
void save_pretrained(ModelImpl& model, const std::string& dir, const nlohmann::json& extra_config);

}  // namespace softprompt::models::gpt2

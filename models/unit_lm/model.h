#pragma once
// The unit LM as a backbone: a models/gpt2 Model built from unit_lm::Config (no second transformer), with the
// slots "units", "units.layer.i", "units.kv.i". Stored in GPT-2's HF layout (config.json with the unit-LM
// fields of config.h + model.safetensors), loaded strictly by the GPT-2 loader.
#include <string>

#include "models/gpt2/loader.h"
#include "models/gpt2/model.h"
#include "models/unit_lm/config.h"

namespace softprompt::models::unit_lm {

// A randomly initialized (LibTorch defaults) unit LM; trainable (not frozen).
gpt2::Model build(const Config& config);

// Reads <dir>/config.json as a unit-LM config (InputError when it is a plain GPT-2 or malformed).
Config read_config(const std::string& dir);

// config.json + model.safetensors of `dir` -> the GPT-2 model with slot prefix "units", frozen by default.
gpt2::Model load_pretrained(const std::string& dir, const gpt2::LoadOptions& options = {});

// Writes <dir>/config.json (GPT-2's fields + the unit-LM fields) and <dir>/model.safetensors, atomically.
// `config` must describe `model` (same vocabulary and sizes), else InputError.
void save_pretrained(gpt2::ModelImpl& model, const Config& config, const std::string& dir);

// True when <dir>/config.json names the unit-LM family (for dispatch: `softprompt forward`).
bool is_unit_lm_dir(const std::string& dir);

}  // namespace softprompt::models::unit_lm

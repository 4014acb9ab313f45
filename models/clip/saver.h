#pragma once
// Writes a CLIP in the Hugging Face layout (config.json + model.safetensors under CLIPModel's key names), so
// load_clip and HF's CLIPModel.from_pretrained both read it. Used by the starter CLIP
// (recipes/pretrain_clip).
#include <nlohmann/json_fwd.hpp>

#include <string>

#include "models/clip/config.h"
#include "models/clip/model.h"

namespace softprompt::models::clip {

// The config as HF's CLIPConfig.to_dict writes the fields config_from_hf_json reads (model_type "clip",
// architectures CLIPModel). eos_token_id is the CLIP BPE's EOT, so HF pools at the first EOT.
nlohmann::json to_hf_json(const ClipConfig& config);

// Writes <dir>/config.json and <dir>/model.safetensors (float32, each atomically; `dir` is created).
void save_pretrained(ClipModelImpl& model, const std::string& dir);

}  // namespace softprompt::models::clip

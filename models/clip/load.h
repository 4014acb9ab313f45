#pragma once
// Loading a CLIP from disk: a Hugging Face directory (config.json + model.safetensors) or an OpenAI-layout
// state dict saved as one .safetensors file (the config is inferred from its shapes, as build_model does).
// Loading is strict (models/weights/strict_loader.h); the returned model is frozen (eval, no grad).
#include <c10/core/Device.h>

#include <string>
#include <vector>

#include "models/clip/model.h"

namespace softprompt::models::clip {

enum class ClipLayout { kHuggingFace, kOpenAI };

struct LoadedClip {
  ClipModel model{nullptr};
  ClipLayout layout = ClipLayout::kHuggingFace;
  std::vector<std::string> weight_files;  // the .safetensors file(s) read (HF shards in order)
};

// `path`: a directory with config.json (model_type "clip") and model.safetensors (or its shards, see
// models/weights/hf_checkpoint.h), or a .safetensors file in the OpenAI layout. Throws IoError (unreadable) or InputError (wrong config, keys or shapes; names the key).
// backbone_id() becomes "clip-hf:<fingerprint>" / "clip-openai:<fingerprint>" of the weights file.
LoadedClip load_clip(const std::string& path, c10::Device device = c10::Device(c10::kCPU));

// True when `path` is something load_clip can read without errors in the layout check: an HF directory whose
// config.json says model_type "clip", or a .safetensors file whose keys look like an OpenAI CLIP.
bool is_clip_checkpoint(const std::string& path);

}  // namespace softprompt::models::clip

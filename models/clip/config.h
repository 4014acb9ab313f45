#pragma once
// CLIP configuration (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
// Supervision"): a ViT image tower and a causal text transformer joined by two linear projections.
// Defaults are Hugging Face's (CLIPTextConfig / CLIPVisionConfig, transformers 4.36), i.e. ViT-B/32.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>

namespace softprompt::models::clip {

enum class Activation { kQuickGelu, kGelu };

// How the text tower finds the pooled (EOT) position in input ids.
enum class EotRule {
  kArgmax,    // argmax(ids): OpenAI, and HF configs with the legacy eos_token_id == 2
  kFirstEos,  // first position where ids == eos_token_id (HF 4.36 for every other config)
};

struct ClipTextConfig {
  int64_t vocab_size = 49408;         // token embedding rows (the CLIP BPE: EOT 49407 is the highest id)
  int64_t hidden_size = 512;          // transformer width
  int64_t intermediate_size = 2048;   // MLP inner width (4 x width in every OpenAI model)
  int64_t num_layers = 12;            // residual attention blocks
  int64_t num_heads = 8;              // attention heads (OpenAI checkpoints do not store it: width / 64)
  int64_t max_positions = 77;         // context length = rows of the positional table
  double layer_norm_eps = 1e-5;       // every LayerNorm of the tower
  Activation activation = Activation::kQuickGelu;  // MLP activation (hidden_act)
  int64_t eos_token_id = 49407;       // end-of-text id, read by EotRule::kFirstEos
  EotRule eot_rule = EotRule::kArgmax;  // see EotRule; set from eos_token_id for HF configs
};

struct ClipVisionConfig {
  int64_t hidden_size = 768;          // ViT width
  int64_t intermediate_size = 3072;   // MLP inner width
  int64_t num_layers = 12;            // residual attention blocks
  int64_t num_heads = 12;             // attention heads (OpenAI: width / 64)
  int64_t image_size = 224;           // input resolution (square); the positional table is fixed to it
  int64_t patch_size = 32;            // conv patch embedding kernel = stride
  int64_t num_channels = 3;           // input channels (RGB)
  double layer_norm_eps = 1e-5;       // every LayerNorm of the tower
  Activation activation = Activation::kQuickGelu;  // MLP activation (hidden_act)

  int64_t grid() const { return image_size / patch_size; }
  int64_t num_positions() const { return grid() * grid() + 1; }  // patches + the class token
};

struct ClipConfig {
  ClipTextConfig text;
  ClipVisionConfig vision;
  int64_t projection_dim = 512;       // joint embedding width (visual_projection / text_projection outputs)
  double logit_scale_init = 2.6592;   // log(1/0.07): initial value only; checkpoints store the trained scale
};

// Presets of the OpenAI releases (text tower identical up to width; projection = joint width).
ClipConfig vit_b32();
ClipConfig vit_b16();
ClipConfig vit_l14();

// Parses a Hugging Face CLIPModel config.json (model_type "clip"), filling HF's defaults for what the
// diff-only file leaves out; honours the legacy `text_config_dict` / `vision_config_dict` keys and the
// eos_token_id == 2 pooling rule. Throws InputError naming `source` and the key for bad values.
ClipConfig config_from_hf_json(const nlohmann::json& config, const std::string& source);

// Infers the config from an OpenAI-layout state dict the way clip.model.build_model does (widths and layer
// counts from shapes, heads = width / 64, argmax pooling). Throws InputError naming `source` when a key it
// needs is missing or the checkpoint is a ResNet CLIP (not supported).
ClipConfig config_from_openai_state_dict(const std::map<std::string, at::Tensor>& state,
                                         const std::string& source);

// Checks sizes (positive, heads divide widths, patch divides image). Throws InputError naming `source`.
void validate(const ClipConfig& config, const std::string& source);

}  // namespace softprompt::models::clip

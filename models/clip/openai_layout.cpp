#include "models/clip/openai_layout.h"

#include <torch/torch.h>

#include <array>
#include <utility>

#include "core/errors.h"

namespace softprompt::models::clip {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Block-internal names: OpenAI ResidualAttentionBlock -> HF CLIPEncoderLayer (in_proj handled apart).
const std::array<std::pair<const char*, const char*>, 10> kBlockNames{{
    {"attn.out_proj.weight", "self_attn.out_proj.weight"},
    {"attn.out_proj.bias", "self_attn.out_proj.bias"},
    {"ln_1.weight", "layer_norm1.weight"},
    {"ln_1.bias", "layer_norm1.bias"},
    {"ln_2.weight", "layer_norm2.weight"},
    {"ln_2.bias", "layer_norm2.bias"},
    {"mlp.c_fc.weight", "mlp.fc1.weight"},
    {"mlp.c_fc.bias", "mlp.fc1.bias"},
    {"mlp.c_proj.weight", "mlp.fc2.weight"},
    {"mlp.c_proj.bias", "mlp.fc2.bias"},
}};

// Top-level names (no split, no transpose).
const std::array<std::pair<const char*, const char*>, 12> kTopNames{{
    {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
    {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
    {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
    {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"},
    {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
    {"visual.ln_post.weight", "vision_model.post_layernorm.weight"},
    {"visual.ln_post.bias", "vision_model.post_layernorm.bias"},
    {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
    {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
    {"ln_final.weight", "text_model.final_layer_norm.weight"},
    {"ln_final.bias", "text_model.final_layer_norm.bias"},
    {"logit_scale", "logit_scale"},
}};

void put(TensorMap& out, const std::string& key, at::Tensor value, const std::string& from) {
  if (out.count(key)) throw InputError("two checkpoint keys map to '" + key + "' (one is '" + from + "')");
  out[key] = std::move(value);
}

// "transformer.resblocks.N.<rest>" (text) / "visual.transformer.resblocks.N.<rest>" -> true + the HF prefix.
bool block_key(const std::string& key, std::string* hf_prefix, std::string* rest) {
  for (const auto& [openai, hf] : {std::pair<std::string, std::string>{"visual.transformer.resblocks.",
                                                                        "vision_model.encoder.layers."},
                                   {"transformer.resblocks.", "text_model.encoder.layers."}}) {
    if (!starts_with(key, openai)) continue;
    const auto dot = key.find('.', openai.size());
    if (dot == std::string::npos) return false;
    *hf_prefix = hf + key.substr(openai.size(), dot - openai.size()) + ".";
    *rest = key.substr(dot + 1);
    return true;
  }
  return false;
}

void convert_block(TensorMap& out, const std::string& key, const at::Tensor& v, const std::string& prefix,
                   const std::string& rest, const std::string& source) {
  if (rest == "attn.in_proj_weight" || rest == "attn.in_proj_bias") {
    if (v.dim() < 1 || v.size(0) % 3)
      throw InputError("cannot read OpenAI CLIP '" + source + "': key '" + key + "' has shape " +
                       c10::str(v.sizes()) + ", its first dim must be 3 x width (q|k|v)");
    const char* kind = rest == "attn.in_proj_weight" ? "weight" : "bias";
    auto parts = v.chunk(3, 0);
    const char* names[3] = {"q_proj", "k_proj", "v_proj"};
    for (int i = 0; i < 3; ++i) put(out, prefix + "self_attn." + names[i] + "." + kind, parts[i], key);
    return;
  }
  for (const auto& [o, h] : kBlockNames)
    if (rest == o) return put(out, prefix + h, v, key);
  put(out, key, v, key);  // unknown: reported by the strict loader under its own name
}

}  // namespace

std::optional<std::string> hf_key(const std::string& key) {
  if (ends_with(key, "embeddings.position_ids")) return std::nullopt;
  return key;
}

bool looks_like_openai_clip(const TensorMap& state) {
  return state.count("positional_embedding") && state.count("token_embedding.weight") &&
         (state.count("visual.conv1.weight") || state.count("visual.layer1.0.conv1.weight"));
}

TensorMap openai_to_hf(const TensorMap& state, const std::string& source) {
  TensorMap out;
  for (const auto& [key, v] : state) {
    if (key == "input_resolution" || key == "context_length" || key == "vocab_size") continue;  // build_model drops
    std::string prefix, rest;
    if (block_key(key, &prefix, &rest)) {
      convert_block(out, key, v, prefix, rest, source);
      continue;
    }
    if (key == "visual.proj" || key == "text_projection") {
      if (v.dim() != 2)
        throw InputError("cannot read OpenAI CLIP '" + source + "': key '" + key + "' has shape " +
                         c10::str(v.sizes()) + ", expected [width, embed_dim]");
      // OpenAI multiplies x @ proj ([in,out]); nn.Linear stores [out,in].
      put(out, key == "visual.proj" ? "visual_projection.weight" : "text_projection.weight", v.t().contiguous(), key);
      continue;
    }
    bool mapped = false;
    for (const auto& [o, h] : kTopNames) {
      if (key == o) {
        put(out, h, v, key);
        mapped = true;
        break;
      }
    }
    if (!mapped) put(out, key, v, key);
  }
  return out;
}

}  // namespace softprompt::models::clip

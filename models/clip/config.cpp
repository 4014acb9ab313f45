#include "models/clip/config.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <set>

#include "core/errors.h"

namespace softprompt::models::clip {
namespace {

using nlohmann::json;

ClipConfig openai_preset(int64_t vision_width, int64_t vision_layers, int64_t patch, int64_t text_width,
                         int64_t embed_dim) {
  ClipConfig c;
  c.vision.hidden_size = vision_width;
  c.vision.intermediate_size = 4 * vision_width;
  c.vision.num_layers = vision_layers;
  c.vision.num_heads = vision_width / 64;
  c.vision.patch_size = patch;
  c.text.hidden_size = text_width;
  c.text.intermediate_size = 4 * text_width;
  c.text.num_heads = text_width / 64;
  c.projection_dim = embed_dim;
  return c;
}

// A typed read of `obj[key]` with a default; wrong types become InputError naming the key.
template <typename T>
T read(const json& obj, const std::string& key, T fallback, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw InputError(where + ": '" + key + "' has the wrong type (" + it->dump() + ")");
  }
}

Activation activation_from(const std::string& name, const std::string& where) {
  if (name == "quick_gelu") return Activation::kQuickGelu;
  if (name == "gelu") return Activation::kGelu;
  throw InputError(where + ": unsupported hidden_act '" + name + "' (expected quick_gelu or gelu)");
}

// HF 4.36 CLIPConfig: `*_config_dict` (old hub configs) overrides `*_config`.
json sub_config(const json& config, const std::string& name, const std::string& source) {
  json out = json::object();
  for (const std::string& key : {name, name + "_dict"}) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) continue;
    if (!it->is_object()) throw InputError(source + ": '" + key + "' is not an object");
    out.update(*it);
  }
  return out;
}

ClipTextConfig text_from_hf(const json& t, const std::string& where) {
  ClipTextConfig c;
  c.vocab_size = read<int64_t>(t, "vocab_size", c.vocab_size, where);
  c.hidden_size = read<int64_t>(t, "hidden_size", c.hidden_size, where);
  c.intermediate_size = read<int64_t>(t, "intermediate_size", c.intermediate_size, where);
  c.num_layers = read<int64_t>(t, "num_hidden_layers", c.num_layers, where);
  c.num_heads = read<int64_t>(t, "num_attention_heads", c.num_heads, where);
  c.max_positions = read<int64_t>(t, "max_position_embeddings", c.max_positions, where);
  c.layer_norm_eps = read<double>(t, "layer_norm_eps", c.layer_norm_eps, where);
  c.activation = activation_from(read<std::string>(t, "hidden_act", "quick_gelu", where), where);
  c.eos_token_id = read<int64_t>(t, "eos_token_id", 49407, where);
  // transformers 4.36 CLIPTextTransformer: the legacy default eos id 2 means "pool at argmax(ids)".
  c.eot_rule = c.eos_token_id == 2 ? EotRule::kArgmax : EotRule::kFirstEos;
  return c;
}

ClipVisionConfig vision_from_hf(const json& v, const std::string& where) {
  ClipVisionConfig c;
  c.hidden_size = read<int64_t>(v, "hidden_size", c.hidden_size, where);
  c.intermediate_size = read<int64_t>(v, "intermediate_size", c.intermediate_size, where);
  c.num_layers = read<int64_t>(v, "num_hidden_layers", c.num_layers, where);
  c.num_heads = read<int64_t>(v, "num_attention_heads", c.num_heads, where);
  c.image_size = read<int64_t>(v, "image_size", c.image_size, where);
  c.patch_size = read<int64_t>(v, "patch_size", c.patch_size, where);
  c.num_channels = read<int64_t>(v, "num_channels", c.num_channels, where);
  c.layer_norm_eps = read<double>(v, "layer_norm_eps", c.layer_norm_eps, where);
  c.activation = activation_from(read<std::string>(v, "hidden_act", "quick_gelu", where), where);
  return c;
}

const at::Tensor& need(const std::map<std::string, at::Tensor>& state, const std::string& key,
                       int64_t dims, const std::string& source) {
  auto it = state.find(key);
  if (it == state.end()) throw InputError("cannot read OpenAI CLIP '" + source + "': missing key '" + key + "'");
  if (it->second.dim() != dims)
    throw InputError("cannot read OpenAI CLIP '" + source + "': key '" + key + "' has " +
                     std::to_string(it->second.dim()) + " dims, expected " + std::to_string(dims));
  return it->second;
}

// Number of distinct N in keys "<prefix>N.<rest>".
int64_t count_blocks(const std::map<std::string, at::Tensor>& state, const std::string& prefix) {
  std::set<std::string> ids;
  for (const auto& [k, v] : state) {
    if (k.rfind(prefix, 0) != 0) continue;
    const auto dot = k.find('.', prefix.size());
    if (dot != std::string::npos) ids.insert(k.substr(prefix.size(), dot - prefix.size()));
  }
  return static_cast<int64_t>(ids.size());
}

}  // namespace

ClipConfig vit_b32() { return openai_preset(768, 12, 32, 512, 512); }
ClipConfig vit_b16() { return openai_preset(768, 12, 16, 512, 512); }
ClipConfig vit_l14() { return openai_preset(1024, 24, 14, 768, 768); }

ClipConfig config_from_hf_json(const json& config, const std::string& source) {
  if (!config.is_object()) throw InputError(source + ": config is not a JSON object");
  const auto type = read<std::string>(config, "model_type", "", source);
  if (type != "clip")
    throw InputError(source + ": model_type '" + type + "' is not a CLIPModel config (expected 'clip')");
  ClipConfig c;
  c.text = text_from_hf(sub_config(config, "text_config", source), source + " text_config");
  c.vision = vision_from_hf(sub_config(config, "vision_config", source), source + " vision_config");
  c.projection_dim = read<int64_t>(config, "projection_dim", c.projection_dim, source);
  c.logit_scale_init = read<double>(config, "logit_scale_init_value", c.logit_scale_init, source);
  validate(c, source);
  return c;
}

ClipConfig config_from_openai_state_dict(const std::map<std::string, at::Tensor>& state,
                                         const std::string& source) {
  if (!state.count("visual.conv1.weight") && state.count("visual.layer1.0.conv1.weight"))
    throw InputError("cannot read OpenAI CLIP '" + source +
                     "': ResNet image towers (visual.layer1...) are not supported, only ViT");
  ClipConfig c;
  const auto& conv = need(state, "visual.conv1.weight", 4, source);
  const auto& vpos = need(state, "visual.positional_embedding", 2, source);
  c.vision.hidden_size = conv.size(0);
  c.vision.num_channels = conv.size(1);
  c.vision.patch_size = conv.size(3);
  const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(vpos.size(0) - 1))));
  c.vision.image_size = grid * c.vision.patch_size;
  c.vision.num_layers = count_blocks(state, "visual.transformer.resblocks.");
  c.vision.num_heads = c.vision.hidden_size / 64;
  c.vision.intermediate_size =
      need(state, "visual.transformer.resblocks.0.mlp.c_fc.weight", 2, source).size(0);

  c.text.vocab_size = need(state, "token_embedding.weight", 2, source).size(0);
  c.text.max_positions = need(state, "positional_embedding", 2, source).size(0);
  c.text.hidden_size = need(state, "ln_final.weight", 1, source).size(0);
  c.text.num_layers = count_blocks(state, "transformer.resblocks.");
  c.text.num_heads = c.text.hidden_size / 64;
  c.text.intermediate_size = need(state, "transformer.resblocks.0.mlp.c_fc.weight", 2, source).size(0);
  c.text.eos_token_id = c.text.vocab_size - 1;
  c.text.eot_rule = EotRule::kArgmax;
  c.projection_dim = need(state, "text_projection", 2, source).size(1);
  validate(c, source);
  return c;
}

void validate(const ClipConfig& c, const std::string& source) {
  auto fail = [&](const std::string& what) { throw InputError(source + ": invalid CLIP config: " + what); };
  auto positive = [&](int64_t v, const char* name) {
    if (v <= 0) fail(std::string(name) + " = " + std::to_string(v) + " (must be > 0)");
  };
  positive(c.text.vocab_size, "text vocab_size");
  positive(c.text.hidden_size, "text hidden_size");
  positive(c.text.intermediate_size, "text intermediate_size");
  positive(c.text.num_layers, "text num_hidden_layers");
  positive(c.text.num_heads, "text num_attention_heads");
  positive(c.text.max_positions, "text max_position_embeddings");
  positive(c.vision.hidden_size, "vision hidden_size");
  positive(c.vision.intermediate_size, "vision intermediate_size");
  positive(c.vision.num_layers, "vision num_hidden_layers");
  positive(c.vision.num_heads, "vision num_attention_heads");
  positive(c.vision.patch_size, "vision patch_size");
  positive(c.vision.image_size, "vision image_size");
  positive(c.vision.num_channels, "vision num_channels");
  positive(c.projection_dim, "projection_dim");
  if (c.text.hidden_size % c.text.num_heads)
    fail("text hidden_size " + std::to_string(c.text.hidden_size) + " is not divisible by " +
         std::to_string(c.text.num_heads) + " heads");
  if (c.vision.hidden_size % c.vision.num_heads)
    fail("vision hidden_size " + std::to_string(c.vision.hidden_size) + " is not divisible by " +
         std::to_string(c.vision.num_heads) + " heads");
  if (c.vision.image_size % c.vision.patch_size)
    fail("image_size " + std::to_string(c.vision.image_size) + " is not a multiple of patch_size " +
         std::to_string(c.vision.patch_size));
}

}  // namespace softprompt::models::clip

#include "models/clip/saver.h"

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::clip {
namespace {

std::string act_name(Activation a) { return a == Activation::kQuickGelu ? "quick_gelu" : "gelu"; }

}  // namespace

nlohmann::json to_hf_json(const ClipConfig& c) {
  const auto& t = c.text;
  const auto& v = c.vision;
  nlohmann::json text = {{"model_type", "clip_text_model"},
                         {"vocab_size", t.vocab_size},
                         {"hidden_size", t.hidden_size},
                         {"intermediate_size", t.intermediate_size},
                         {"num_hidden_layers", t.num_layers},
                         {"num_attention_heads", t.num_heads},
                         {"max_position_embeddings", t.max_positions},
                         {"layer_norm_eps", t.layer_norm_eps},
                         {"hidden_act", act_name(t.activation)},
                         {"eos_token_id", t.eos_token_id}};
  nlohmann::json vision = {{"model_type", "clip_vision_model"},
                           {"hidden_size", v.hidden_size},
                           {"intermediate_size", v.intermediate_size},
                           {"num_hidden_layers", v.num_layers},
                           {"num_attention_heads", v.num_heads},
                           {"image_size", v.image_size},
                           {"patch_size", v.patch_size},
                           {"num_channels", v.num_channels},
                           {"layer_norm_eps", v.layer_norm_eps},
                           {"hidden_act", act_name(v.activation)}};
  return {{"model_type", "clip"},
          {"architectures", {"CLIPModel"}},
          {"projection_dim", c.projection_dim},
          {"logit_scale_init_value", c.logit_scale_init},
          {"text_config", text},
          {"vision_config", vision},
          {"torch_dtype", "float32"}};
}

void save_pretrained(ClipModelImpl& model, const std::string& dir) {
  std::filesystem::create_directories(dir);
  core::io::TensorMap out;
  for (const auto& [name, t] : weights::state_dict(model))
    out[name] = t.detach().to(at::kCPU, at::kFloat).contiguous();
  core::io::save_safetensors(dir + "/model.safetensors", out, {{"format", "pt"}});
  core::io::write_file_atomically(dir + "/config.json", to_hf_json(model.config()).dump(2) + "\n");
}

}  // namespace softprompt::models::clip

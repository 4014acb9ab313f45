#include "models/gpt2/saver.h"

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::gpt2 {

nlohmann::json to_hf_json(const Config& c) {
  return {{"model_type", "gpt2"},
          {"architectures", {"GPT2LMHeadModel"}},
          {"vocab_size", c.vocab_size},
          {"n_positions", c.n_positions},
          {"n_embd", c.n_embd},
          {"n_layer", c.n_layer},
          {"n_head", c.n_head},
          {"n_inner", c.n_inner > 0 ? nlohmann::json(c.n_inner) : nlohmann::json(nullptr)},
          {"activation_function", c.activation},
          {"layer_norm_epsilon", c.layer_norm_epsilon},
          {"scale_attn_weights", c.scale_attn_weights},
          {"scale_attn_by_inverse_layer_idx", c.scale_attn_by_inverse_layer_idx},
          {"tie_word_embeddings", c.tie_word_embeddings},
          {"bos_token_id", c.bos_token_id},
          {"eos_token_id", c.eos_token_id},
          {"torch_dtype", "float32"}};
}

void save_pretrained(ModelImpl& model, const std::string& dir) {
  save_pretrained(model, dir, nlohmann::json::object());
}

void save_pretrained(ModelImpl& model, const std::string& dir, const nlohmann::json& extra_config) {
  std::filesystem::create_directories(dir);
  core::io::TensorMap out;
  for (const auto& [name, t] : weights::state_dict(model)) {
    const bool head = name.rfind("lm_head.", 0) == 0;
    out[head ? name : "transformer." + name] = t.detach().to(at::kCPU, at::kFloat).contiguous();
  }
  core::io::save_safetensors(dir + "/model.safetensors", out, {{"format", "pt"}});
  nlohmann::json config = to_hf_json(model.config());
  config.update(extra_config);
  core::io::write_file_atomically(dir + "/config.json", config.dump(2) + "\n");
}

}  // namespace softprompt::models::gpt2

#pragma once
// GPT-2's hyper-parameters (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners"),
// named as in Hugging Face's GPT2Config so that a config.json maps field by field.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

namespace softprompt::models::gpt2 {

struct Config {
  std::string name = "custom";  // preset name ("gpt2", "gpt2-medium", ...) or "custom"; for backbone ids
  int64_t vocab_size = 50257;   // token embedding rows (wte) and LM-head outputs
  int64_t n_positions = 1024;   // learned position embedding rows (wpe): the longest sequence
  int64_t n_embd = 768;         // hidden size D
  int64_t n_layer = 12;         // transformer blocks
  int64_t n_head = 12;          // attention heads; head_dim = n_embd / n_head
  int64_t n_inner = 0;          // MLP width; 0 = 4 * n_embd (HF: null)
  std::string activation =
      "gelu_new";  // MLP activation: gelu_new / gelu_pytorch_tanh (tanh), gelu (erf), relu, silu
  double layer_norm_epsilon = 1e-5;              // every LayerNorm
  bool scale_attn_weights = true;                // divide scores by sqrt(head_dim)
  bool scale_attn_by_inverse_layer_idx = false;  // also divide block i's scores by (i + 1)
  bool tie_word_embeddings = true;               // LM head = wte (no lm_head.weight in the checkpoint)
  int64_t bos_token_id = 50256;
  int64_t eos_token_id = 50256;
  // Prefix of the slot names ("text", "text.layer.i", "text.kv.i"): the unit LM, a GPT-2 over acoustic units,
  // uses "units". Not part of HF's config.json; the family's loader sets it.
  std::string modality = "text";

  int64_t head_dim() const { return n_embd / n_head; }
  int64_t inner_dim() const { return n_inner > 0 ? n_inner : 4 * n_embd; }
  // Throws InputError naming the first field that is out of range.
  void validate() const;
};

// The four released sizes (HF hub names): 124M, 355M, 774M, 1.5B parameters.
Config gpt2_small();
Config gpt2_medium();
Config gpt2_large();
Config gpt2_xl();
// "gpt2" / "small", "gpt2-medium" / "medium", "gpt2-large" / "large", "gpt2-xl" / "xl"; InputError otherwise.
Config preset(const std::string& name);

// A HF config.json (model_type "gpt2"). Fields it leaves out keep HF's defaults; fields this port cannot
// honour (add_cross_attention) and wrong types or values throw InputError naming the field. `source` names
// the file.
Config from_hf_json(const nlohmann::json& json, const std::string& source = "config.json");

}  // namespace softprompt::models::gpt2

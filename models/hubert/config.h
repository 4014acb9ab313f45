#pragma once
// HuBERT's hyper-parameters (Hsu et al. 2021, "HuBERT: Self-Supervised Speech Representation Learning by
// Masked Prediction of Hidden Units"), named as in Hugging Face's HubertConfig so that a config.json maps
// field by field.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace softprompt::models::hubert {

struct Config {
  // Preset name ("hubert-base", "hubert-large", ...) or "custom"; for backbone ids.
  std::string name = "custom";
  int64_t hidden_size = 768;  // D
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;  // FFN width
  std::string hidden_act = "gelu";   // FFN activation (gelu = exact erf GELU; gelu_new, relu also accepted)
  double layer_norm_eps = 1e-5;
  // Conv feature encoder (waveform -> frames): one entry per layer; lengths follow floor((L - k) / s) + 1.
  std::vector<int64_t> conv_dim = {512, 512, 512, 512, 512, 512, 512};
  std::vector<int64_t> conv_stride = {5, 2, 2, 2, 2, 2, 2};
  std::vector<int64_t> conv_kernel = {10, 3, 3, 3, 3, 2, 2};
  bool conv_bias = false;
  // "group": GroupNorm(C, C) after the first conv only (hubert-base); "layer": LayerNorm after every conv
  // (large).
  std::string feat_extract_norm = "group";
  std::string feat_extract_activation = "gelu";  // conv encoder and positional conv activation
  bool feat_proj_layer_norm = true;              // LayerNorm before the feature projection
  // Convolutional relative positional embedding (weight-normalised grouped conv; even kernels drop a frame).
  int64_t num_conv_pos_embeddings = 128;
  int64_t num_conv_pos_embedding_groups = 16;
  // false: post-LN layers and a LayerNorm before them (base); true: pre-LN layers, LayerNorm after (large).
  bool do_stable_layer_norm = false;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  int64_t conv_out_dim() const { return conv_dim.back(); }
  // Throws InputError naming the first field that is out of range.
  void validate() const;
};

// facebook/hubert-base-ls960 (95M), facebook/hubert-large-ll60k (317M), facebook/hubert-xlarge-ll60k (964M).
Config hubert_base();
Config hubert_large();
Config hubert_xlarge();
// "hubert-base" / "base", "hubert-large" / "large", "hubert-xlarge" / "xlarge"; InputError otherwise.
Config preset(const std::string& name);

// A HF config.json (model_type "hubert"). Omitted fields keep HF's defaults; wrong types or values and
// features this port does not implement (conv_pos_batch_norm) throw InputError naming the field. `source`
// names the file.
Config from_hf_json(const nlohmann::json& json, const std::string& source = "config.json");

}  // namespace softprompt::models::hubert

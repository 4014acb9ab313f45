#include "models/gpt2/config.h"

#include <nlohmann/json.hpp>

#include <set>
#include <type_traits>

#include "core/errors.h"
#include "models/weights/hf_config.h"

namespace softprompt::models::gpt2 {
namespace {

Config sized(const std::string& name, int64_t n_embd, int64_t n_layer, int64_t n_head) {
  Config c;
  c.name = name;
  c.n_embd = n_embd;
  c.n_layer = n_layer;
  c.n_head = n_head;
  return c;
}

void require_positive(int64_t value, const char* field) {
  if (value <= 0)
    throw InputError(std::string("gpt2 config: ") + field + " must be positive, got " +
                     std::to_string(value));
}

}  // namespace

void Config::validate() const {
  require_positive(vocab_size, "vocab_size");
  require_positive(n_positions, "n_positions");
  require_positive(n_embd, "n_embd");
  require_positive(n_layer, "n_layer");
  require_positive(n_head, "n_head");
  if (n_inner < 0)
    throw InputError("gpt2 config: n_inner must be >= 0 (0 = 4*n_embd), got " + std::to_string(n_inner));
  if (n_embd % n_head != 0)
    throw InputError("gpt2 config: n_embd " + std::to_string(n_embd) + " is not divisible by n_head " +
                     std::to_string(n_head));
  static const std::set<std::string> kActivations = {"gelu_new", "gelu_pytorch_tanh", "gelu", "relu", "silu"};
  if (!kActivations.count(activation))
    throw InputError("gpt2 config: unsupported activation_function '" + activation + "'");
  if (!(layer_norm_epsilon > 0)) throw InputError("gpt2 config: layer_norm_epsilon must be positive");
  if (modality.empty() || modality.find('.') != std::string::npos)
    throw InputError("gpt2 config: modality (the slot prefix) must be a non-empty name without '.', got '" +
                     modality + "'");
}

Config gpt2_small() { return sized("gpt2", 768, 12, 12); }
Config gpt2_medium() { return sized("gpt2-medium", 1024, 24, 16); }
Config gpt2_large() { return sized("gpt2-large", 1280, 36, 20); }
Config gpt2_xl() { return sized("gpt2-xl", 1600, 48, 25); }

Config preset(const std::string& name) {
  if (name == "gpt2" || name == "small") return gpt2_small();
  if (name == "gpt2-medium" || name == "medium") return gpt2_medium();
  if (name == "gpt2-large" || name == "large") return gpt2_large();
  if (name == "gpt2-xl" || name == "xl") return gpt2_xl();
  throw InputError("unknown gpt2 preset '" + name + "' (expected gpt2, gpt2-medium, gpt2-large or gpt2-xl)");
}

Config from_hf_json(const nlohmann::json& json, const std::string& source) {
  weights::check_model_type(json, "gpt2", source);
  Config c;
  weights::read_hf_field(json, "vocab_size", c.vocab_size, source);
  weights::read_hf_field(json, "n_positions", c.n_positions, source);
  weights::read_hf_field(json, "n_embd", c.n_embd, source);
  weights::read_hf_field(json, "n_layer", c.n_layer, source);
  weights::read_hf_field(json, "n_head", c.n_head, source);
  weights::read_hf_field(json, "n_inner", c.n_inner, source);
  weights::read_hf_field(json, "activation_function", c.activation, source);
  weights::read_hf_field(json, "layer_norm_epsilon", c.layer_norm_epsilon, source);
  weights::read_hf_field(json, "scale_attn_weights", c.scale_attn_weights, source);
  weights::read_hf_field(json, "scale_attn_by_inverse_layer_idx", c.scale_attn_by_inverse_layer_idx, source);
  weights::read_hf_field(json, "tie_word_embeddings", c.tie_word_embeddings, source);
  weights::read_hf_field(json, "bos_token_id", c.bos_token_id, source);
  weights::read_hf_field(json, "eos_token_id", c.eos_token_id, source);
  bool cross_attention = false;
  weights::read_hf_field(json, "add_cross_attention", cross_attention, source);
  if (cross_attention) throw InputError(source + ": add_cross_attention=true is not supported");
  // reorder_and_upcast_attn only changes rounding: this port always takes the softmax in float32.
  for (const Config& p : {gpt2_small(), gpt2_medium(), gpt2_large(), gpt2_xl()})
    if (p.n_embd == c.n_embd && p.n_layer == c.n_layer && p.n_head == c.n_head &&
        p.vocab_size == c.vocab_size && p.n_positions == c.n_positions)
      c.name = p.name;
  try {
    c.validate();
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  }
  return c;
}

}  // namespace softprompt::models::gpt2

#include "models/unit_lm/config.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "models/weights/hf_config.h"

namespace softprompt::models::unit_lm {

gpt2::Config Config::to_gpt2() const {
  if (num_units < 1) throw InputError("unit_lm config: num_units must be positive, got " + std::to_string(num_units));
  if (num_extra_tokens < 0)
    throw InputError("unit_lm config: num_extra_tokens must be >= 0, got " + std::to_string(num_extra_tokens));
  gpt2::Config g;
  g.name = name;
  g.vocab_size = vocab_size();
  g.n_positions = n_positions;
  g.n_embd = n_embd;
  g.n_layer = n_layer;
  g.n_head = n_head;
  g.bos_token_id = bos_id();
  g.eos_token_id = eos_id();
  g.modality = kModality;
  g.validate();
  return g;
}

void add_to_hf_json(const Config& config, nlohmann::json& json) {
  json["softprompt_family"] = kFamily;
  json["softprompt_name"] = config.name;
  json["num_units"] = config.num_units;
  json["num_extra_tokens"] = config.num_extra_tokens;
  json["pad_token_id"] = config.pad_id();
}

Config from_hf_json(const nlohmann::json& json, const std::string& source) {
  const gpt2::Config g = gpt2::from_hf_json(json, source);
  if (json.value("softprompt_family", std::string()) != kFamily)
    throw InputError(source + ": not a unit LM (softprompt_family is not '" + std::string(kFamily) + "')");
  Config c;
  c.num_units = -1;
  weights::read_hf_field(json, "softprompt_name", c.name, source);
  weights::read_hf_field(json, "num_units", c.num_units, source);
  weights::read_hf_field(json, "num_extra_tokens", c.num_extra_tokens, source);
  if (c.num_units < 1) throw InputError(source + ": num_units is missing or not positive");
  c.n_positions = g.n_positions;
  c.n_embd = g.n_embd;
  c.n_layer = g.n_layer;
  c.n_head = g.n_head;
  if (c.vocab_size() != g.vocab_size || g.bos_token_id != c.bos_id() || g.eos_token_id != c.eos_id())
    throw InputError(source + ": vocab_size " + std::to_string(g.vocab_size) + ", bos " +
                     std::to_string(g.bos_token_id) + ", eos " + std::to_string(g.eos_token_id) +
                     " do not match num_units " + std::to_string(c.num_units) + " + 3 specials + " +
                     std::to_string(c.num_extra_tokens) + " extra tokens");
  if (g.n_inner != 0 || g.activation != "gelu_new" || !g.tie_word_embeddings)
    throw InputError(source + ": a unit LM uses GPT-2's default MLP (n_inner null, gelu_new) and a tied head");
  return c;
}

}  // namespace softprompt::models::unit_lm

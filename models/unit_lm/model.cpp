#include "models/unit_lm/model.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/errors.h"
#include "models/gpt2/saver.h"
#include "models/weights/hf_checkpoint.h"

namespace softprompt::models::unit_lm {

gpt2::Model build(const Config& config) { return gpt2::Model(config.to_gpt2()); }

Config read_config(const std::string& dir) {
  return from_hf_json(weights::read_hf_config(dir), dir + "/config.json");
}

gpt2::Model load_pretrained(const std::string& dir, const gpt2::LoadOptions& options) {
  return gpt2::load_pretrained(dir, read_config(dir).to_gpt2(), options);
}

void save_pretrained(gpt2::ModelImpl& model, const Config& config, const std::string& dir) {
  const gpt2::Config expected = config.to_gpt2();
  const gpt2::Config& actual = model.config();
  if (actual.vocab_size != expected.vocab_size || actual.n_embd != expected.n_embd ||
      actual.n_layer != expected.n_layer || actual.n_head != expected.n_head ||
      actual.n_positions != expected.n_positions || actual.modality != expected.modality)
    throw InputError("unit_lm: the config (vocab " + std::to_string(expected.vocab_size) +
                     ") does not describe the model being saved (vocab " + std::to_string(actual.vocab_size) +
                     ", slot prefix '" + actual.modality + "')");
  nlohmann::json extra = nlohmann::json::object();
  add_to_hf_json(config, extra);
  gpt2::save_pretrained(model, dir, extra);
}

bool is_unit_lm_dir(const std::string& dir) {
  if (!std::filesystem::is_regular_file(dir + "/config.json")) return false;
  const nlohmann::json json = weights::read_hf_config(dir);
  return json.value("softprompt_family", std::string()) == kFamily;
}

}  // namespace softprompt::models::unit_lm

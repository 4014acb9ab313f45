#pragma once
// `softprompt forward` dispatches on the backbone: each family registers a handler in its own file
// (forward_gpt2.cpp, forward_clip.cpp, forward_hubert.cpp). Inputs and outputs use the HF argument and output
// names (input_ids, attention_mask, position_ids, inputs_embeds, pixel_values, input_values ->
// last_hidden_state, hidden_states.N, logits, image_embeds, ...).
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace softprompt::cli {

struct ForwardFamily {
  std::string name;  // e.g. "gpt2"
  // True when this family handles `path`: a HF directory whose config.json is `config` (model_type), or a
  // single checkpoint file (then `config` is null), e.g. an OpenAI CLIP state dict.
  std::function<bool(const std::string& path, const nlohmann::json& config)> matches;
  // Runs the forward pass. Throws InputError for a wrong input name, dtype or shape (the CLI exits 2).
  std::function<core::io::TensorMap(const std::string& path, const core::io::TensorMap& inputs)> run;
};

std::vector<ForwardFamily>& forward_families();

struct ForwardFamilyRegistration {
  explicit ForwardFamilyRegistration(ForwardFamily f) { forward_families().push_back(std::move(f)); }
};

}  // namespace softprompt::cli

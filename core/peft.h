#pragma once
// The Hugging Face PEFT prompt-learning adapter format (peft, src/peft/utils/save_and_load.py): a directory
// with `adapter_config.json` and `adapter_model.safetensors` holding one tensor, `prompt_embeddings`:
//   PROMPT_TUNING, P_TUNING  [P*S, D]     the final virtual-token embeddings (P-tuning's encoder output);
//   PREFIX_TUNING            [P, L*2*D]   per virtual token, for each layer l: key (chunk 2l) then value
//                                         (chunk 2l+1), each D = heads x head_dim wide;
// with P = num_virtual_tokens, D = token_dim, L = num_layers, S = num_transformer_submodules (1 for
// decoder-only models; the only value softprompt accepts). Conversion to and from softprompt artifacts:
// core/peft_convert.h.
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace softprompt::core {

inline constexpr const char* kPeftConfigFile = "adapter_config.json";
inline constexpr const char* kPeftWeightsFile = "adapter_model.safetensors";
inline constexpr const char* kPeftTensorKey = "prompt_embeddings";

enum class PeftType { kPromptTuning, kPTuning, kPrefixTuning };
std::string peft_type_name(PeftType type);  // "PROMPT_TUNING", "P_TUNING", "PREFIX_TUNING"

// adapter_config.json: the keys softprompt reads and writes, and every other key kept verbatim.
struct PeftConfig {
  PeftType peft_type = PeftType::kPromptTuning;
  std::optional<std::string> task_type = std::string("CAUSAL_LM");  // CAUSAL_LM, SEQ_CLS, ...
  int64_t num_virtual_tokens = 0;
  int64_t token_dim = 0;
  int64_t num_transformer_submodules = 1;
  std::optional<int64_t> num_attention_heads;
  std::optional<int64_t> num_layers;          // required for PREFIX_TUNING
  std::string prompt_tuning_init = "RANDOM";  // PROMPT_TUNING: RANDOM, TEXT, SAMPLE_VOCAB
  std::optional<std::string> prompt_tuning_init_text;
  std::optional<std::string> tokenizer_name_or_path;
  std::optional<std::string> base_model_name_or_path;
  bool inference_mode = true;
  std::optional<std::string> revision;
  nlohmann::json other = nlohmann::json::object();  // peft_version, modules_to_save, encoder_*, ...
};

struct PeftAdapter {
  PeftConfig config;
  at::Tensor prompt_embeddings;  // see the shapes above
  // What PEFT has no key for (labels, verbalizer, template, metrics, method options) of an exported
  // softprompt artifact, kept in the safetensors metadata under "softprompt.manifest" (PEFT ignores it); null
  // if none.
  nlohmann::json softprompt_manifest;
};

nlohmann::json peft_config_to_json(const PeftConfig& config);
// Throws InputError naming `label` and the key: unsupported peft_type (naming the supported ones), a missing
// or mistyped key, num_transformer_submodules != 1.
PeftConfig peft_config_from_json(const nlohmann::json& json, const std::string& label);

// The shape `prompt_embeddings` must have for `config`.
std::vector<int64_t> peft_tensor_shape(const PeftConfig& config);

// Writes `dir`/adapter_config.json + adapter_model.safetensors atomically (InputError when the tensor does
// not have peft_tensor_shape(config)).
void save_peft(const std::string& dir, const PeftAdapter& adapter);
// Reads and validates a PEFT adapter directory (IoError: missing files; InputError: bad config, missing or
// unexpected tensors, wrong shape or dtype). The tensor is an owned CPU copy in its stored dtype.
PeftAdapter load_peft(const std::string& dir);

// PREFIX_TUNING layout: [P, L*2*D] <-> L (key [P,D], value [P,D]) pairs.
std::vector<std::pair<at::Tensor, at::Tensor>> split_prefix(const at::Tensor& prompt_embeddings,
                                                            int64_t num_layers);
at::Tensor join_prefix(const std::vector<std::pair<at::Tensor, at::Tensor>>& key_values);

}  // namespace softprompt::core

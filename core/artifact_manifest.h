#pragma once
// The manifest of a prompt artifact: `<name>.json` beside `<name>.safetensors` (DESIGN.md, "Artifacts").
// It says what the tensors are (method and options, slots), what they were trained on (backbone id, weights
// hash, sizes, tokenizer, template, labels/verbalizer), how well they did (metrics) and every tensor's dtype
// and shape, so a loader can refuse a file that does not match before touching a model.
//
// JSON layout (format_version 1):
//   {"format": "softprompt.prompt", "format_version": 1, "softprompt_version": "0.1.0",
//    "created_at": "2024-05-01T12:00:00Z", "save_id": "9f0c...",  // pairs the two files of one save
//    "method": "prompt_tuning", "method_options": {...}, "slots": ["text"],
//    "backbone": {"id": "gpt2", "weights_hash": "0123456789abcdef", "hidden_size": 768, "num_layers": 12,
//                 "num_attention_heads": 12},
//    "tokenizer": "gpt2", "template": "{soft:20} {text} It was {mask}.", "labels": ["neg", "pos"],
//    "verbalizer": {"neg": [" bad"], "pos": [" great"]}, "metrics": {"accuracy": 0.91},
//    "tensors": {"text.prompt_embeddings": {"dtype": "F32", "shape": [20, 768]}},
//    "tensors_file": "sst2.safetensors", "config_file": "sst2.config.yaml", "extra": {...}}
// Tensor names are the prompt module's state-dict names (e.g. PromptSet: "text.prompt_embeddings",
// "text_kv_3.key.prompt_embeddings").
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace softprompt::core {

inline constexpr const char* kArtifactFormat = "softprompt.prompt";
inline constexpr int64_t kArtifactFormatVersion = 1;
inline constexpr const char* kSoftpromptVersion = "0.1.0";

// The frozen backbone a prompt belongs to. Sizes are 0 when unknown.
struct BackboneInfo {
  std::string id;            // e.g. "gpt2" or a local directory's name
  std::string weights_hash;  // models::weights::file_fingerprint of the weights file; "" = unknown
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_attention_heads = 0;
};

struct TensorSpec {
  std::string dtype;  // safetensors dtype name, e.g. "F32"
  std::vector<int64_t> shape;
  bool operator==(const TensorSpec& o) const { return dtype == o.dtype && shape == o.shape; }
};

struct Manifest {
  int64_t format_version = kArtifactFormatVersion;
  std::string method;  // "prompt_tuning", "prefix_tuning", "p_tuning", ...
  nlohmann::json method_options = nlohmann::json::object();
  std::vector<std::string> slots;  // slot names (core/slots.h)
  BackboneInfo backbone;
  std::string tokenizer;        // tokenizer id or path
  std::string prompt_template;  // JSON key "template"
  std::vector<std::string> labels;
  nlohmann::json verbalizer = nlohmann::json::object();  // label -> words
  nlohmann::json metrics = nlohmann::json::object();     // name -> number
  std::map<std::string, TensorSpec> tensors;             // filled by save_artifact from the tensors
  std::string created_at;                                // ISO 8601 UTC; filled by save_artifact when empty
  std::string softprompt_version = kSoftpromptVersion;
  std::string save_id;                              // filled by save_artifact
  std::string tensors_file;                         // file names beside the manifest, set by save_artifact
  std::string config_file;                          // "" when no resolved config was saved
  nlohmann::json extra = nlohmann::json::object();  // anything else a recipe records, kept verbatim
};

nlohmann::json manifest_to_json(const Manifest& manifest);
// Validates types and required keys; throws InputError naming `label` (the file) and the key. A
// format_version other than kArtifactFormatVersion is an error that names both versions.
Manifest manifest_from_json(const nlohmann::json& json, const std::string& label);
// Parses JSON text (InputError naming `label` and the parser's position when malformed).
Manifest manifest_from_text(const std::string& text, const std::string& label);

// A human-readable table of the manifest (`softprompt inspect`).
std::string describe_manifest(const Manifest& manifest);

}  // namespace softprompt::core

#include "core/peft.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"

namespace softprompt::core {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kManifestKey = "softprompt.manifest";
const std::vector<std::pair<std::string, PeftType>> kTypes = {{"PROMPT_TUNING", PeftType::kPromptTuning},
                                                              {"P_TUNING", PeftType::kPTuning},
                                                              {"PREFIX_TUNING", PeftType::kPrefixTuning}};
const std::vector<std::string> kKnownKeys = {"peft_type",
                                             "task_type",
                                             "num_virtual_tokens",
                                             "token_dim",
                                             "num_layers",
                                             "num_attention_heads",
                                             "num_transformer_submodules",
                                             "prompt_tuning_init",
                                             "prompt_tuning_init_text",
                                             "tokenizer_name_or_path",
                                             "base_model_name_or_path",
                                             "inference_mode",
                                             "revision"};

// Typed reads of adapter_config.json keys; errors name the file and the key.
struct Reader {
  const json& j;
  const std::string& label;
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(label + ": '" + key + "' " + why);
  }
  int64_t positive(const std::string& key) const {
    if (!j.contains(key) || j.at(key).is_null()) fail(key, "is missing");
    const auto& v = j.at(key);
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
      fail(key, "must be a positive integer, got " + v.dump());
    return v.get<int64_t>();
  }
  std::optional<int64_t> optional_positive(const std::string& key) const {
    if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
    return positive(key);
  }
  std::optional<std::string> optional_string(const std::string& key) const {
    if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
    if (!j.at(key).is_string()) fail(key, "must be a string or null, got " + j.at(key).dump());
    return j.at(key).get<std::string>();
  }
};

json or_null(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json or_null(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

std::string shape_text(const std::vector<int64_t>& shape) { return c10::str(c10::IntArrayRef(shape)); }

}  // namespace

std::string peft_type_name(PeftType type) {
  for (const auto& [name, t] : kTypes)
    if (t == type) return name;
  return "?";
}

json peft_config_to_json(const PeftConfig& c) {
  json j = c.other;
  j["peft_type"] = peft_type_name(c.peft_type);
  j["task_type"] = or_null(c.task_type);
  j["num_virtual_tokens"] = c.num_virtual_tokens;
  j["token_dim"] = c.token_dim;
  j["num_transformer_submodules"] = c.num_transformer_submodules;
  j["num_attention_heads"] = or_null(c.num_attention_heads);
  j["num_layers"] = or_null(c.num_layers);
  if (c.peft_type == PeftType::kPromptTuning) {
    j["prompt_tuning_init"] = c.prompt_tuning_init;
    j["prompt_tuning_init_text"] = or_null(c.prompt_tuning_init_text);
  }
  // A PromptTuningConfig key; the other configs have it only when the file we read did.
  if (c.peft_type == PeftType::kPromptTuning || c.tokenizer_name_or_path)
    j["tokenizer_name_or_path"] = or_null(c.tokenizer_name_or_path);
  j["base_model_name_or_path"] = or_null(c.base_model_name_or_path);
  j["inference_mode"] = c.inference_mode;
  j["revision"] = or_null(c.revision);
  return j;
}

PeftConfig peft_config_from_json(const json& j, const std::string& label) {
  if (!j.is_object()) throw InputError(label + ": a PEFT adapter config must be a JSON object");
  const Reader r{j, label};
  if (!j.contains("peft_type")) r.fail("peft_type", "is missing");
  const std::string type =
      j.at("peft_type").is_string() ? j.at("peft_type").get<std::string>() : j.at("peft_type").dump();
  PeftConfig c;
  bool known = false;
  for (const auto& [name, t] : kTypes)
    if (name == type) c.peft_type = t, known = true;
  if (!known)
    r.fail("peft_type",
           "is '" + type + "'; softprompt imports PROMPT_TUNING, P_TUNING and PREFIX_TUNING adapters");
  c.task_type = r.optional_string("task_type");
  c.num_virtual_tokens = r.positive("num_virtual_tokens");
  c.token_dim = r.positive("token_dim");
  c.num_transformer_submodules = r.optional_positive("num_transformer_submodules").value_or(1);
  if (c.num_transformer_submodules != 1)
    r.fail("num_transformer_submodules", "is " + std::to_string(c.num_transformer_submodules) +
                                             " (an encoder-decoder adapter); softprompt backbones take 1");
  c.num_attention_heads = r.optional_positive("num_attention_heads");
  c.num_layers =
      c.peft_type == PeftType::kPrefixTuning ? r.positive("num_layers") : r.optional_positive("num_layers");
  c.prompt_tuning_init = r.optional_string("prompt_tuning_init").value_or("RANDOM");
  c.prompt_tuning_init_text = r.optional_string("prompt_tuning_init_text");
  c.tokenizer_name_or_path = r.optional_string("tokenizer_name_or_path");
  c.base_model_name_or_path = r.optional_string("base_model_name_or_path");
  c.revision = r.optional_string("revision");
  if (j.contains("inference_mode")) {
    if (!j.at("inference_mode").is_boolean()) r.fail("inference_mode", "must be true or false");
    c.inference_mode = j.at("inference_mode").get<bool>();
  }
  for (const auto& [key, value] : j.items())
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end()) c.other[key] = value;
  return c;
}

std::vector<int64_t> peft_tensor_shape(const PeftConfig& c) {
  const int64_t rows = c.num_virtual_tokens * c.num_transformer_submodules;
  if (c.peft_type == PeftType::kPrefixTuning) return {rows, c.num_layers.value_or(0) * 2 * c.token_dim};
  return {rows, c.token_dim};
}

namespace {
void check_tensor(const PeftConfig& c, const at::Tensor& t, const std::string& label) {
  if (!t.defined()) throw InputError(label + ": '" + std::string(kPeftTensorKey) + "' is missing");
  if (!t.is_floating_point())
    throw InputError(label + ": '" + std::string(kPeftTensorKey) + "' must be a float tensor, got " +
                     std::string(c10::toString(t.scalar_type())));
  const auto expected = peft_tensor_shape(c);
  if (t.sizes().vec() != expected)
    throw InputError(
        label + ": '" + std::string(kPeftTensorKey) + "' has shape " + shape_text(t.sizes().vec()) +
        " but the config (" + peft_type_name(c.peft_type) + ", num_virtual_tokens " +
        std::to_string(c.num_virtual_tokens) + ", token_dim " + std::to_string(c.token_dim) +
        (c.peft_type == PeftType::kPrefixTuning ? ", num_layers " + std::to_string(c.num_layers.value_or(0))
                                                : std::string()) +
        ") needs " + shape_text(expected));
}
}  // namespace

void save_peft(const std::string& dir, const PeftAdapter& a) {
  check_tensor(a.config, a.prompt_embeddings, dir);
  io::Metadata metadata = {{"format", "pt"}};  // what PEFT's save_pretrained writes
  if (!a.softprompt_manifest.is_null()) metadata[kManifestKey] = a.softprompt_manifest.dump();
  const std::string weights = io::serialize_safetensors({{kPeftTensorKey, a.prompt_embeddings}}, metadata);
  io::write_files_atomically(
      {{(fs::path(dir) / kPeftWeightsFile).string(), weights},
       {(fs::path(dir) / kPeftConfigFile).string(), peft_config_to_json(a.config).dump(2) + "\n"}});
}

PeftAdapter load_peft(const std::string& dir) {
  const auto config_path = (fs::path(dir) / kPeftConfigFile).string();
  const auto weights_path = (fs::path(dir) / kPeftWeightsFile).string();
  if (!fs::is_directory(dir)) throw IoError("PEFT adapter directory '" + dir + "' does not exist");
  if (!fs::exists(config_path))
    throw IoError("'" + config_path + "' does not exist (not a PEFT adapter directory)");
  if (!fs::exists(weights_path)) {
    if (fs::exists(fs::path(dir) / "adapter_model.bin"))
      throw InputError("'" + dir +
                       "' holds adapter_model.bin (a pickle); save the adapter with "
                       "safe_serialization=True to get " +
                       std::string(kPeftWeightsFile));
    throw IoError("'" + weights_path + "' does not exist");
  }
  json j;
  try {
    j = json::parse(io::read_file(config_path));
  } catch (const json::parse_error& e) {
    throw InputError(config_path + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  PeftAdapter a;
  a.config = peft_config_from_json(j, config_path);
  const io::SafetensorsFile file(weights_path);
  for (const auto& info : file.infos())
    if (info.name != kPeftTensorKey)
      throw InputError(weights_path + ": unexpected tensor '" + info.name +
                       "' (a prompt-learning adapter holds only '" + kPeftTensorKey + "')");
  if (!file.contains(kPeftTensorKey))
    throw InputError(weights_path + ": tensor '" + std::string(kPeftTensorKey) + "' is missing");
  a.prompt_embeddings = file.tensor(kPeftTensorKey).clone();
  const auto meta = file.metadata().find(kManifestKey);
  if (meta != file.metadata().end()) {
    a.softprompt_manifest = json::parse(meta->second, nullptr, /*allow_exceptions=*/false);
    if (!a.softprompt_manifest.is_object())
      throw InputError(weights_path + ": metadata '" + std::string(kManifestKey) + "' is not a JSON object");
  }
  check_tensor(a.config, a.prompt_embeddings, weights_path);
  return a;
}

std::vector<std::pair<at::Tensor, at::Tensor>> split_prefix(const at::Tensor& e, int64_t num_layers) {
  TORCH_CHECK(e.dim() == 2 && num_layers > 0 && e.size(1) % (2 * num_layers) == 0,
              "split_prefix: expected [P, L*2*D] with L = ", num_layers, ", got ", e.sizes());
  const int64_t dim = e.size(1) / (2 * num_layers);
  std::vector<std::pair<at::Tensor, at::Tensor>> out;
  for (int64_t l = 0; l < num_layers; ++l)
    out.emplace_back(e.narrow(1, 2 * l * dim, dim).contiguous(),
                     e.narrow(1, (2 * l + 1) * dim, dim).contiguous());
  return out;
}

at::Tensor join_prefix(const std::vector<std::pair<at::Tensor, at::Tensor>>& kv) {
  TORCH_CHECK(!kv.empty(), "join_prefix: no layers");
  std::vector<at::Tensor> parts;
  for (const auto& [k, v] : kv) {
    TORCH_CHECK(k.dim() == 2 && k.sizes() == v.sizes() && k.sizes() == kv[0].first.sizes(),
                "join_prefix: every key and value must be the same [P,D], got ", k.sizes(), " and ",
                v.sizes());
    parts.push_back(k);
    parts.push_back(v);
  }
  return at::cat(parts, 1);  // [P, L*2*D]
}

}  // namespace softprompt::core

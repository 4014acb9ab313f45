#include "core/peft_convert.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/slots.h"

namespace softprompt::core {
using json = nlohmann::json;

namespace {

constexpr const char* kPromptSuffix = ".prompt_embeddings";
// Manifest fields PEFT has no key for, carried in the adapter's safetensors metadata.
const std::vector<std::string> kCarried = {"method",  "method_options", "template", "labels", "verbalizer",
                                           "metrics", "tokenizer",      "backbone", "extra"};

struct SlotGroups {
  std::vector<std::string> input, layer;
  std::map<int64_t, std::string> kv;  // layer -> slot
};

SlotGroups group_slots(const Manifest& m, const std::string& label) {
  SlotGroups g;
  for (const auto& s : m.slots) {
    SlotName n;
    try {
      n = parse_slot(s);
    } catch (const std::invalid_argument& e) {
      throw InputError(label + ": " + e.what());
    }
    if (n.kind == SlotKind::kInput) g.input.push_back(s);
    if (n.kind == SlotKind::kLayer) g.layer.push_back(s);
    if (n.kind == SlotKind::kKeyValue) g.kv[n.layer] = s;
  }
  return g;
}

const at::Tensor& prompt_tensor(const io::TensorMap& tensors, const std::string& name,
                                const std::string& label) {
  const auto it = tensors.find(name);
  if (it == tensors.end())
    throw InputError(label + ": tensor '" + name + "' is missing (PEFT export needs the final [P,D] prompt)");
  const auto& t = it->second;
  if (t.dim() == 3)
    throw InputError(label + ": tensor '" + name + "' is a bank of " + std::to_string(t.size(0)) +
                     " prompts; a PEFT adapter holds one");
  if (t.dim() != 2)
    throw InputError(label + ": tensor '" + name + "' must be [P,D], got " + c10::str(t.sizes()));
  return t;
}

// The PEFT tensor of an artifact and its type; `used` collects the tensor names consumed.
std::pair<PeftType, at::Tensor> peft_tensor(const Manifest& m, const io::TensorMap& tensors,
                                            const std::string& label, std::set<std::string>& used) {
  const SlotGroups g = group_slots(m, label);
  if (!g.layer.empty())
    throw InputError(label + ": deep prompts at layer slots (" + g.layer.front() +
                     ", ...) have no PEFT equivalent");
  if (!g.input.empty() && !g.kv.empty())
    throw InputError(label + ": the artifact has input and key/value prompts; a PEFT adapter holds one kind");
  if (g.input.size() > 1)
    throw InputError(label + ": the artifact has prompts for " + std::to_string(g.input.size()) +
                     " input slots; a PEFT adapter holds one");
  if (g.input.size() == 1) {
    const std::string name = prompt_module_name(g.input[0]) + kPromptSuffix;
    used.insert(name);
    return {m.method == "p_tuning" ? PeftType::kPTuning : PeftType::kPromptTuning,
            prompt_tensor(tensors, name, label)};
  }
  if (g.kv.empty())
    throw InputError(label + ": the artifact has no input or key/value prompt slots to export");
  const int64_t layers = static_cast<int64_t>(g.kv.size());
  if (g.kv.begin()->first != 0 || g.kv.rbegin()->first != layers - 1 ||
      (m.backbone.num_layers > 0 && m.backbone.num_layers != layers))
    throw InputError(label +
                     ": PEFT prefix tuning needs key/value prompts at every layer; the artifact has " +
                     std::to_string(layers) + " of " +
                     (m.backbone.num_layers > 0 ? std::to_string(m.backbone.num_layers) : std::string("?")));
  std::vector<std::pair<at::Tensor, at::Tensor>> kv;
  for (const auto& [layer, slot] : g.kv) {
    const std::string module = prompt_module_name(slot);
    const std::string k = module + ".key" + kPromptSuffix, v = module + ".value" + kPromptSuffix;
    used.insert(k);
    used.insert(v);
    kv.emplace_back(prompt_tensor(tensors, k, label), prompt_tensor(tensors, v, label));
    if (kv.back().first.sizes() != kv.front().first.sizes() ||
        kv.back().second.sizes() != kv.front().first.sizes())
      throw InputError(label + ": key/value prompts of slot '" + slot + "' differ in shape from layer 0's");
  }
  return {PeftType::kPrefixTuning, join_prefix(kv)};
}

PeftConfig default_config(const Manifest& m, PeftType type, int64_t dim) {
  PeftConfig c;
  c.peft_type = type;
  if (m.backbone.num_attention_heads > 0) c.num_attention_heads = m.backbone.num_attention_heads;
  if (m.backbone.num_layers > 0) c.num_layers = m.backbone.num_layers;
  if (!m.tokenizer.empty()) c.tokenizer_name_or_path = m.tokenizer;
  if (!m.backbone.id.empty()) c.base_model_name_or_path = m.backbone.id;
  const std::string init = m.method_options.value("init", "");
  if (init == "text" && m.method_options.contains("init_text")) {
    c.prompt_tuning_init = "TEXT";
    c.prompt_tuning_init_text = m.method_options.value("init_text", "");
  } else if (init == "vocab") {
    c.prompt_tuning_init = "SAMPLE_VOCAB";
  }
  // PEFT's own defaults for the reparameterization fields; unused in inference mode.
  if (type == PeftType::kPTuning)
    c.other = {{"encoder_reparameterization_type", "MLP"},
               {"encoder_hidden_size", dim},
               {"encoder_num_layers", 2},
               {"encoder_dropout", 0.0}};
  if (type == PeftType::kPrefixTuning) c.other = {{"encoder_hidden_size", dim}, {"prefix_projection", false}};
  return c;
}

}  // namespace

std::string prompt_module_name(const std::string& slot) {
  std::string name = slot;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

PeftAdapter artifact_to_peft(const Manifest& m, const io::TensorMap& tensors, const std::string& label,
                             const PeftExportOptions& options) {
  std::set<std::string> used;
  auto [type, tensor] = peft_tensor(m, tensors, label, used);
  std::string others;
  for (const auto& [name, _] : tensors)
    if (!used.count(name)) others += (others.empty() ? "" : ", ") + name;
  if (!others.empty() && !options.drop_other_tensors)
    throw InputError(label + ": PEFT cannot carry tensors " + others +
                     " (pass drop_other_tensors to export anyway)");
  // Prefix tuning: [P, L*2*D] with L = the key/value slots (checked complete by peft_tensor).
  const int64_t layers =
      type == PeftType::kPrefixTuning ? static_cast<int64_t>(group_slots(m, label).kv.size()) : 0;
  const int64_t token_dim = layers > 0 ? tensor.size(1) / (2 * layers) : tensor.size(1);
  PeftAdapter a;
  const json stored = m.method_options.value("peft_config", json());
  a.config = stored.is_object() ? peft_config_from_json(stored, label + " (method_options.peft_config)")
                                : default_config(m, type, token_dim);
  a.config.peft_type = type;
  a.config.num_virtual_tokens = tensor.size(0);
  a.config.token_dim = token_dim;
  if (layers > 0) a.config.num_layers = layers;
  if (!options.task_type.empty()) a.config.task_type = options.task_type;
  a.prompt_embeddings = tensor.contiguous();
  const json full = manifest_to_json(m);
  a.softprompt_manifest = json::object();
  for (const auto& key : kCarried) a.softprompt_manifest[key] = full.at(key);
  return a;
}

ImportedPrompt peft_to_artifact(const PeftAdapter& a, const std::string& modality) {
  const PeftConfig& c = a.config;
  ImportedPrompt out;
  Manifest& m = out.manifest;
  m.method = c.peft_type == PeftType::kPromptTuning ? "prompt_tuning"
             : c.peft_type == PeftType::kPTuning    ? "p_tuning"
                                                    : "prefix_tuning";
  m.method_options = {{"num_tokens", c.num_virtual_tokens}, {"peft_config", peft_config_to_json(c)}};
  if (c.peft_type == PeftType::kPromptTuning && c.prompt_tuning_init == "TEXT" && c.prompt_tuning_init_text) {
    m.method_options["init"] = "text";
    m.method_options["init_text"] = *c.prompt_tuning_init_text;
  }
  m.backbone.id = c.base_model_name_or_path.value_or("");
  m.backbone.hidden_size = c.token_dim;
  m.backbone.num_layers = c.num_layers.value_or(0);
  m.backbone.num_attention_heads = c.num_attention_heads.value_or(0);
  m.tokenizer = c.tokenizer_name_or_path.value_or(m.backbone.id);
  if (c.peft_type == PeftType::kPrefixTuning) {
    const auto kv = split_prefix(a.prompt_embeddings, *c.num_layers);
    for (size_t l = 0; l < kv.size(); ++l) {
      const std::string slot = kv_slot(modality, static_cast<int64_t>(l)), module = prompt_module_name(slot);
      m.slots.push_back(slot);
      out.tensors[module + ".key" + kPromptSuffix] = kv[l].first;
      out.tensors[module + ".value" + kPromptSuffix] = kv[l].second;
    }
  } else {
    m.slots.push_back(input_slot(modality));
    out.tensors[prompt_module_name(input_slot(modality)) + kPromptSuffix] = a.prompt_embeddings;
  }
  m.extra = {{"imported_from", "peft"}};
  for (const auto& [name, t] : out.tensors)
    m.tensors[name] = {io::safetensors_dtype(t.scalar_type()), t.sizes().vec()};
  if (a.softprompt_manifest.is_object()) {
    // A softprompt export: restore what PEFT had no key for (the tensors and slots above are the PEFT truth),
    // keeping the adapter config so that exporting again writes the same adapter_config.json.
    json full = manifest_to_json(m);
    for (const auto& key : kCarried)
      if (a.softprompt_manifest.contains(key)) full[key] = a.softprompt_manifest.at(key);
    if (!full["method_options"].is_object()) full["method_options"] = json::object();
    full["method_options"]["peft_config"] = peft_config_to_json(c);
    m = manifest_from_json(full, "adapter metadata softprompt.manifest");
  }
  return out;
}

void export_peft(const std::string& artifact_path, const std::string& out_dir,
                 const PeftExportOptions& options) {
  const Artifact a = load_artifact(artifact_path);
  save_peft(out_dir, artifact_to_peft(a.manifest, a.tensors, a.paths.manifest, options));
}

Manifest import_peft(const std::string& peft_dir, const std::string& artifact_path,
                     const std::string& modality) {
  const ImportedPrompt p = peft_to_artifact(load_peft(peft_dir), modality);
  return save_artifact(artifact_path, p.tensors, p.manifest);
}

}  // namespace softprompt::core

#include "models/hubert/loader.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "models/weights/hf_checkpoint.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::hubert {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// PyTorch >= 2.1 stores weight norm as a parametrization: original0 = g, original1 = v.
std::string weight_norm_names(std::string k) {
  static const std::string kG = "conv.parametrizations.weight.original0";
  static const std::string kV = "conv.parametrizations.weight.original1";
  for (const auto& [from, to] :
       {std::pair{kG, std::string("conv.weight_g")}, std::pair{kV, std::string("conv.weight_v")}}) {
    const size_t at = k.find(from);
    if (at != std::string::npos) k.replace(at, from.size(), to);
  }
  return k;
}

void check_dtype(at::ScalarType dtype) {
  if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kHalf && dtype != at::kDouble)
    throw InputError(std::string("hubert: unsupported weight dtype ") + c10::toString(dtype) +
                     " (expected float32, bfloat16, float16 or float64)");
}

Model finish(Model model, const core::io::TensorMap& tensors, const std::string& source,
             const std::vector<std::string>& files, const LoadOptions& options) {
  model->to(options.device, options.dtype);
  load_weights(*model, tensors, source);
  model->set_weight_files(files);
  if (options.freeze) weights::freeze(*model);
  return model;
}

}  // namespace

Layout detect_layout(const core::io::TensorMap& tensors) {
  for (const auto& [k, v] : tensors)
    if (starts_with(k, "encoder.transformer.")) return Layout::kTorchaudio;
  return Layout::kHuggingFace;
}

std::optional<std::string> map_hf_key(const std::string& key) {
  std::string k = key;
  if (starts_with(k, "hubert.")) {
    k = k.substr(7);
  } else if (starts_with(k, "lm_head.") || starts_with(k, "projector.") || starts_with(k, "classifier.") ||
             k == "layer_weights") {
    return std::nullopt;  // task heads of HubertForCTC / HubertForSequenceClassification
  }
  if (k == "masked_spec_embed") return std::nullopt;
  return weight_norm_names(k);
}

std::optional<std::string> map_torchaudio_key(const std::string& key) {
  if (starts_with(key, "aux.")) return std::nullopt;                          // torchaudio's CTC head
  if (starts_with(key, "encoder.feature_projection.")) return key.substr(8);  // -> feature_projection.*
  if (starts_with(key, "encoder.transformer.")) return weight_norm_names("encoder." + key.substr(20));
  return weight_norm_names(key);
}

void load_weights(ModelImpl& model, const core::io::TensorMap& tensors, const std::string& source) {
  const bool torchaudio = detect_layout(tensors) == Layout::kTorchaudio;
  weights::load_strict(model, weights::rename_keys(tensors, torchaudio ? map_torchaudio_key : map_hf_key),
                       source);
}

Model load_pretrained(const std::string& dir, const LoadOptions& options) {
  check_dtype(options.dtype);
  const weights::HfCheckpoint checkpoint = weights::read_hf_checkpoint(dir);
  Model model(from_hf_json(checkpoint.config, dir + "/config.json"));
  const std::string source = checkpoint.weight_files.size() == 1 ? checkpoint.weight_files[0] : dir;
  return finish(model, checkpoint.tensors, source, checkpoint.weight_files, options);
}

Model load_file(const std::string& path, const Config& config, const LoadOptions& options) {
  check_dtype(options.dtype);
  const core::io::TensorMap tensors = core::io::load_safetensors(path);
  return finish(Model(config), tensors, path, {path}, options);
}

}  // namespace softprompt::models::hubert

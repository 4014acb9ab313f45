#include "models/gpt2/loader.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "models/weights/hf_checkpoint.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::gpt2 {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::optional<std::string> map_hf_key(const std::string& key, const Config& config) {
  static const std::string kPrefix = "transformer.";
  std::string k = key.rfind(kPrefix, 0) == 0 ? key.substr(kPrefix.size()) : key;
  // Older checkpoints store the causal mask (attn.bias [1,1,n,n]) and masked_bias as buffers: constants.
  if (k.rfind("h.", 0) == 0 && (ends_with(k, ".attn.bias") || ends_with(k, ".attn.masked_bias")))
    return std::nullopt;
  // A tied head is wte itself; HF ignores a stored copy, and so do we.
  if (k == "lm_head.weight" && config.tie_word_embeddings) return std::nullopt;
  return k;
}

void load_hf_weights(ModelImpl& model, const core::io::TensorMap& tensors, const std::string& source) {
  const Config& config = model.config();
  weights::load_strict(
      model, weights::rename_keys(tensors, [&](const std::string& k) { return map_hf_key(k, config); }),
      source);
}

Model load_pretrained(const std::string& dir, const LoadOptions& options) {
  return load_pretrained(dir, from_hf_json(weights::read_hf_config(dir), dir + "/config.json"), options);
}

Model load_pretrained(const std::string& dir, const Config& config, const LoadOptions& options) {
  const auto dtype = options.dtype;
  if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kHalf && dtype != at::kDouble)
    throw InputError(std::string("gpt2: unsupported weight dtype ") + c10::toString(dtype) +
                     " (expected float32, bfloat16, float16 or float64)");
  if (dtype == at::kHalf && options.device.is_cpu())
    throw InputError(
        "gpt2: float16 weights need a CUDA device (LibTorch has no CPU float16 LayerNorm/matmul kernels); "
        "use bfloat16 or float32 on CPU");
  const weights::HfCheckpoint checkpoint = weights::read_hf_checkpoint(dir);
  Model model(config);
  model->to(options.device, dtype);
  const std::string source = checkpoint.weight_files.size() == 1 ? checkpoint.weight_files[0] : dir;
  load_hf_weights(*model, checkpoint.tensors, source);
  model->set_weight_files(checkpoint.weight_files);
  if (options.freeze) weights::freeze(*model);
  return model;
}

}  // namespace softprompt::models::gpt2

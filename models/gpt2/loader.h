#pragma once
// Loads GPT-2 from a Hugging Face directory (config.json + model.safetensors or shards) through the key table
// below, strictly: every missing, unexpected or wrongly shaped key is an InputError naming it.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

#include "core/io/safetensors.h"
#include "models/gpt2/config.h"
#include "models/gpt2/model.h"

namespace softprompt::models::gpt2 {

struct LoadOptions {
  // Weights are cast to this at load: kFloat, kBFloat16, kDouble, or kHalf (CUDA only: LibTorch has no CPU
  // float16 kernels for LayerNorm/matmul).
  at::ScalarType dtype = at::kFloat;
  c10::Device device = c10::kCPU;
  bool freeze = true;  // eval mode and requires_grad=false on every weight (the frozen-backbone contract)
};

// The key table. Upstream keys of GPT2LMHeadModel ("transformer.h.0.attn.c_attn.weight", "lm_head.weight")
// and of GPT2Model ("h.0.attn.c_attn.weight") -> module keys ("h.0.attn.c_attn.weight"); nullopt drops the
// key: the attn.bias / attn.masked_bias buffers (causal-mask constants) and, when the head is tied,
// lm_head.weight.
std::optional<std::string> map_hf_key(const std::string& key, const Config& config);

// Renames `tensors` (HF layout, either prefix) with map_hf_key and copies them into `model` (load_strict).
// `source` (a path) is named in errors.
void load_hf_weights(ModelImpl& model, const core::io::TensorMap& tensors, const std::string& source);

// config.json (model_type gpt2) + weights of `dir` -> a ready model on options.device in options.dtype.
Model load_pretrained(const std::string& dir, const LoadOptions& options = {});
// The same with the config already read (a family built on GPT-2, e.g. the unit LM, reads its own fields).
Model load_pretrained(const std::string& dir, const Config& config, const LoadOptions& options = {});

}  // namespace softprompt::models::gpt2

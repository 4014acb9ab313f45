#pragma once
// Strict state-dict loading: every missing, unexpected or wrongly shaped key is an error that names the key,
// the expected and the found shape. Families first map upstream key names (and layouts) to their module names
// with a key table, then call load_strict.
#include <torch/nn/module.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace softprompt::models::weights {

using core::io::TensorMap;

// Copies `tensors` into the module's parameters and persistent buffers (converting dtype, e.g. F16 -> F32,
// and device). Throws InputError listing every problem (missing, unexpected, shape mismatch) when the names
// or shapes disagree; `source` (a path) is named in the message. Nothing is copied unless all keys match.
void load_strict(torch::nn::Module& module, const TensorMap& tensors, const std::string& source);

// A key table: maps one upstream key to the module's key, or nullopt to drop it (e.g. `attn.bias` buffers).
using KeyMap = std::function<std::optional<std::string>(const std::string& upstream_key)>;
TensorMap rename_keys(const TensorMap& tensors, const KeyMap& map);

// The module's parameters and persistent buffers by name (what load_strict expects).
TensorMap state_dict(torch::nn::Module& module);

// Freezes a backbone: eval mode, requires_grad=false on every parameter.
void freeze(torch::nn::Module& module);

// 64-bit FNV-1a of a file's bytes as 16 hex digits (the backbone's weights hash in artifacts).
std::string file_fingerprint(const std::string& path);

}  // namespace softprompt::models::weights

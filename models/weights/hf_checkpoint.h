#pragma once
// Reader of a Hugging Face model directory: config.json plus the weights as one model.safetensors or as
// shards listed in model.safetensors.index.json ({"weight_map": {key: shard file}}). Tensors are
// memory-mapped (zero copy); families rename and load them with their key table and load_strict.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace softprompt::models::weights {

struct HfCheckpoint {
  std::string dir;
  nlohmann::json config;                  // config.json
  std::vector<std::string> weight_files;  // the safetensors file(s) read, in shard order
  core::io::TensorMap tensors;            // every tensor of every shard, in the stored dtypes
};

// config.json of `dir`. Throws IoError when missing or unreadable, InputError when not a JSON object.
nlohmann::json read_hf_config(const std::string& dir);

// The tensors of `dir`: model.safetensors, else the shards of model.safetensors.index.json. Strict: an index
// naming a missing file or a key absent from its shard, a shard holding a key the index does not list, a key
// in two shards, or a shard path leaving the directory is an InputError naming it. A directory with only
// PyTorch pickles (pytorch_model.bin) is an IoError that says safetensors are required.
core::io::TensorMap read_hf_weights(const std::string& dir, std::vector<std::string>* files = nullptr);

// Both of the above.
HfCheckpoint read_hf_checkpoint(const std::string& dir);

// One fingerprint (16 hex digits) over one or more weight files: file_fingerprint of a single file, else a
// hash over the files' fingerprints in order.
std::string checkpoint_fingerprint(const std::vector<std::string>& files);

}  // namespace softprompt::models::weights

#include "models/weights/hf_checkpoint.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::weights {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& path) {
  if (!fs::exists(path)) throw IoError("'" + path.string() + "' does not exist");
  try {
    return nlohmann::json::parse(core::io::read_file(path.string()));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + path.string() + "' is not valid JSON: " + e.what());
  }
}

// A shard named by the index must be a plain file name inside the directory.
fs::path shard_path(const fs::path& dir, const std::string& name, const fs::path& index) {
  const fs::path rel(name);
  if (name.empty() || rel.is_absolute() || rel.has_parent_path() || name == "." || name == "..")
    throw InputError("'" + index.string() + "' names shard '" + name +
                     "', which is not a file in the directory");
  return dir / rel;
}

core::io::TensorMap read_sharded(const fs::path& dir, const fs::path& index,
                                 std::vector<std::string>* files) {
  const nlohmann::json json = read_json(index);
  if (!json.is_object() || !json.contains("weight_map") || !json["weight_map"].is_object())
    throw InputError("'" + index.string() + "' has no \"weight_map\" object");
  std::map<std::string, std::set<std::string>> keys_by_shard;
  for (const auto& [key, shard] : json["weight_map"].items()) {
    if (!shard.is_string())
      throw InputError("'" + index.string() + "': weight_map['" + key + "'] is not a string");
    keys_by_shard[shard.get<std::string>()].insert(key);
  }
  core::io::TensorMap out;
  for (const auto& [shard, keys] : keys_by_shard) {
    const fs::path path = shard_path(dir, shard, index);
    core::io::TensorMap tensors = core::io::load_safetensors(path.string());
    for (const auto& key : keys)
      if (!tensors.count(key))
        throw InputError("'" + index.string() + "' puts key '" + key + "' in '" + shard +
                         "', which lacks it");
    for (auto& [key, tensor] : tensors) {
      if (!keys.count(key))
        throw InputError("shard '" + path.string() + "' holds key '" + key +
                         "', which the index does not list");
      out.emplace(key, std::move(tensor));
    }
    if (files) files->push_back(path.string());
  }
  return out;
}

}  // namespace

nlohmann::json read_hf_config(const std::string& dir) {
  const fs::path path = fs::path(dir) / "config.json";
  nlohmann::json json = read_json(path);
  if (!json.is_object()) throw InputError("'" + path.string() + "' is not a JSON object");
  return json;
}

core::io::TensorMap read_hf_weights(const std::string& dir, std::vector<std::string>* files) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw IoError("'" + dir + "' is not a directory");
  const fs::path single = root / "model.safetensors";
  if (fs::exists(single)) {
    if (files) files->push_back(single.string());
    return core::io::load_safetensors(single.string());
  }
  const fs::path index = root / "model.safetensors.index.json";
  if (fs::exists(index)) return read_sharded(root, index, files);
  if (fs::exists(root / "pytorch_model.bin") || fs::exists(root / "pytorch_model.bin.index.json"))
    throw IoError("'" + dir +
                  "' holds only PyTorch pickles (pytorch_model.bin); convert them to model.safetensors");
  throw IoError("'" + dir + "' has neither model.safetensors nor model.safetensors.index.json");
}

HfCheckpoint read_hf_checkpoint(const std::string& dir) {
  HfCheckpoint c;
  c.dir = dir;
  c.config = read_hf_config(dir);
  c.tensors = read_hf_weights(dir, &c.weight_files);
  return c;
}

std::string checkpoint_fingerprint(const std::vector<std::string>& files) {
  if (files.size() == 1) return file_fingerprint(files[0]);
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the concatenated per-file fingerprints
  for (const auto& f : files)
    for (char c : file_fingerprint(f)) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace softprompt::models::weights

#include "core/feature_cache.h"

#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "core/errors.h"
#include "core/io/safetensors.h"

namespace softprompt::core {
namespace {
constexpr const char* kHashKey = "softprompt.feature_cache.backbone_hash";
}

FeatureCache::FeatureCache(std::string backbone_hash, std::string path,
                           std::function<void(const std::string&)> warn)
    : backbone_hash_(std::move(backbone_hash)), path_(std::move(path)), warn_(std::move(warn)) {
  if (!warn_) warn_ = [](const std::string& m) { std::cerr << "warning: " << m << "\n"; };
  if (path_.empty() || !std::filesystem::exists(path_)) return;
  // A cache is disposable: a file that cannot be used is rebuilt, never an error.
  try {
    io::Metadata meta;
    io::TensorMap tensors = io::load_safetensors(path_, &meta);
    const auto it = meta.find(kHashKey);
    const std::string found = it == meta.end() ? "" : it->second;
    if (found != backbone_hash_) {
      warn_("feature cache " + path_ + " was written for backbone weights '" + found + "', not '" +
            backbone_hash_ + "'; rebuilding it");
      return;
    }
    for (auto& [key, t] : tensors) rows_.emplace(key, std::move(t));
  } catch (const std::exception& e) {
    warn_("feature cache " + path_ + " is unreadable (" + e.what() + "); rebuilding it");
  }
}

at::Tensor FeatureCache::get(const std::vector<std::string>& keys, const Compute& compute) {
  std::vector<int64_t> miss_rows;
  std::unordered_map<std::string, int64_t> pending;  // a key repeated within the batch is computed once
  for (size_t b = 0; b < keys.size(); ++b)
    if (!rows_.count(keys[b]) && pending.emplace(keys[b], static_cast<int64_t>(b)).second)
      miss_rows.push_back(static_cast<int64_t>(b));
  if (!miss_rows.empty()) {
    const at::Tensor computed = compute(miss_rows).detach();
    TORCH_CHECK(computed.dim() >= 1 && computed.size(0) == static_cast<int64_t>(miss_rows.size()),
                "FeatureCache: compute returned ", computed.sizes(), " for ", miss_rows.size(), " inputs");
    for (size_t m = 0; m < miss_rows.size(); ++m) rows_[keys[miss_rows[m]]] = computed[m];
  }
  misses_ += static_cast<int64_t>(miss_rows.size());
  hits_ += static_cast<int64_t>(keys.size() - miss_rows.size());
  std::vector<at::Tensor> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(rows_.at(k));
  TORCH_CHECK(!out.empty(), "FeatureCache::get: no keys");
  return at::stack(out);  // [B,...]
}

void FeatureCache::save() const {
  if (path_.empty()) return;
  io::TensorMap tensors;
  for (const auto& [key, t] : rows_) tensors[key] = t.to(at::kCPU).contiguous();
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  io::save_safetensors(path_, tensors, {{kHashKey, backbone_hash_}});
}

void FeatureCache::clear() {
  rows_.clear();
  hits_ = misses_ = 0;
}

}  // namespace softprompt::core

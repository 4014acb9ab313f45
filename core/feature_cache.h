#pragma once
// Frozen work done once (DESIGN.md, "Performance principles"): features of a frozen encoder, computed the
// first time an input is seen and reused after, e.g. CLIP image features while only text prompts train.
// A key must identify the exact input (an image id; an augmented crop of it is a different input).
//
// Exactness: a hit returns the stored rows bit for bit, and misses are computed as one batch by the caller's
// function, so a batch seen first in the same composition gives exactly the uncached result.
// Persistence (optional): one safetensors file, a tensor per key, recording the backbone's weights hash;
// a file written for other weights (or unreadable) is ignored with a warning and rebuilt.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace softprompt::core {

class FeatureCache {
 public:
  // backbone_hash: the frozen encoder's weights hash (recorded in, and checked against, the file).
  // path: "" = memory only; else loaded now when it exists and matches, written by save().
  explicit FeatureCache(std::string backbone_hash = "", std::string path = "",
                        std::function<void(const std::string&)> warn = {});

  // keys [B]; compute(miss_rows) -> features [M,...] of keys[miss_rows[0..M)] (rows into `keys`).
  // -> [B,...] (detached, on the device and dtype compute returned). Repeated keys in one batch are
  // computed once.
  using Compute = std::function<at::Tensor(const std::vector<int64_t>& miss_rows)>;
  at::Tensor get(const std::vector<std::string>& keys, const Compute& compute);

  // Writes the file atomically (no-op without a path). Throws IoError when it cannot be written.
  void save() const;
  bool contains(const std::string& key) const { return rows_.count(key) > 0; }
  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }
  void clear();

 private:
  std::string backbone_hash_, path_;
  std::function<void(const std::string&)> warn_;
  std::unordered_map<std::string, at::Tensor> rows_;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace softprompt::core

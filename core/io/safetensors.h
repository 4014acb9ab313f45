#pragma once
// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors): an unsigned
// 64-bit little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__":
// {str: str}}, then the raw little-endian tensor bytes. No C++ package exists, so this is ours.
//
// Reading validates strictly (as the reference Rust implementation does): header length within the file and
// under 100 MB, well-formed JSON, known dtypes, non-negative shapes, offsets in range, sorted, contiguous and
// non-overlapping, byte size == numel * dtype size, no trailing bytes. Any violation throws InputError naming
// the file and the problem; a malformed file never causes an out-of-bounds read.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace softprompt::core::io {

using TensorMap = std::map<std::string, at::Tensor>;
using Metadata = std::map<std::string, std::string>;

// One tensor's header entry.
struct TensorInfo {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets relative to the start of the data section
  uint64_t end = 0;
};

// A safetensors file mapped into memory. Tensors returned by tensor() share the mapping (zero copy) and keep
// it alive; they are CPU tensors of the stored dtype.
class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws IoError (cannot open/map) or InputError (malformed).
  explicit SafetensorsFile(const std::string& path);
  // Validates an in-memory buffer (copied). `label` names it in errors.
  static SafetensorsFile from_bytes(std::string bytes, const std::string& label = "<buffer>");

  const std::vector<TensorInfo>& infos() const { return infos_; }
  const Metadata& metadata() const { return metadata_; }
  bool contains(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;  // throws InputError naming the key
  at::Tensor tensor(const std::string& name) const;       // throws InputError naming the key
  TensorMap tensors() const;                              // every tensor, zero copy
  const std::string& path() const { return path_; }

 private:
  SafetensorsFile() = default;
  void parse();
  std::string path_;
  std::shared_ptr<const void> storage_;  // the mapping or the owned buffer
  const uint8_t* data_ = nullptr;        // start of the file
  uint64_t size_ = 0;
  uint64_t data_start_ = 0;
  std::vector<TensorInfo> infos_;
  std::map<std::string, size_t> index_;
  Metadata metadata_;
};

// Loads every tensor (zero copy, stored dtypes). Throws as SafetensorsFile does.
TensorMap load_safetensors(const std::string& path, Metadata* metadata = nullptr);

// Serializes tensors (any device; copied to CPU, made contiguous) with optional string metadata.
// Tensors are laid out largest dtype first, then by name, so each is naturally aligned.
std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata = {});
// Writes atomically (temp file + fsync + rename).
void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata = {});

// dtype names <-> ATen scalar types; throw InputError for unknown ones.
at::ScalarType scalar_type_from_safetensors(const std::string& dtype);
std::string safetensors_dtype(at::ScalarType type);
size_t safetensors_dtype_size(const std::string& dtype);

}  // namespace softprompt::core::io

#include "core/io/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::core::io {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DtypeEntry {
  const char* name;
  at::ScalarType type;
  size_t size;
};
constexpr DtypeEntry kDtypes[] = {
    {"F64", at::kDouble, 8}, {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2},   {"BF16", at::kBFloat16, 2},
    {"I64", at::kLong, 8},   {"I32", at::kInt, 4},   {"I16", at::kShort, 2},  {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},    {"BOOL", at::kBool, 1},
};

const DtypeEntry* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

struct Mapping {
  void* addr = nullptr;
  size_t len = 0;
  ~Mapping() {
    if (addr && addr != MAP_FAILED) ::munmap(addr, len);
  }
};

}  // namespace

at::ScalarType scalar_type_from_safetensors(const std::string& dtype) {
  const auto* d = find_dtype(dtype);
  if (!d) throw InputError("unknown safetensors dtype '" + dtype + "'");
  return d->type;
}

size_t safetensors_dtype_size(const std::string& dtype) {
  const auto* d = find_dtype(dtype);
  if (!d) throw InputError("unknown safetensors dtype '" + dtype + "'");
  return d->size;
}

std::string safetensors_dtype(at::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw InputError(std::string("dtype ") + c10::toString(type) + " cannot be stored in safetensors");
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError("'" + path + "' is not a regular file");
  }
  auto map = std::make_shared<Mapping>();
  map->len = static_cast<size_t>(st.st_size);
  if (map->len > 0) {
    map->addr = ::mmap(nullptr, map->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map->addr == MAP_FAILED) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      throw IoError("cannot map '" + path + "': " + err);
    }
  }
  ::close(fd);
  data_ = static_cast<const uint8_t*>(map->addr);
  size_ = map->len;
  storage_ = map;
  parse();
}

SafetensorsFile SafetensorsFile::from_bytes(std::string bytes, const std::string& label) {
  SafetensorsFile f;
  f.path_ = label;
  auto owned = std::make_shared<std::string>(std::move(bytes));
  f.data_ = reinterpret_cast<const uint8_t*>(owned->data());
  f.size_ = owned->size();
  f.storage_ = owned;
  f.parse();
  return f;
}

void SafetensorsFile::parse() {
  auto fail = [&](const std::string& what) { return InputError("malformed safetensors file '" + path_ + "': " + what); };
  if (size_ < 8) throw fail("file is " + std::to_string(size_) + " bytes, shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data_[i];
  if (n > kMaxHeaderBytes) throw fail("header length " + std::to_string(n) + " exceeds the 100 MB limit");
  if (n > size_ - 8) throw fail("header length " + std::to_string(n) + " runs past the end of the file");
  data_start_ = 8 + n;
  const uint64_t data_size = size_ - data_start_;
  const char* hbeg = reinterpret_cast<const char*>(data_ + 8);
  nlohmann::json header = nlohmann::json::parse(hbeg, hbeg + n, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) throw fail("header is not valid JSON");
  if (!header.is_object()) throw fail("header is not a JSON object");
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const auto& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ value for '" + m.key() + "' is not a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw fail("entry '" + key + "' needs dtype, shape and data_offsets");
    TensorInfo info;
    info.name = key;
    if (!v["dtype"].is_string()) throw fail("entry '" + key + "': dtype is not a string");
    info.dtype = v["dtype"].get<std::string>();
    const auto* dt = find_dtype(info.dtype);
    if (!dt) throw fail("entry '" + key + "': unknown dtype '" + info.dtype + "'");
    if (!v["shape"].is_array()) throw fail("entry '" + key + "': shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw fail("entry '" + key + "': shape has a negative or non-integer dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (1ull << 48) || (dim && numel > std::numeric_limits<uint64_t>::max() / dim / 8))
        throw fail("entry '" + key + "': shape is too large");
      numel *= dim;
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw fail("entry '" + key + "': data_offsets must be two non-negative integers");
    info.begin = off[0].get<uint64_t>();
    info.end = off[1].get<uint64_t>();
    if (info.begin > info.end) throw fail("entry '" + key + "': data_offsets begin > end");
    if (info.end > data_size)
      throw fail("entry '" + key + "': data_offsets end " + std::to_string(info.end) +
                 " is past the data section (" + std::to_string(data_size) + " bytes)");
    if (info.end - info.begin != numel * dt->size)
      throw fail("entry '" + key + "': " + std::to_string(info.end - info.begin) + " bytes for " +
                 std::to_string(numel) + " elements of " + info.dtype + " (expected " +
                 std::to_string(numel * dt->size) + ")");
    infos_.push_back(std::move(info));
  }
  std::vector<size_t> order(infos_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return infos_[a].begin != infos_[b].begin ? infos_[a].begin < infos_[b].begin : infos_[a].end < infos_[b].end;
  });
  uint64_t expect = 0;
  for (size_t i : order) {
    const auto& t = infos_[i];
    if (t.begin < expect) throw fail("entry '" + t.name + "' overlaps the previous tensor");
    if (t.begin > expect) throw fail("gap in the data section before entry '" + t.name + "'");
    expect = t.end;
  }
  if (expect != data_size)
    throw fail(std::to_string(data_size - expect) + " trailing bytes after the last tensor");
  for (size_t i = 0; i < infos_.size(); ++i) index_[infos_[i].name] = i;
}

bool SafetensorsFile::contains(const std::string& name) const { return index_.count(name) > 0; }

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw InputError("tensor '" + name + "' not found in '" + path_ + "'");
  return infos_[it->second];
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const auto& ti = info(name);
  const auto type = scalar_type_from_safetensors(ti.dtype);
  void* ptr = const_cast<uint8_t*>(data_ + data_start_ + ti.begin);
  auto keep = storage_;
  const auto opts = at::TensorOptions().dtype(type).device(at::kCPU);
  const size_t elem = safetensors_dtype_size(ti.dtype);
  if (reinterpret_cast<uintptr_t>(ptr) % elem != 0) {
    // Misaligned data (legal in the format when a writer does not sort by dtype size): copy it.
    auto t = at::empty(ti.shape, opts);
    if (ti.end > ti.begin) std::memcpy(t.data_ptr(), ptr, ti.end - ti.begin);
    return t;
  }
  return at::from_blob(ptr, ti.shape, [keep](void*) mutable { keep.reset(); }, opts);
}

TensorMap SafetensorsFile::tensors() const {
  TensorMap out;
  for (const auto& ti : infos_) out[ti.name] = tensor(ti.name);
  return out;
}

TensorMap load_safetensors(const std::string& path, Metadata* metadata) {
  SafetensorsFile f(path);
  if (metadata) *metadata = f.metadata();
  return f.tensors();
}

std::string serialize_safetensors(const TensorMap& tensors, const Metadata& metadata) {
  struct Item {
    std::string name;
    at::Tensor t;
    size_t elem;
  };
  std::vector<Item> items;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") throw InputError("'__metadata__' cannot be a tensor name");
    if (!t.defined()) throw InputError("tensor '" + name + "' is undefined");
    auto c = t.detach().to(at::kCPU).contiguous();
    items.push_back({name, c, safetensors_dtype_size(safetensors_dtype(c.scalar_type()))});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.elem != b.elem ? a.elem > b.elem : a.name < b.name;
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = m;
  }
  uint64_t offset = 0;
  for (const auto& it : items) {
    const uint64_t bytes = it.t.numel() * it.elem;
    header[it.name] = {{"dtype", safetensors_dtype(it.t.scalar_type())},
                       {"shape", it.t.sizes().vec()},
                       {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  while (h.size() % 8) h.push_back(' ');
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += h;
  for (const auto& it : items)
    out.append(static_cast<const char*>(it.t.data_ptr()), it.t.numel() * it.elem);
  return out;
}

void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  write_file_atomically(path, serialize_safetensors(tensors, metadata));
}

}  // namespace softprompt::core::io

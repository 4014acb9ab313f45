#include "modalities/vision/idx_reader.h"

#include <torch/torch.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/errors.h"

namespace softprompt::modalities::vision {
namespace {

constexpr size_t kMaxBytes = size_t{1} << 34;  // 16 GiB: guards the size arithmetic of a corrupt header

// The whole (decompressed) file. gzread passes non-gzip files through unchanged.
std::vector<uint8_t> read_all(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw IoError("cannot open idx file '" + path + "'");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int n = gzread(f.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int err = 0;
      const char* msg = gzerror(f.get(), &err);
      throw InputError("cannot read idx file '" + path + "': corrupt gzip data (" + (msg ? msg : "?") + ")");
    }
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    if (out.size() > kMaxBytes) throw InputError("idx file '" + path + "' is larger than 16 GiB");
  }
  return out;
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

at::Tensor read_idx(const std::string& path) {
  const auto bytes = read_all(path);
  auto bad = [&](const std::string& what) { return InputError("bad idx file '" + path + "': " + what); };
  if (bytes.size() < 4) throw bad("shorter than the 4-byte magic");
  if (bytes[0] != 0 || bytes[1] != 0) throw bad("magic does not start with two zero bytes");
  at::ScalarType type;
  size_t elem = 0;
  switch (bytes[2]) {
    case 0x08: type = at::kByte, elem = 1; break;
    case 0x09: type = at::kChar, elem = 1; break;
    case 0x0B: type = at::kShort, elem = 2; break;
    case 0x0C: type = at::kInt, elem = 4; break;
    case 0x0D: type = at::kFloat, elem = 4; break;
    case 0x0E: type = at::kDouble, elem = 8; break;
    default: throw bad("unknown element type 0x" + c10::str(std::hex, int{bytes[2]}));
  }
  const int ndims = bytes[3];
  if (ndims < 1) throw bad("zero dimensions");
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (bytes.size() < header) throw bad("truncated header (" + std::to_string(ndims) + " dims)");
  std::vector<int64_t> shape;
  size_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const uint32_t d = be32(&bytes[4 + 4 * i]);
    shape.push_back(d);
    if (d && count > kMaxBytes / d) throw bad("dimensions overflow");
    count *= d;
  }
  if (count > kMaxBytes / elem) throw bad("dimensions overflow");
  const size_t body = bytes.size() - header;
  if (body != count * elem)
    throw bad("body has " + std::to_string(body) + " bytes, the header " + c10::str(shape) + " needs " +
              std::to_string(count * elem));
  auto out = torch::empty(shape, torch::TensorOptions().dtype(type));
  auto* dst = static_cast<uint8_t*>(out.data_ptr());
  const uint8_t* src = bytes.data() + header;
  for (size_t i = 0; i < count; ++i)  // big-endian -> host (little-endian) order
    for (size_t b = 0; b < elem; ++b) dst[i * elem + b] = src[i * elem + (elem - 1 - b)];
  return out;
}

IdxImages read_idx_dataset(const std::string& images_path, const std::string& labels_path) {
  IdxImages out;
  out.images = read_idx(images_path);
  auto labels = read_idx(labels_path);
  if (out.images.dim() != 3 || out.images.scalar_type() != at::kByte)
    throw InputError("idx images '" + images_path + "' must be [N,H,W] uint8, got " + c10::str(out.images.sizes()));
  if (labels.dim() != 1) throw InputError("idx labels '" + labels_path + "' must be [N], got " + c10::str(labels.sizes()));
  if (labels.size(0) != out.images.size(0))
    throw InputError("idx images '" + images_path + "' hold " + std::to_string(out.images.size(0)) +
                     " items but labels '" + labels_path + "' hold " + std::to_string(labels.size(0)));
  out.labels = labels.to(torch::kLong);
  return out;
}

}  // namespace softprompt::modalities::vision

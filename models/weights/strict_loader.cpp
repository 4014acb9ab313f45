#include "models/weights/strict_loader.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.h"

namespace softprompt::models::weights {
namespace {

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

}  // namespace

TensorMap state_dict(torch::nn::Module& module) {
  TensorMap out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}

void load_strict(torch::nn::Module& module, const TensorMap& tensors, const std::string& source) {
  TensorMap own = state_dict(module);
  std::vector<std::string> problems;
  for (const auto& [name, t] : own) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      problems.push_back("missing key '" + name + "' (expected shape " + shape_str(t.sizes()) + ")");
    } else if (it->second.sizes() != t.sizes()) {
      problems.push_back("key '" + name + "' has shape " + shape_str(it->second.sizes()) + ", expected " +
                         shape_str(t.sizes()));
    }
  }
  for (const auto& [name, t] : tensors)
    if (!own.count(name)) problems.push_back("unexpected key '" + name + "' (shape " + shape_str(t.sizes()) + ")");
  if (!problems.empty()) {
    std::ostringstream msg;
    msg << "cannot load '" << source << "': " << problems.size() << " problem(s): ";
    for (size_t i = 0; i < problems.size() && i < 8; ++i) msg << (i ? "; " : "") << problems[i];
    if (problems.size() > 8) msg << "; ...";
    throw InputError(msg.str());
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : own) t.copy_(tensors.at(name).to(t.device(), t.scalar_type()));
}

TensorMap rename_keys(const TensorMap& tensors, const KeyMap& map) {
  TensorMap out;
  for (const auto& [k, v] : tensors) {
    auto nk = map(k);
    if (!nk) continue;
    if (out.count(*nk)) throw InputError("two checkpoint keys map to '" + *nk + "' (one is '" + k + "')");
    out[*nk] = v;
  }
  return out;
}

void freeze(torch::nn::Module& module) {
  module.eval();
  for (auto& p : module.parameters(/*recurse=*/true)) p.set_requires_grad(false);
}

std::string file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open '" + path + "'");
  uint64_t h = 1469598103934665603ull;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ull;
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace softprompt::models::weights

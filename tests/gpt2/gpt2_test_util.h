#pragma once
// Shared helpers of the GPT-2 tests: fixture paths, a test-local prompt injector, masked comparisons, temp
// dirs.
#include <torch/torch.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "core/slots.h"
#include "models/gpt2/loader.h"

namespace gpt2_test {

inline std::string fixture(const std::string& rel) {
  return std::string(SOFTPROMPT_TEST_FIXTURES) + "/" + rel;
}
inline std::string model_dir() { return fixture("gpt2/model"); }
inline softprompt::core::io::TensorMap io(const std::string& name) {
  return softprompt::core::io::load_safetensors(fixture("gpt2/" + name));
}

// Prepends a fixed [P,D] or [B,P,D] tensor at the input slot (mask 1), as a prefix soft prompt would.
class PrependInjector final : public softprompt::core::PromptInjector {
 public:
  explicit PrependInjector(torch::Tensor prompt, std::string slot = "text")
      : prompt_(std::move(prompt)), slot_(std::move(slot)) {}
  softprompt::core::SlotInput at_slot(const std::string& slot, softprompt::core::SlotInput x) override {
    if (slot != slot_) return x;
    const int64_t b = x.embeds.size(0);
    torch::Tensor p = prompt_.dim() == 2 ? prompt_.unsqueeze(0).expand({b, -1, -1}) : prompt_;
    return {torch::cat({p.to(x.embeds.dtype()), x.embeds}, 1),
            torch::cat({torch::ones({b, p.size(1)}, x.mask.options()), x.mask}, 1)};
  }
  std::optional<softprompt::core::KV> kv_at(const std::string&, int64_t) override { return std::nullopt; }

 private:
  torch::Tensor prompt_;
  std::string slot_;
};

// Largest |a - b| over the positions where mask [B,T] is 1 (a, b: [B,T,...]).
inline double max_diff_where(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  EXPECT_EQ(a.sizes(), b.sizes());
  torch::Tensor d = (a.to(torch::kDouble) - b.to(torch::kDouble)).abs();
  while (d.dim() > 2) d = std::get<0>(d.max(-1));
  return d.masked_select(mask.to(torch::kBool)).max().item<double>();
}
inline double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("softprompt_gpt2_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path(const std::string& name = "") const {
    return name.empty() ? path_.string() : (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace gpt2_test

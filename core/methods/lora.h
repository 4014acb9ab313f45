#pragma once
// LoRA (Hu et al. 2022, "LoRA: Low-Rank Adaptation of Large Language Models"): each targeted frozen linear
// layer y = x W + b gets a trainable low-rank update y += (alpha / r) * dropout(x) A^T B^T, with A [r,in]
// Kaiming-uniform and B [out,r] zero, so the untrained update is exactly zero. For inference the update is
// merged into the frozen weight (merge) and taken out again (unmerge); outputs agree to float rounding.
// Parameters are named after the layer ("h_0_attn_c_attn.lora_A"), PEFT's A/B convention.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/layer_hooks.h"
#include "core/methods/method.h"

namespace softprompt::core::methods {

struct LoraOptions {
  int64_t rank = 8;                               // r
  double alpha = 16;                              // the update is scaled by alpha / r
  double dropout = 0;                             // on the update's input, training only
  std::vector<std::string> targets = {"c_attn"};  // layer names or suffixes (core::find_hookable)
  int64_t seed = 0;
  void validate() const;  // InputError naming the bad value
};

// The update of one layer; a LinearHook on it.
class LoraLayerImpl : public torch::nn::Module, public core::LinearHook {
 public:
  LoraLayerImpl(int64_t in, int64_t out, int64_t rank, double scale, double dropout, int64_t seed);
  // x [...,in], y [...,out] -> y + scale * drop(x) A^T B^T (y unchanged while merged)
  at::Tensor apply(const at::Tensor& x, const at::Tensor& y) override;
  at::Tensor delta() const;  // scale * A^T B^T: [in,out], the update of y = x W
  bool merged = false;

  at::Tensor lora_A;  // [r,in]
  at::Tensor lora_B;  // [out,r]

 private:
  double scale_, dropout_;
};
TORCH_MODULE(LoraLayer);

class LoraImpl : public MethodImpl {
 public:
  // Hooks every layer of ctx.backbone that options.targets names (InputError when one matches nothing).
  LoraImpl(LoraOptions options, const MethodContext& ctx);
  ~LoraImpl() override { detach(); }
  nlohmann::json options_json() const override;
  void detach() override;
  void load_tensors(const io::TensorMap& tensors) override;  // unmerges first
  // Adds every update into its frozen weight / subtracts it again. Idempotent.
  void merge();
  void unmerge();
  bool merged() const { return merged_; }
  const std::vector<std::string>& layer_names() const { return names_; }

 private:
  LoraOptions options_;
  std::vector<core::HookSite> sites_;
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<LoraLayerImpl>> layers_;
  bool merged_ = false;
};
TORCH_MODULE(Lora);

Method make_lora(const std::string& name, const nlohmann::json& options, const MethodContext& ctx);

}  // namespace softprompt::core::methods

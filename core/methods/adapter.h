#pragma once
// Bottleneck adapters: a small residual MLP h + up(act(down(h))) applied to a sub-layer's output before the
// block's own residual connection, with the up projection zero-initialized so the untrained adapter is the
// identity. Houlsby et al. 2019 ("Parameter-Efficient Transfer Learning for NLP") put two per block: after
// the attention's output projection and after the MLP; Pfeiffer et al. 2021 ("AdapterFusion") one, after the
// MLP. Simplification: the layer norms stay frozen (Houlsby also trains them), and the Pfeiffer adapter sits
// where Houlsby's second one does (no extra residual around the block's LayerNorm).
// The adapter is a hook on the sub-layer's output projection (core/layer_hooks.h): for GPT-2 "attn.c_proj"
// and "mlp.c_proj", the defaults; other backbones name theirs in `targets` (CLIP: "self_attn.out_proj",
// "mlp.fc2").
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/layer_hooks.h"
#include "core/methods/method.h"

namespace softprompt::core::methods {

enum class AdapterKind { kHoulsby, kPfeiffer };

struct AdapterOptions {
  AdapterKind kind = AdapterKind::kHoulsby;  // set from the method's name
  int64_t reduction_factor = 16;    // bottleneck width = out_features / reduction_factor (at least 1)
  std::string activation = "relu";  // relu | gelu | tanh
  // Output projections to follow; empty = the kind's GPT-2 defaults (Houlsby: attn.c_proj + mlp.c_proj,
  // Pfeiffer: mlp.c_proj).
  std::vector<std::string> targets;
  int64_t seed = 0;
  void validate() const;  // InputError naming the bad value
  std::vector<std::string> resolved_targets() const;
};

// One bottleneck: [...,D] -> [...,D/r] -> [...,D], added to its input.
class AdapterLayerImpl : public torch::nn::Module, public core::LinearHook {
 public:
  AdapterLayerImpl(int64_t dim, int64_t bottleneck, std::string activation, int64_t seed);
  // y [...,D] (the sub-layer's output; x unused) -> y + up(act(down(y)))
  at::Tensor apply(const at::Tensor& x, const at::Tensor& y) override;

  torch::nn::Linear down{nullptr}, up{nullptr};

 private:
  std::string activation_;
};
TORCH_MODULE(AdapterLayer);

class AdapterImpl : public MethodImpl {
 public:
  AdapterImpl(std::string name, AdapterOptions options, const MethodContext& ctx);
  ~AdapterImpl() override { detach(); }
  nlohmann::json options_json() const override;
  void detach() override;
  const std::vector<std::string>& layer_names() const { return names_; }

 private:
  AdapterOptions options_;
  std::vector<core::HookSite> sites_;
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<AdapterLayerImpl>> layers_;
};
TORCH_MODULE(Adapter);

// Registry factory: "adapter_houlsby" or "adapter_pfeiffer".
Method make_adapter(const std::string& name, const nlohmann::json& options, const MethodContext& ctx);

}  // namespace softprompt::core::methods

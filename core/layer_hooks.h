#pragma once
// Hook points in a frozen backbone for the comparison methods that wrap layers instead of using embedding
// slots (LoRA, bottleneck adapters; DESIGN.md, "Prompt modules"). A backbone's linear layer inherits
// HookableLinear and returns `hooked(x, y)` from its forward; core finds the layers by walking the module
// tree by name (find_hookable), so it stays free of any model. With no hook attached, hooked() is one
// empty-vector test: the plain forward is unchanged and bit-identical.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace softprompt::core {

// What a method adds to one frozen linear layer.
class LinearHook {
 public:
  virtual ~LinearHook() = default;
  // x [...,in] the layer's input, y [...,out] the output so far (frozen layer, then earlier hooks) ->
  // [...,out]
  virtual at::Tensor apply(const at::Tensor& x, const at::Tensor& y) = 0;
};

// A frozen linear layer y = x W + b that methods may hook or merge a weight update into.
class HookableLinear {
 public:
  virtual ~HookableLinear() = default;
  virtual int64_t in_features() const = 0;
  virtual int64_t out_features() const = 0;
  // Adds delta [in,out] (y = x delta) to the frozen weight in place, whatever the layer's storage layout and
  // dtype (LoRA's merge). Not differentiable.
  virtual void add_to_weight(const at::Tensor& delta) = 0;

  // Hooks run in the order they were added. remove_hook of a hook not attached is a no-op.
  void add_hook(std::shared_ptr<LinearHook> hook);
  void remove_hook(const LinearHook* hook);
  size_t num_hooks() const { return hooks_.size(); }

 protected:
  // x [...,in], y [...,out] the frozen output -> y after every hook.
  at::Tensor hooked(const at::Tensor& x, at::Tensor y) const {
    if (hooks_.empty()) return y;
    return run_hooks(x, std::move(y));
  }

 private:
  at::Tensor run_hooks(const at::Tensor& x, at::Tensor y) const;
  std::vector<std::shared_ptr<LinearHook>> hooks_;
};

// A hookable layer found in a module tree, by its dotted module name ("h.0.attn.c_attn").
struct HookSite {
  std::string name;
  std::shared_ptr<torch::nn::Module> module;  // keeps the layer alive while a method holds it
  HookableLinear* layer = nullptr;
};

// Every hookable layer of `root` whose name equals a target or ends with "." + target ("c_attn" matches
// "h.3.attn.c_attn"; "mlp.c_proj" matches "h.3.mlp.c_proj" but not "h.3.attn.c_proj"), in module order.
// Throws InputError naming a target that matches nothing, with the hookable names it could have used.
std::vector<HookSite> find_hookable(torch::nn::Module& root, const std::vector<std::string>& targets);

}  // namespace softprompt::core

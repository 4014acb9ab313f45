#pragma once
// The comparison methods behind one interface (issue 6): prompt tuning, prefix tuning / P-tuning v2,
// P-tuning, LoRA, bottleneck adapters, multitask prompts. A method is built by name from the registry
// (core/methods/method_registry.h) and installs itself into a frozen backbone: slot methods add prompt
// sources to a PromptSet (core/prompt_set.h); layer methods hook the backbone's linear layers
// (core/layer_hooks.h).
//
//   core::methods::MethodContext ctx;
//   ctx.backbone = model.get();                      // the frozen torch::nn::Module (hookable layers)
//   ctx.prompts = core::PromptSet();                 // what the backbone's forward_slots gets as injector
//   ctx.hidden_size = model->hidden_size();  ctx.num_layers = model->num_layers();
//   ctx.input = core::methods::InputPlacement::kInsert;   // or kTemplate with a "{soft:N}" template
//   auto method = core::methods::make_method("lora", {{"rank", 8}, {"targets", {"c_attn"}}}, ctx);
//   optimizer over method->trainable_parameters();   // NOT the PromptSet's: reparameterized prefix encoders
//                                                    // and LoRA/adapter weights live only in the method
//   model->forward_slots({embeds, mask}, *ctx.prompts);
//   core::save_artifact(stem, method->export_tensors(), manifest);   // manifest.method = method->name(),
//                                                    // method_options = method->options_json()
//   // later, a fresh backbone and context: the same name and options, then
//   auto loaded = core::methods::make_method(name, method_options, ctx2);  loaded->load_tensors(tensors);
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "core/methods/soft_prompt.h"
#include "core/placement.h"
#include "core/prompt_set.h"

namespace softprompt::core::methods {

// How an input-slot prompt enters the sequence: a template slot (the task's template has "{soft:N}" with N
// the method's num_tokens) or an embedding-level insertion at `insert_at`.
enum class InputPlacement { kTemplate, kInsert };

// What a method attaches to. Core knows no model: the backbone is a module tree plus sizes.
struct MethodContext {
  torch::nn::Module* backbone = nullptr;  // the frozen model; walked for hookable layers
  core::PromptSet prompts{nullptr};       // slot methods add sources here (required by slot methods)
  std::string modality = "text";          // slot names "<modality>", "<modality>.kv.<i>"
  int64_t hidden_size = 0;                // D at the slots
  int64_t num_layers = 0;                 // L: key/value slots 0..L-1
  InputPlacement input = InputPlacement::kTemplate;
  core::InsertAt insert_at;      // kInsert: where the prompt goes
  PromptInitInputs init_inputs;  // embedding matrix and token ids for the data-dependent inits
};

// Base of every method: a module whose parameters are exactly the method's trainable tensors.
class MethodImpl : public torch::nn::Module {
 public:
  explicit MethodImpl(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }  // the registry name, the artifact's "method"
  // The resolved options (every key, defaults included); make_method(name(), options_json()) rebuilds it.
  virtual nlohmann::json options_json() const = 0;
  // The PromptSet slots the method serves (empty for layer methods).
  virtual std::vector<std::string> slots() const { return {}; }

  // Tensors to optimize, by stable name, each tensor once; all require grad.
  io::TensorMap trainable_parameters() const;
  // The artifact's tensors: the inference form (reparameterizations folded away), detached CPU copies.
  virtual io::TensorMap export_tensors() const;
  // Loads what export_tensors() wrote (strictly: InputError naming a missing, unexpected or misshaped
  // tensor). A reparameterized method switches to its folded form, which gives the same outputs.
  virtual void load_tensors(const io::TensorMap& tensors);
  // Removes the method's hooks from the backbone (slot methods: nothing; drop the PromptSet instead).
  virtual void detach() {}

 private:
  std::string name_;
};
using Method = std::shared_ptr<MethodImpl>;

// Copies `tensors` into `target` (names and shapes must match exactly; dtype/device converted). `what` names
// the method in errors.
void load_exact(const io::TensorMap& tensors, const io::TensorMap& target, const std::string& what);

// Trainable parameters of a method, and their share of the frozen backbone, counted from the modules.
struct ParameterReport {
  int64_t trainable = 0;  // elements of method->trainable_parameters()
  int64_t backbone = 0;   // elements of every distinct parameter of the backbone module
  double percent = 0;     // 100 * trainable / backbone
};
int64_t count_parameters(const torch::nn::Module& module);  // distinct tensors, all of them
ParameterReport parameter_report(const MethodImpl& method, const torch::nn::Module& backbone);

// Re-initializes every parameter of `module` from `seed` (not the global generator): matrices [...,in] from
// U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's and PEFT's Kaiming-uniform bound for Linear, LSTM's for H = in),
// vectors (biases) to zero. Parameter k draws from seed + k, in registration order.
void seeded_init(torch::nn::Module& module, int64_t seed);

// The module name a layer method registers for hookable layer `layer_name` ("h.0.attn.c_attn" ->
// "h_0_attn_c_attn"): torch forbids dots in child names.
std::string hook_module_name(const std::string& layer_name);

// Adds `source` at ctx's input slot as ctx.input says (template slot or insertion); returns the slot name.
// Throws InputError when ctx has no PromptSet.
std::string attach_input(const MethodContext& ctx, std::shared_ptr<core::PromptSourceImpl> source);
// Throws InputError unless ctx has a PromptSet and positive sizes; `what` names the method.
void check_slot_context(const MethodContext& ctx, const std::string& what);

}  // namespace softprompt::core::methods

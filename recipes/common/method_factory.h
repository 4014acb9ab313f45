#pragma once
// One factory from `method.name` + `method.options` (recipes/common/method_config.h) to a method attached to
// a frozen backbone, so every recipe picks methods the same way. The slot and layer methods come from the
// core registry (core/methods/method_registry.h: prompt tuning, prefix / P-tuning v2, P-tuning, LoRA,
// adapters); the two references that need a recipe's notion of a pooled feature live here:
//   linear_probe   a linear classifier on the frozen pooled feature (the recipe's read position)
//   full_ft        every backbone weight trains (the upper reference)
// Options the recipe supplies unless method.options sets them: the run's seed, and for prompt methods the
// prompt length from the template's {soft:N} and (prompt tuning) the recipe's prompt.init settings.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <memory>
#include <string>

#include "core/io/safetensors.h"
#include "core/methods/method.h"
#include "core/prompt_set.h"
#include "models/backbone.h"
#include "recipes/common/method_config.h"

namespace softprompt::recipes {

// The backbone a method attaches to, and what only the recipe knows.
struct MethodTarget {
  std::shared_ptr<torch::nn::Module> backbone;  // frozen; full_ft unfreezes it, LoRA/adapters hook its layers
  models::Backbone* api = nullptr;              // hidden size, layers
  std::string modality = "text";                // slot prefix: input slot "<m>", key/value slots "<m>.kv.i"
  int64_t num_classes = 0;                      // the linear probe's outputs
  int64_t num_input_tokens = 0;                 // N of the template's {soft:N}; 0 when it has none
  core::methods::PromptInitInputs init_inputs;  // embedding matrix, init text and label word ids
  nlohmann::json prompt_init = nlohmann::json::object();  // prompt tuning's init options from the recipe
  int64_t seed = 0;
};

// A linear classifier on frozen pooled features [B,D] -> [B,K] (the linear-probe reference of Radford et al.
// 2021 and Lester et al. 2021's comparisons).
class LinearProbeImpl : public core::methods::MethodImpl {
 public:
  LinearProbeImpl(int64_t hidden_size, int64_t num_classes, int64_t seed);
  nlohmann::json options_json() const override { return {{"seed", seed_}}; }
  at::Tensor forward(const at::Tensor& pooled) { return head->forward(pooled); }  // [B,D] -> [B,K]
  torch::nn::Linear head{nullptr};

 private:
  int64_t seed_;
};
TORCH_MODULE(LinearProbe);

// Full fine-tuning: the backbone's own weights are the trainable tensors ("backbone.<key>").
class FullFinetuneImpl : public core::methods::MethodImpl {
 public:
  explicit FullFinetuneImpl(std::shared_ptr<torch::nn::Module> backbone);
  nlohmann::json options_json() const override { return nlohmann::json::object(); }
  // The flag only: the backbone keeps its eval-mode behaviour (the frozen-backbone contract for dropout).
  void train(bool on = true) override { is_training_ = on; }
  bool is_training() const noexcept override { return is_training_; }

 private:
  bool is_training_ = true;
};

// What one method trains, attached to one backbone. attach_method fills `method`; a recipe with a method of
// its own (e.g. SpeechPrompt) may instead list its trainable modules in `modules`.
struct MethodParts {
  std::string name;
  core::methods::Method method;  // trainable tensors, artifact form (folded) and loading; may be null
  // Without `method`: the trainable modules by key prefix ("" = their own parameter names).
  std::map<std::string, std::shared_ptr<torch::nn::Module>> modules;
  core::PromptSet prompts;           // the slots it fills (empty for layer methods and the references)
  bool input_prompt = false;         // true: the template keeps its {soft:N}; false: the recipe strips it
  torch::nn::Linear head{nullptr};   // replaces the verbalizer: pooled hidden [B,D] -> [B,K] class logits
  bool frozen_features = false;      // nothing before the head trains: pooled features may be cached
  int64_t backbone_parameters = 0;   // the backbone's own parameters, counted before anything was attached

  core::io::TensorMap trainable() const;       // each tensor once, all require grad
  core::io::TensorMap export_tensors() const;  // the artifact's tensors (detached CPU copies)
  void load_tensors(const core::io::TensorMap& tensors);  // strict (InputError naming the tensor)
  nlohmann::json options() const;              // the resolved options ({} without `method`)
  void set_training(bool training);            // dropout inside the method; the backbone stays in eval mode
  int64_t trainable_parameters() const;
  double trainable_percent() const;            // 100 * trainable / backbone
};

// Distinct parameter elements of a module (tied weights count once).
using core::methods::count_parameters;

// Throws InputError for an unknown method, unknown or invalid options, or a prompt method without {soft:N}
// in the template.
MethodParts attach_method(const MethodConfig& config, const MethodTarget& target);

// The template a method trains with: unchanged for input-prompt methods, else without its {soft:N} runs
// ("{soft:20} {text} It was {mask}" -> "{text} It was {mask}").
std::string template_for_method(const MethodParts& parts, const std::string& prompt_template);

}  // namespace softprompt::recipes

#include "recipes/common/method_factory.h"

#include <torch/torch.h>

#include <regex>
#include <set>

#include "core/errors.h"
#include "core/methods/method_registry.h"

namespace softprompt::recipes {

LinearProbeImpl::LinearProbeImpl(int64_t hidden_size, int64_t num_classes, int64_t seed)
    : MethodImpl("linear_probe"), seed_(seed) {
  if (num_classes < 2) throw InputError("linear_probe needs at least two classes, got " + std::to_string(num_classes));
  head = register_module("head", torch::nn::Linear(hidden_size, num_classes));
  core::methods::seeded_init(*head, seed);
}

FullFinetuneImpl::FullFinetuneImpl(std::shared_ptr<torch::nn::Module> backbone) : MethodImpl("full_ft") {
  for (auto& w : backbone->parameters(/*recurse=*/true)) w.set_requires_grad(true);
  register_module("backbone", std::move(backbone));
}

namespace {

// The recipe's defaults for the options a method takes (see the header); method.options wins.
nlohmann::json options_with_defaults(const MethodConfig& c, const MethodTarget& t) {
  static const std::set<std::string> kPromptLength = {"prompt_tuning", "multitask_prompt", "p_tuning", "prefix",
                                                      "p_tuning_v2"};
  static const std::set<std::string> kPromptInit = {"prompt_tuning", "multitask_prompt"};
  nlohmann::json o = c.options;
  o.emplace("seed", t.seed);
  if (kPromptLength.count(c.name) && t.num_input_tokens > 0) o.emplace("num_tokens", t.num_input_tokens);
  if (kPromptInit.count(c.name))
    for (const auto& [k, v] : t.prompt_init.items()) o.emplace(k, v);
  return o;
}

}  // namespace

MethodParts attach_method(const MethodConfig& config, const MethodTarget& target) {
  validate_method_config(config);
  if (!target.backbone || !target.api) throw std::logic_error("attach_method: no backbone");
  MethodParts p;
  p.name = config.name;
  p.backbone_parameters = count_parameters(*target.backbone);
  p.prompts = core::PromptSet();
  if (config.name == "linear_probe" || config.name == "full_ft") {
    if (!config.options.empty() && !(config.options.size() == 1 && config.options.contains("seed")))
      throw InputError("method.options: " + config.name + " takes only 'seed', got " + config.options.dump());
    if (config.name == "linear_probe") {
      auto probe = std::make_shared<LinearProbeImpl>(target.api->hidden_size(), target.num_classes,
                                                     config.options.value("seed", target.seed));
      p.method = probe;
      p.head = probe->head;
      p.frozen_features = true;
    } else {
      p.method = std::make_shared<FullFinetuneImpl>(target.backbone);
    }
    return p;
  }
  core::methods::MethodContext ctx;
  ctx.backbone = target.backbone.get();
  ctx.prompts = p.prompts;
  ctx.modality = target.modality;
  ctx.hidden_size = target.api->hidden_size();
  ctx.num_layers = target.api->num_layers();
  ctx.input = core::methods::InputPlacement::kTemplate;
  ctx.init_inputs = target.init_inputs;
  p.method = core::methods::make_method(config.name, options_with_defaults(config, target), ctx);
  const auto slots = p.method->slots();
  p.input_prompt = std::find(slots.begin(), slots.end(), target.modality) != slots.end();
  if (p.input_prompt) {
    const auto n = p.method->options_json().value("num_tokens", int64_t{0});
    if (target.num_input_tokens == 0)
      throw InputError(config.name + " puts a prompt at the input: the template needs {soft:" + std::to_string(n) +
                       "} where it goes (e.g. \"{soft:" + std::to_string(n) + "} {text} It was {mask}\")");
    if (n != target.num_input_tokens)
      throw InputError("method.options.num_tokens is " + std::to_string(n) + " but the template has {soft:" +
                       std::to_string(target.num_input_tokens) + "}; make them equal");
  }
  return p;
}

core::io::TensorMap MethodParts::trainable() const {
  if (method) return method->trainable_parameters();
  core::io::TensorMap out;
  std::set<const void*> seen;
  for (const auto& [prefix, m] : modules)
    for (const auto& w : m->named_parameters(/*recurse=*/true))
      if (w.value().requires_grad() && seen.insert(w.value().unsafeGetTensorImpl()).second)
        out[prefix.empty() ? w.key() : prefix + "." + w.key()] = w.value();
  return out;
}

core::io::TensorMap MethodParts::export_tensors() const {
  if (method) return method->export_tensors();
  core::io::TensorMap out;
  for (const auto& [k, v] : trainable()) out[k] = v.detach().to(at::kCPU).clone();
  return out;
}

void MethodParts::load_tensors(const core::io::TensorMap& tensors) {
  if (method) return method->load_tensors(tensors);
  core::methods::load_exact(tensors, trainable(), name);
}

nlohmann::json MethodParts::options() const {
  return method ? method->options_json() : nlohmann::json::object();
}

void MethodParts::set_training(bool training) {
  if (method) method->train(training);
  for (auto& [prefix, m] : modules) m->train(training);
}

int64_t MethodParts::trainable_parameters() const {
  int64_t n = 0;
  for (const auto& [k, v] : trainable()) n += v.numel();
  return n;
}

double MethodParts::trainable_percent() const {
  return backbone_parameters > 0 ? 100.0 * static_cast<double>(trainable_parameters()) / backbone_parameters : 0;
}

std::string template_for_method(const MethodParts& parts, const std::string& prompt_template) {
  if (parts.input_prompt) return prompt_template;
  static const std::regex soft_run(R"(\{soft:[^}]*\}\s*)");
  return std::regex_replace(prompt_template, soft_run, "");
}

}  // namespace softprompt::recipes

#include "core/methods/speech_prompt.h"

#include <torch/torch.h>

#include <set>

#include "core/errors.h"

namespace softprompt::core::methods {

VerbalizerKind parse_verbalizer(const std::string& name) {
  if (name == "fixed") return VerbalizerKind::kFixed;
  if (name == "learnable") return VerbalizerKind::kLearnable;
  throw InputError("unknown verbalizer '" + name + "' (fixed | learnable)");
}

std::string to_string(VerbalizerKind kind) { return kind == VerbalizerKind::kFixed ? "fixed" : "learnable"; }

void SpeechPromptOptions::validate() const {
  if (modality.empty() || modality.find('.') != std::string::npos)
    throw InputError("speech prompt modality must be a slot name without '.', got '" + modality + "'");
  if (input.num_tokens < 0) throw InputError("speech prompt input tokens must be >= 0");
  if (input.num_tokens > 0) input.validate();
  if (input.dim < 1) throw InputError("speech prompt dim must be >= 1, got " + std::to_string(input.dim));
  if (deep_tokens < 0) throw InputError("speech prompt deep tokens must be >= 0, got " + std::to_string(deep_tokens));
  if (deep_tokens > 0 && num_layers < 1)
    throw InputError("speech prompt deep prompts need num_layers >= 1, got " + std::to_string(num_layers));
  if (!(deep_init_std > 0)) throw InputError("speech prompt deep_init_std must be > 0");
  if (input.num_tokens == 0 && deep_tokens == 0 && verbalizer == VerbalizerKind::kFixed)
    throw InputError("speech prompt: nothing to train (no input prompt, no deep prompt, fixed verbalizer)");
  if (label_units.size() < 2) throw InputError("speech prompt verbalizer needs at least two label units");
  std::set<int64_t> seen;
  for (auto u : label_units) {
    if (u < 0) throw InputError("speech prompt label unit " + std::to_string(u) + " is negative");
    if (!seen.insert(u).second)
      throw InputError("speech prompt verbalizer maps two labels to unit " + std::to_string(u));
  }
}

SpeechPromptImpl::SpeechPromptImpl(SpeechPromptOptions options, const SpeechPromptInit& init)
    : options_(std::move(options)) {
  options_.validate();
  const int64_t D = options_.input.dim, K = static_cast<int64_t>(options_.label_units.size());
  prompts = register_module("prompts", PromptSet());
  if (options_.input.num_tokens > 0)
    prompts->add_template_slot(options_.modality, SoftPrompt(options_.input, init.input).ptr());
  if (options_.deep_tokens > 0) add_deep_prompts(init);
  if (options_.verbalizer == VerbalizerKind::kLearnable) {
    const auto& e = init.label_embeddings;
    if (!e.defined() || e.dim() != 2 || e.size(0) != K || e.size(1) != D)
      throw InputError("learnable verbalizer: label embeddings must be [" + std::to_string(K) + "," +
                       std::to_string(D) + "], got " + (e.defined() ? c10::str(e.sizes()) : std::string("none")));
    verbalizer = register_module("verbalizer", LinearVerbalizer(e));
  }
  label_ids_ = register_buffer("label_ids", torch::tensor(options_.label_units, torch::kLong));
}

void SpeechPromptImpl::add_deep_prompts(const SpeechPromptInit& init) {
  const int64_t P = options_.deep_tokens, D = options_.input.dim, L = options_.num_layers;
  if (!init.deep.empty() && static_cast<int64_t>(init.deep.size()) != L)
    throw InputError("speech prompt: deep init has " + std::to_string(init.deep.size()) + " layers, the model " +
                     std::to_string(L));
  torch::Generator gen = at::detail::createCPUGenerator(options_.input.seed + 7919);
  auto start = [&](const at::Tensor& given) {
    if (!given.defined()) return at::normal(0.0, options_.deep_init_std, {P, D}, gen);
    const auto t = given.dim() == 3 && given.size(0) == 1 ? given[0] : given;
    if (t.dim() != 2 || t.size(0) != P || t.size(1) != D)
      throw InputError("speech prompt: deep init must be [" + std::to_string(P) + "," + std::to_string(D) +
                       "], got " + c10::str(given.sizes()));
    return t.detach().to(torch::kCPU, torch::kFloat);
  };
  SoftPromptOptions o;
  o.num_tokens = P;
  o.dim = D;
  for (int64_t i = 0; i < L; ++i) {
    SoftPrompt key(o), value(o);
    torch::NoGradGuard no_grad;
    key->weight.copy_(start(init.deep.empty() ? at::Tensor() : init.deep[i].key));
    value->weight.copy_(start(init.deep.empty() ? at::Tensor() : init.deep[i].value));
    prompts->add_kv_slot(kv_slot(options_.modality, i), std::make_shared<KvPairImpl>(key.ptr(), value.ptr()));
  }
}

core::io::TensorMap SpeechPromptImpl::trainable_state() {
  core::io::TensorMap out;
  for (const auto& p : named_parameters(/*recurse=*/true))
    if (p.value().requires_grad()) out[p.key()] = p.value();
  return out;
}

void SpeechPromptImpl::load_state(const core::io::TensorMap& tensors, const std::string& source) {
  auto own = trainable_state();
  for (const auto& [name, t] : tensors)
    if (!own.count(name)) throw InputError(source + ": unexpected tensor '" + name + "' for this SpeechPrompt");
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : own) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw InputError(source + ": missing tensor '" + name + "'");
    if (it->second.sizes() != p.sizes())
      throw InputError(source + ": tensor '" + name + "' is " + c10::str(it->second.sizes()) + ", expected " +
                       c10::str(p.sizes()));
    p.copy_(it->second);
  }
}

}  // namespace softprompt::core::methods

#include "core/methods/prompt_tuning.h"

#include <torch/torch.h>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/methods/method_options.h"
#include "core/peft_convert.h"

namespace softprompt::core::methods {
namespace {

const std::vector<std::pair<std::string, PromptInit>> kInits = {{"random", PromptInit::kRandomUniform},
                                                                {"vocab", PromptInit::kVocab},
                                                                {"text", PromptInit::kText},
                                                                {"labels", PromptInit::kLabels}};

config::Schema<PromptTuningOptions> schema() {
  const SoftPromptOptions d;
  using O = PromptTuningOptions;
  config::Schema<O> s;
  s.add(
       "num_tokens", [](O & o) -> auto& { return o.prompt.num_tokens; }, d.num_tokens, "prompt length P")
      .add_enum(
          "init", [](O & o) -> auto& { return o.prompt.init; }, d.init, kInits,
          "random | vocab | text | labels (Lester et al. 2021)")
      .add(
          "init_range", [](O & o) -> auto& { return o.prompt.init_range; }, d.init_range, "random: U(-r, r)")
      .add(
          "vocab_top_n", [](O & o) -> auto& { return o.prompt.vocab_top_n; }, d.vocab_top_n,
          "vocab/labels: sample among the first N ids (0 = all)")
      .add(
          "init_text", [](O & o) -> auto& { return o.prompt.init_text; }, d.init_text, "text: the init text")
      .add(
          "seed", [](O & o) -> auto& { return o.prompt.seed; }, d.seed, "init seed")
      .add("init_from", &O::init_from, "", "artifact whose prompt is the initial value (multitask transfer)");
  return s;
}

}  // namespace

void PromptTuningOptions::validate() const {
  SoftPromptOptions p = prompt;
  p.dim = 1;  // the width comes from the backbone
  p.validate();
}

at::Tensor prompt_from_artifact(const std::string& path, int64_t num_tokens, int64_t dim) {
  const Artifact a = load_artifact(path);
  at::Tensor found;
  for (const auto& [name, t] : a.tensors) {
    const std::string suffix = ".prompt_embeddings";
    const bool is_prompt = name.size() > suffix.size() &&
                           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                           t.dim() == 2;
    if (!is_prompt || name.find("_kv_") != std::string::npos) continue;
    if (found.defined()) throw InputError("init_from " + path + ": the artifact holds several input prompts");
    found = t;
  }
  if (!found.defined()) throw InputError("init_from " + path + ": the artifact holds no [P,D] input prompt");
  if (found.size(1) != dim)
    throw InputError("init_from " + path + ": prompt width " + std::to_string(found.size(1)) +
                     " differs from the backbone's " + std::to_string(dim));
  std::vector<int64_t> rows(found.size(0));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  return init_from_tokens(found, rows, num_tokens);
}

PromptTuningImpl::PromptTuningImpl(std::string name, PromptTuningOptions options, const MethodContext& ctx)
    : MethodImpl(std::move(name)), options_(std::move(options)) {
  options_.validate();
  check_slot_context(ctx, this->name());
  SoftPromptOptions o = options_.prompt;
  o.dim = ctx.hidden_size;
  if (!options_.init_from.empty()) o.init = PromptInit::kRandomUniform;  // replaced just below
  prompt_ = std::make_shared<SoftPromptImpl>(o, ctx.init_inputs);
  if (!options_.init_from.empty()) {
    torch::NoGradGuard no_grad;
    prompt_->weight.copy_(prompt_from_artifact(options_.init_from, o.num_tokens, o.dim));
  }
  slot_ = attach_input(ctx, prompt_);
  register_module(core::prompt_module_name(slot_), prompt_);
}

nlohmann::json PromptTuningImpl::options_json() const { return schema().to_json(options_); }

void PromptTuningImpl::share_with(const MethodContext& other) {
  if (other.hidden_size != prompt_->dim())
    throw InputError(name() + ": cannot share a prompt of width " + std::to_string(prompt_->dim()) +
                     " with a backbone of width " + std::to_string(other.hidden_size));
  const std::string slot = attach_input(other, prompt_);
  if (slot != slot_)
    throw InputError(name() + ": shared prompt slot '" + slot + "' differs from '" + slot_ + "'");
}

Method make_prompt_tuning(const std::string& name, const nlohmann::json& options, const MethodContext& ctx) {
  return std::make_shared<PromptTuningImpl>(name, read_method_options(schema(), options, name), ctx);
}

}  // namespace softprompt::core::methods

#pragma once
// Prompt tuning (Lester et al. 2021) as a registry method: one SoftPrompt at the input slot. The same module
// is the multitask prompt (Vu et al. 2022, "SPoT"; a simple form of Wang et al. 2023, "MPT"): one prompt
// shared by the PromptSets of several tasks (share_with) and trained on their mixed batches
// (core/methods/multitask_task.h), then transferred as the initial value of a new task's prompt
// (option init_from: a saved artifact).
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/methods/method.h"
#include "core/methods/soft_prompt.h"

namespace softprompt::core::methods {

struct PromptTuningOptions {
  SoftPromptOptions
      prompt;             // num_tokens, init, init_range, vocab_top_n, init_text, seed (dim from the context)
  std::string init_from;  // an artifact whose input prompt becomes the initial value (overrides init)
  void validate() const;  // InputError naming the bad value
};

class PromptTuningImpl : public MethodImpl {
 public:
  // `name`: "prompt_tuning" or "multitask_prompt". Adds the prompt at ctx's input slot.
  PromptTuningImpl(std::string name, PromptTuningOptions options, const MethodContext& ctx);
  nlohmann::json options_json() const override;
  std::vector<std::string> slots() const override { return {slot_}; }
  // Adds the same prompt (the same tensor) at the input slot of another task's context.
  void share_with(const MethodContext& other);
  std::shared_ptr<SoftPromptImpl> prompt() const { return prompt_; }

 private:
  PromptTuningOptions options_;
  std::string slot_;
  std::shared_ptr<SoftPromptImpl> prompt_;
};
TORCH_MODULE(PromptTuning);

// The input prompt of a saved artifact (its one 2-D "<slot>.prompt_embeddings" tensor [P',D]) as an initial
// value [num_tokens,D] fp32: rows repeated cyclically or truncated, as PEFT's TEXT init does with tokens.
// InputError when the artifact has no such tensor, several, or another width.
at::Tensor prompt_from_artifact(const std::string& path, int64_t num_tokens, int64_t dim);

Method make_prompt_tuning(const std::string& name, const nlohmann::json& options, const MethodContext& ctx);

}  // namespace softprompt::core::methods

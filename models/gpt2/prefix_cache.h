#pragma once
// Inference cache for a fixed prompt prefix (DESIGN.md, "Performance principles"): in a causal LM the keys
// and values of a prompt placed before the input do not depend on the input, so they are computed once per
// prompt and replayed at every block's key/value slot for every request, instead of re-running the prompt
// each time.
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "core/slots.h"
#include "models/gpt2/model.h"

namespace softprompt::models::gpt2 {

// Usage: PrefixCache cache(*model, prompt);  // once
//        ForwardOptions options;  options.position_ids = cache.position_ids(mask);
//        model->forward_slots({embeds, mask}, cache, options);
// gives the input positions' outputs of running cat(prompt, input) with the prompt at the input slot.
class PrefixCache final : public core::PromptInjector {
 public:
  // prompt_embeds [P,D] or [1,P,D]: input-slot embeddings (before position embeddings), e.g. a trained soft
  // prompt or wte(ids) of a hard prompt. Computed without autograd (inference only).
  PrefixCache(ModelImpl& model, const at::Tensor& prompt_embeds);

  core::SlotInput at_slot(const std::string&, core::SlotInput x) override { return x; }
  // "<modality>.kv.i" ("text.kv.i"; "units.kv.i" on the unit LM) -> the cached key/value [batch,P,D] (a broadcast view, no copy) and mask ones [batch,P].
  std::optional<core::KV> kv_at(const std::string& slot, int64_t batch) override;

  int64_t length() const { return length_; }
  // Position ids for an input that follows the prefix: P + cumsum(mask) - 1. mask [B,T] -> [B,T] int64.
  at::Tensor position_ids(const at::Tensor& mask) const;

 private:
  std::vector<core::KV> layers_;  // key/value [1,P,D]
  int64_t length_ = 0;
  std::string modality_;  // the model's slot prefix
};

}  // namespace softprompt::models::gpt2

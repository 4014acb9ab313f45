#include "models/gpt2/prefix_cache.h"

#include <torch/torch.h>

#include "core/placement.h"

namespace softprompt::models::gpt2 {

PrefixCache::PrefixCache(ModelImpl& model, const at::Tensor& prompt_embeds) {
  TORCH_CHECK((prompt_embeds.dim() == 2) || (prompt_embeds.dim() == 3 && prompt_embeds.size(0) == 1),
              "PrefixCache: prompt must be [P,D] or [1,P,D], got ", prompt_embeds.sizes());
  torch::NoGradGuard no_grad;
  const at::Tensor prompt = prompt_embeds.dim() == 2 ? prompt_embeds.unsqueeze(0) : prompt_embeds;
  length_ = prompt.size(1);
  modality_ = model.config().modality;
  layers_ = model.prefix_key_values(prompt.detach());
}

std::optional<core::KV> PrefixCache::kv_at(const std::string& slot, int64_t batch) {
  const core::SlotName name = core::parse_slot(slot);
  if (name.kind != core::SlotKind::kKeyValue || name.modality != modality_ || name.layer < 0 ||
      name.layer >= static_cast<int64_t>(layers_.size()))
    return std::nullopt;
  const core::KV& kv = layers_[name.layer];
  return core::KV{kv.key.expand({batch, length_, kv.key.size(2)}),
                  kv.value.expand({batch, length_, kv.value.size(2)}), kv.mask.expand({batch, length_})};
}

at::Tensor PrefixCache::position_ids(const at::Tensor& mask) const {
  return core::position_ids_from_mask(mask) + length_;
}

}  // namespace softprompt::models::gpt2

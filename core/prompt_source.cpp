#include "core/prompt_source.h"

#include <torch/torch.h>

#include "core/errors.h"

namespace softprompt::core {

KvPairImpl::KvPairImpl(std::shared_ptr<PromptSourceImpl> key, std::shared_ptr<PromptSourceImpl> value)
    : key_(std::move(key)), value_(std::move(value)) {
  if (!key_ || !value_) throw InputError("KvPair: key and value sources are required");
  if (key_->num_prompts() != value_->num_prompts() || key_->length() != value_->length() ||
      key_->dim() != value_->dim())
    throw InputError("KvPair: key [N=" + std::to_string(key_->num_prompts()) + ",P=" +
                     std::to_string(key_->length()) + ",D=" + std::to_string(key_->dim()) +
                     "] and value [N=" + std::to_string(value_->num_prompts()) + ",P=" +
                     std::to_string(value_->length()) + ",D=" + std::to_string(value_->dim()) + "] differ");
  register_module("key", key_);
  // parameters() does not deduplicate: a source serving as both key and value is registered once.
  if (value_ != key_) register_module("value", value_);
}

KV KvPairImpl::select(const at::Tensor& rows) {
  SelectedPrompts k = key_->select(rows), v = value_->select(rows);
  return {k.vectors, v.vectors, k.mask};
}

}  // namespace softprompt::core

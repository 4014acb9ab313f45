#pragma once
// What a PromptSet slot draws its vectors from: a bank of N prompts (N = 1: one prompt shared by every row),
// selected per row. Prompt modules (core/methods/) implement these; PromptSet (core/prompt_set.h) places them.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>

#include "core/slots.h"

namespace softprompt::core {

// vectors [B,P,D] fp32 (prompt parameters stay fp32; placement casts them to the embeds' dtype);
// mask [B,P] int64, 0 where a shorter prompt of the bank is padded to P.
struct SelectedPrompts {
  at::Tensor vectors;
  at::Tensor mask;
};

// A bank of N prompt sequences of (padded) length P and width D for an input or layer slot.
class PromptSourceImpl : public torch::nn::Module {
 public:
  virtual int64_t num_prompts() const = 0;  // N; 1 = shared by every row whatever its selection
  virtual int64_t length() const = 0;       // P (the longest prompt of the bank)
  virtual int64_t dim() const = 0;          // D
  // rows [B] int64 in [0,N), on the source's device -> [B,P,D], [B,P]. Gather, no loop over rows.
  virtual SelectedPrompts select(const at::Tensor& rows) = 0;
};

// A bank of N key/value prompt pairs for a key/value slot (prefix tuning, P-tuning v2).
class KvSourceImpl : public torch::nn::Module {
 public:
  virtual int64_t num_prompts() const = 0;  // N; 1 = shared by every row
  // rows [B] int64 -> KV{key [B,P,D], value [B,P,D], mask [B,P]}.
  virtual KV select(const at::Tensor& rows) = 0;
};

// The plain key/value prompt: keys and values are two prompt sources of the same shape (Li & Liang 2021,
// "Prefix-Tuning", without the reparameterization; Liu et al. 2022, P-tuning v2).
class KvPairImpl : public KvSourceImpl {
 public:
  KvPairImpl(std::shared_ptr<PromptSourceImpl> key, std::shared_ptr<PromptSourceImpl> value);
  int64_t num_prompts() const override { return key_->num_prompts(); }
  KV select(const at::Tensor& rows) override;  // [B] -> [B,P,D] x2, [B,P]

 private:
  std::shared_ptr<PromptSourceImpl> key_, value_;
};

}  // namespace softprompt::core

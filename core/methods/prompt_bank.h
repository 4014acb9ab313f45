#pragma once
// N named soft prompts of possibly different lengths over one backbone, selected per row by gather:
// per-sample prompt selection (multitask prompt tuning, serving many trained prompts in one batch; the case
// PEFT refuses, peft#759). Shorter prompts are padded to the longest and the padding is masked.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/prompt_source.h"

namespace softprompt::core::methods {

class PromptBankImpl : public core::PromptSourceImpl {
 public:
  // names[i] -> prompts[i] [P_i,D] (any float dtype/device; copied into one fp32 parameter on prompts[0]'s
  // device). Throws InputError for no prompts, duplicate or empty names, or widths that differ.
  PromptBankImpl(std::vector<std::string> names, const std::vector<at::Tensor>& prompts);

  // rows [B] int64 in [0,N) -> [B,P_max,D], mask [B,P_max] (0 beyond each prompt's length).
  core::SelectedPrompts select(const at::Tensor& rows) override;
  int64_t num_prompts() const override { return weight.size(0); }
  int64_t length() const override { return weight.size(1); }
  int64_t dim() const override { return weight.size(2); }

  const std::vector<std::string>& names() const { return names_; }
  int64_t index_of(const std::string& name) const;  // throws InputError naming an unknown prompt
  // Per-row prompt names -> rows [B] int64 for select() / PromptSet::select().
  at::Tensor rows_for(const std::vector<std::string>& row_names) const;
  // Prompt i without its padding: [P_i,D] view of the parameter.
  at::Tensor prompt(int64_t i) const;
  int64_t prompt_length(int64_t i) const;

  at::Tensor weight;   // parameter "prompt_embeddings" [N,P_max,D] fp32
  at::Tensor lengths;  // buffer "lengths" [N] int64

 private:
  std::vector<std::string> names_;
  std::map<std::string, int64_t> index_;
  std::vector<int64_t> host_lengths_;
};
TORCH_MODULE(PromptBank);

}  // namespace softprompt::core::methods

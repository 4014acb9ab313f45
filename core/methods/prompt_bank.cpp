#include "core/methods/prompt_bank.h"

#include <torch/torch.h>

#include "core/errors.h"

namespace softprompt::core::methods {

PromptBankImpl::PromptBankImpl(std::vector<std::string> names, const std::vector<at::Tensor>& prompts)
    : names_(std::move(names)) {
  if (prompts.empty()) throw InputError("PromptBank: no prompts given");
  if (names_.size() != prompts.size())
    throw InputError("PromptBank: " + std::to_string(names_.size()) + " names for " +
                     std::to_string(prompts.size()) + " prompts");
  int64_t max_len = 0;
  const int64_t D = prompts[0].dim() == 2 ? prompts[0].size(1) : -1;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (names_[i].empty() || !index_.emplace(names_[i], static_cast<int64_t>(i)).second)
      throw InputError("PromptBank: empty or duplicate prompt name '" + names_[i] + "'");
    if (prompts[i].dim() != 2 || prompts[i].size(0) < 1 || prompts[i].size(1) != D)
      throw InputError("PromptBank: prompt '" + names_[i] + "' must be [P,D] with P >= 1 and D = " +
                       std::to_string(D) + ", got " + c10::str(prompts[i].sizes()));
    host_lengths_.push_back(prompts[i].size(0));
    max_len = std::max(max_len, prompts[i].size(0));
  }
  const auto options = at::TensorOptions().dtype(at::kFloat).device(prompts[0].device());
  at::Tensor stacked = at::zeros({static_cast<int64_t>(prompts.size()), max_len, D}, options);
  for (size_t i = 0; i < prompts.size(); ++i)
    stacked[i].slice(0, 0, host_lengths_[i]).copy_(prompts[i].detach());
  weight = register_parameter("prompt_embeddings", stacked);
  lengths = register_buffer("lengths", at::tensor(host_lengths_, at::kLong).to(options.device()));
}

core::SelectedPrompts PromptBankImpl::select(const at::Tensor& rows) {
  TORCH_CHECK(rows.dim() == 1, "PromptBank::select: rows must be [B], got ", rows.sizes());
  const at::Tensor index = rows.to(weight.device(), at::kLong);
  const at::Tensor positions = at::arange(length(), index.options()).unsqueeze(0);  // [1,P]
  return {weight.index_select(0, index),
          (positions < lengths.index_select(0, index).unsqueeze(1)).to(at::kLong)};
}

int64_t PromptBankImpl::index_of(const std::string& name) const {
  const auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  throw InputError("unknown prompt '" + name + "' (the bank has " + std::to_string(names_.size()) + " prompts)");
}

at::Tensor PromptBankImpl::rows_for(const std::vector<std::string>& row_names) const {
  std::vector<int64_t> rows;
  rows.reserve(row_names.size());
  for (const auto& n : row_names) rows.push_back(index_of(n));
  return at::tensor(rows, at::kLong);
}

at::Tensor PromptBankImpl::prompt(int64_t i) const { return weight[i].slice(0, 0, prompt_length(i)); }

int64_t PromptBankImpl::prompt_length(int64_t i) const {
  TORCH_CHECK(i >= 0 && i < num_prompts(), "PromptBank: prompt index ", i, " outside [0,", num_prompts(), ")");
  return host_lengths_[i];
}

}  // namespace softprompt::core::methods

#include "core/methods/soft_prompt.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"

namespace softprompt::core::methods {
namespace {
constexpr int64_t kMaxTokens = 1 << 20;
}

void SoftPromptOptions::validate() const {
  if (num_tokens < 1 || num_tokens > kMaxTokens)
    throw InputError("soft prompt num_tokens must be in [1," + std::to_string(kMaxTokens) + "], got " +
                     std::to_string(num_tokens));
  if (dim < 1) throw InputError("soft prompt dim must be >= 1, got " + std::to_string(dim));
  if (init == PromptInit::kRandomUniform && (!(init_range > 0) || !std::isfinite(init_range)))
    throw InputError("soft prompt init_range must be > 0, got " + std::to_string(init_range));
  if (vocab_top_n < 0) throw InputError("soft prompt vocab_top_n must be >= 0, got " + std::to_string(vocab_top_n));
  if (init == PromptInit::kText && init_text.empty()) throw InputError("soft prompt init 'text' needs init_text");
}

at::Tensor initial_prompt(const SoftPromptOptions& options, const PromptInitInputs& inputs) {
  options.validate();
  if (options.init != PromptInit::kRandomUniform && inputs.embedding.defined() && inputs.embedding.dim() == 2 &&
      inputs.embedding.size(1) != options.dim)
    throw InputError("soft prompt dim " + std::to_string(options.dim) + " differs from the embedding matrix's " +
                     std::to_string(inputs.embedding.size(1)));
  const int64_t P = options.num_tokens;
  switch (options.init) {
    case PromptInit::kVocab:
      return init_from_vocab(inputs.embedding, P, options.vocab_top_n, options.seed);
    case PromptInit::kText:
      return init_from_tokens(inputs.embedding, inputs.text_ids, P);
    case PromptInit::kLabels:
      return init_from_labels(inputs.embedding, inputs.label_ids, P, options.vocab_top_n, options.seed);
    case PromptInit::kRandomUniform:
      break;
  }
  const at::Device device = inputs.embedding.defined() ? inputs.embedding.device() : at::Device(at::kCPU);
  return init_uniform(P, options.dim, options.init_range, options.seed, device);
}

SoftPromptImpl::SoftPromptImpl(SoftPromptOptions options, const PromptInitInputs& inputs)
    : options_(std::move(options)) {
  weight = register_parameter("prompt_embeddings", initial_prompt(options_, inputs).contiguous());
}

core::SelectedPrompts SoftPromptImpl::select(const at::Tensor& rows) {
  TORCH_CHECK(rows.dim() == 1, "SoftPrompt::select: rows must be [B], got ", rows.sizes());
  const int64_t B = rows.size(0);
  return {weight.unsqueeze(0).expand({B, weight.size(0), weight.size(1)}),
          at::ones({B, weight.size(0)}, weight.options().dtype(at::kLong))};
}

}  // namespace softprompt::core::methods

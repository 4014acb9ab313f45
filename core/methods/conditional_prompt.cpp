#include "core/methods/conditional_prompt.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "core/methods/prompt_init.h"

namespace softprompt::core::methods {
namespace {

torch::nn::Linear seeded_linear(int64_t in, int64_t out, uint64_t seed) {
  torch::nn::Linear l(torch::nn::LinearOptions(in, out));
  init_linear_default(l->weight, l->bias, seed);
  return l;
}

}  // namespace

void ConditionalPromptOptions::validate() const {
  if (condition_dim < 1)
    throw InputError("conditional prompt condition_dim must be >= 1, got " + std::to_string(condition_dim));
  if (hidden < 0)
    throw InputError("conditional prompt meta-net hidden size must be >= 0, got " + std::to_string(hidden));
}

ConditionalPromptImpl::ConditionalPromptImpl(std::shared_ptr<core::PromptSourceImpl> base,
                                             ConditionalPromptOptions options)
    : base_(std::move(base)) {
  options.validate();
  if (!base_) throw InputError("conditional prompt: no base prompt given");
  const int64_t hidden =
      options.hidden > 0 ? options.hidden : std::max<int64_t>(1, options.condition_dim / 16);
  register_module("base", base_);
  auto meta = std::make_shared<torch::nn::Module>();
  linear1 = meta->register_module("linear1", seeded_linear(options.condition_dim, hidden, options.seed));
  linear2 = meta->register_module("linear2", seeded_linear(hidden, base_->dim(), options.seed + 1));
  register_module("meta_net", meta);
}

at::Tensor ConditionalPromptImpl::meta_net(const at::Tensor& condition) {
  return linear2(torch::relu(linear1(condition)));  // [G,E] -> [G,H] -> [G,D]
}

void ConditionalPromptImpl::set_condition(const at::Tensor& condition, int64_t rows_per_condition) {
  if (!condition.defined() || condition.dim() != 2 || condition.size(1) != linear1->options.in_features())
    throw InputError("conditional prompt: condition must be [G," +
                     std::to_string(linear1->options.in_features()) + "], got " +
                     (condition.defined() ? c10::str(condition.sizes()) : std::string("none")));
  if (rows_per_condition < 1)
    throw InputError("conditional prompt: rows_per_condition must be >= 1, got " +
                     std::to_string(rows_per_condition));
  condition_ = condition;
  rows_per_condition_ = rows_per_condition;
}

core::SelectedPrompts ConditionalPromptImpl::select(const at::Tensor& rows) {
  TORCH_CHECK(condition_.defined(), "ConditionalPrompt: set_condition() before the forward");
  TORCH_CHECK(rows.size(0) == condition_.size(0) * rows_per_condition_, "ConditionalPrompt: ", rows.size(0),
              " rows but ", condition_.size(0), " conditions of ", rows_per_condition_, " rows each");
  core::SelectedPrompts p = base_->select(rows);                                               // [B,P,D]
  const at::Tensor pi = meta_net(condition_.to(p.vectors.device(), p.vectors.scalar_type()));  // [G,D]
  // [G,D] -> [G,1,1,D] + [G,R,P,D] -> [B,P,D]: one image's bias on each of its R rows, on every vector.
  const int64_t B = p.vectors.size(0), P = p.vectors.size(1), D = p.vectors.size(2);
  const at::Tensor grouped = p.vectors.reshape({condition_.size(0), rows_per_condition_, P, D});
  p.vectors = (grouped + pi.view({-1, 1, 1, D})).reshape({B, P, D});
  return p;
}

}  // namespace softprompt::core::methods

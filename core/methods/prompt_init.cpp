#include "core/methods/prompt_init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"

namespace softprompt::core::methods {
namespace {

void check_embedding(const at::Tensor& embedding, const char* init) {
  if (!embedding.defined() || embedding.dim() != 2 || embedding.size(0) == 0)
    throw InputError(std::string(init) + " init needs the frozen embedding matrix [V,D]" +
                     (embedding.defined() ? ", got a tensor of shape " + c10::str(embedding.sizes()) : ""));
}

// Embedding rows at `ids` (checked against V) as fp32.
at::Tensor rows_at(const at::Tensor& embedding, const std::vector<int64_t>& ids) {
  const int64_t V = embedding.size(0);
  for (int64_t id : ids)
    if (id < 0 || id >= V)
      throw InputError("token id " + std::to_string(id) + " is outside the vocabulary [0," + std::to_string(V) + ")");
  const at::Tensor index = at::tensor(ids, at::kLong).to(embedding.device());
  return embedding.detach().index_select(0, index).to(at::kFloat);
}

}  // namespace

PromptInit parse_prompt_init(const std::string& name) {
  if (name == "random") return PromptInit::kRandomUniform;
  if (name == "vocab") return PromptInit::kVocab;
  if (name == "text") return PromptInit::kText;
  if (name == "labels") return PromptInit::kLabels;
  throw InputError("unknown prompt init '" + name + "' (expected random, vocab, text or labels)");
}

std::string to_string(PromptInit init) {
  switch (init) {
    case PromptInit::kVocab: return "vocab";
    case PromptInit::kText: return "text";
    case PromptInit::kLabels: return "labels";
    case PromptInit::kRandomUniform: break;
  }
  return "random";
}

at::Tensor init_uniform(int64_t num_tokens, int64_t dim, double range, uint64_t seed, const at::Device& device) {
  if (!(range > 0) || !std::isfinite(range)) throw InputError("init_range must be > 0, got " + std::to_string(range));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor u = at::rand({num_tokens, dim}, gen, at::TensorOptions().dtype(at::kFloat));
  return ((u * 2 - 1) * range).to(device);
}

at::Tensor init_from_vocab(const at::Tensor& embedding, int64_t num_tokens, int64_t top_n, uint64_t seed) {
  check_embedding(embedding, "vocab");
  const int64_t V = embedding.size(0);
  if (top_n < 0 || top_n > V)
    throw InputError("vocab_top_n " + std::to_string(top_n) + " is outside [0," + std::to_string(V) + "]");
  const int64_t n = top_n == 0 ? V : top_n;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor ids = num_tokens <= n ? at::randperm(n, gen, at::kLong).slice(0, 0, num_tokens)
                                         : at::randint(n, {num_tokens}, gen, at::kLong);
  return embedding.detach().index_select(0, ids.to(embedding.device())).to(at::kFloat);
}

at::Tensor init_from_tokens(const at::Tensor& embedding, const std::vector<int64_t>& ids, int64_t num_tokens) {
  check_embedding(embedding, "text");
  if (ids.empty()) throw InputError("text init: the init text has no tokens");
  std::vector<int64_t> tiled(num_tokens);
  for (int64_t i = 0; i < num_tokens; ++i) tiled[i] = ids[i % ids.size()];
  return rows_at(embedding, tiled);
}

at::Tensor init_from_labels(const at::Tensor& embedding, const std::vector<std::vector<int64_t>>& label_ids,
                            int64_t num_tokens, int64_t top_n, uint64_t seed) {
  check_embedding(embedding, "labels");
  if (label_ids.empty()) throw InputError("labels init: no label words given");
  const int64_t C = std::min<int64_t>(label_ids.size(), num_tokens);
  std::vector<at::Tensor> rows;
  for (int64_t c = 0; c < C; ++c) {
    if (label_ids[c].empty()) throw InputError("labels init: label " + std::to_string(c) + " has no tokens");
    rows.push_back(rows_at(embedding, label_ids[c]).mean(/*dim=*/0));
  }
  at::Tensor out = at::stack(rows);
  if (C < num_tokens) out = at::cat({out, init_from_vocab(embedding, num_tokens - C, top_n, seed)});
  return out;
}

void init_linear_default(at::Tensor& weight, at::Tensor& bias, uint64_t seed) {
  TORCH_CHECK(weight.dim() == 2, "init_linear_default: weight must be [out,in], got ", weight.sizes());
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1)));
  weight.uniform_(-bound, bound, gen);
  if (bias.defined()) bias.uniform_(-bound, bound, gen);
}

}  // namespace softprompt::core::methods

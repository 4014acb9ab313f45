#pragma once
// Initial values for soft prompts (Lester et al. 2021, "The Power of Scale for Parameter-Efficient Prompt
// Tuning", section 3: random uniform, sampled vocabulary, class labels; and PEFT's TEXT init). Each takes the
// frozen embedding matrix [V,D] (never a model) and returns [P,D] fp32 on that matrix's device (CPU when none).
// Randomness comes from a CPU generator seeded with `seed`, so results do not depend on the device.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace softprompt::core::methods {

enum class PromptInit { kRandomUniform, kVocab, kText, kLabels };
// "random" | "vocab" | "text" | "labels"; throws InputError naming the value.
PromptInit parse_prompt_init(const std::string& name);
std::string to_string(PromptInit init);

// U(-range, range), Lester et al. use range 0.5.
at::Tensor init_uniform(int64_t num_tokens, int64_t dim, double range, uint64_t seed, const at::Device& device);
// Rows of `embedding` at ids drawn from [0, top_n) (top_n = 0: the whole vocabulary), without replacement
// while there are enough ids. For BPE vocabularies lower ids are the more frequent merges, so top_n = 5000 is
// Lester's "5,000 most common tokens".
at::Tensor init_from_vocab(const at::Tensor& embedding, int64_t num_tokens, int64_t top_n, uint64_t seed);
// The embeddings of a text's token ids, repeated cyclically or truncated to num_tokens (PEFT's TEXT init).
at::Tensor init_from_tokens(const at::Tensor& embedding, const std::vector<int64_t>& ids, int64_t num_tokens);
// Lester's class-label init: vector c is the mean embedding of label c's tokens (first num_tokens labels);
// positions beyond the number of labels are sampled as in init_from_vocab.
at::Tensor init_from_labels(const at::Tensor& embedding, const std::vector<std::vector<int64_t>>& label_ids,
                            int64_t num_tokens, int64_t top_n, uint64_t seed);

// PyTorch's default nn.Linear init (kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)), and
// the same bound for the bias) drawn from a CPU generator seeded with `seed`, in place: weight [out,in],
// bias [out] or undefined. The small networks of prompt methods (CoCoOp's meta-net, MaPLe's coupling) use it.
void init_linear_default(at::Tensor& weight, at::Tensor& bias, uint64_t seed);

}  // namespace softprompt::core::methods

#pragma once
// What a soft prompt "says": for each prompt vector, the vocabulary tokens whose input embeddings are nearest
// by cosine similarity (the interpretation used by Lester et al. 2021, section 7). Used by `softprompt
// inspect`.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace softprompt::core {

struct NearestTokens {
  at::Tensor ids;     // [P,k] int64, most similar first
  at::Tensor scores;  // [P,k] float32 cosine similarities
};

// prompt [P,D], embedding [V,D] (any float dtype/device; compared in fp32 on the embedding's device), k >= 1
// (clipped to V). The vocabulary is scanned in chunks so that no [V,D] fp32 copy of a half-precision matrix
// is ever made.
NearestTokens nearest_tokens(const at::Tensor& prompt, const at::Tensor& embedding, int64_t k);

}  // namespace softprompt::core

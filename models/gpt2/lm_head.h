#pragma once
// Language-model heads that compute only what is read (DESIGN.md, "Performance principles"): logits for a
// verbalizer's label tokens only, and a full-vocabulary cross-entropy computed a chunk of positions at a time
// so that the [N,V] logits never sit in memory at once (forward and backward).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace softprompt::models::gpt2 {

// hidden [...,D], weight [V,D] -> [...,K] logits for token_ids [K] (int64, each in [0,V)), or [...,V] when
// token_ids is undefined. Equal to the full logits gathered at token_ids.
at::Tensor head_logits(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& token_ids);

// Mean cross-entropy of softmax(hidden W^T) against targets, over the positions whose target is not
// ignore_index, computed `chunk_positions` rows at a time (0 = as many rows as fit in ~16M logits).
// hidden [...,D], weight [V,D], targets [...] int64 (same leading shape) -> scalar float32.
// Gradients flow to hidden and (if it requires grad) weight; the backward pass recomputes each chunk's logits
// rather than keeping them. With no target at all the loss is 0 (not NaN), so an empty batch cannot poison
// training. Equal to cross_entropy(hidden W^T, targets, ignore_index) up to float rounding.
at::Tensor chunked_cross_entropy(const at::Tensor& hidden, const at::Tensor& weight,
                                 const at::Tensor& targets, int64_t chunk_positions = 0,
                                 int64_t ignore_index = -100);

}  // namespace softprompt::models::gpt2

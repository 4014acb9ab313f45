#pragma once
// Prompt placement, implemented once (DESIGN.md, "Placement ... is implemented once, in core/"):
// embedding-level insertion / scatter / replacement of prompt vectors and the position ids that follow a mask.
// Token-level templates ("{soft:20} {text} It was {mask}.") live in core/template.h and produce the
// soft_index that scatter_prompts consumes.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/slots.h"

namespace softprompt::core {

// Position ids that follow the attention mask: cumsum(mask) - 1 over the real tokens, and 1 at masked
// positions. This is Hugging Face's GPT-2 `prepare_inputs_for_generation` convention (fixture gpt2_left_pad):
// a left-padded row then reproduces the unpadded sequence exactly; a right-padded row keeps 0..n-1 on its real
// tokens. mask [B,T] (any integer/bool dtype) -> [B,T] int64 on the mask's device.
at::Tensor position_ids_from_mask(const at::Tensor& mask);

}  // namespace softprompt::core

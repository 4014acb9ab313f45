#include "core/placement.h"

#include <torch/torch.h>

namespace softprompt::core {

at::Tensor position_ids_from_mask(const at::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "position_ids_from_mask: mask must be [B,T], got ", mask.sizes());
  const at::Tensor m = mask.to(at::kLong);
  // Pads get 1 (not 0) to match HF exactly; their value never matters for real tokens.
  return (m.cumsum(/*dim=*/1) - 1).masked_fill(m == 0, 1);
}

}  // namespace softprompt::core

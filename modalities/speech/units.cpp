#include "modalities/speech/units.h"

#include <torch/torch.h>

namespace softprompt::modalities::speech {

DedupedUnits dedup_units(const at::Tensor& units) {
  TORCH_CHECK(units.dim() == 1, "dedup_units: expected [T], got ", units.sizes());
  TORCH_CHECK(!units.is_floating_point(), "dedup_units: units must be integers, got ", units.scalar_type());
  const at::Tensor u = units.to(at::kLong);
  auto [values, inverse, counts] =
      at::unique_consecutive(u, /*return_inverse=*/false, /*return_counts=*/true);
  return {values, counts.to(at::kLong)};
}

at::Tensor expand_units(const at::Tensor& units, const at::Tensor& durations) {
  TORCH_CHECK(units.dim() == 1 && durations.dim() == 1 && units.size(0) == durations.size(0),
              "expand_units: units and durations must be [T'] each");
  TORCH_CHECK((durations >= 0).all().item<bool>(), "expand_units: durations must be >= 0");
  return at::repeat_interleave(units.to(at::kLong), durations.to(units.device(), at::kLong));
}

}  // namespace softprompt::modalities::speech

#include "modalities/speech/waveform_norm.h"

#include <torch/torch.h>

#include "core/errors.h"

namespace softprompt::modalities::speech {

at::Tensor normalize_waveform(const at::Tensor& waveform, const at::Tensor& lengths, double padding_value) {
  // [N] | [B,N] -> same
  TORCH_CHECK(waveform.dim() == 1 || waveform.dim() == 2, "normalize_waveform: expected [N] or [B,N], got ",
              waveform.sizes());
  TORCH_CHECK(waveform.is_floating_point(), "normalize_waveform: waveform must be float");
  at::Tensor x = waveform.to(at::kDouble);
  if (x.dim() == 1) x = x.unsqueeze(0);
  const int64_t batch = x.size(0);
  const int64_t n = x.size(1);
  at::Tensor len;
  if (lengths.defined()) {
    TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == batch, "normalize_waveform: lengths must be [",
                batch, "], got ", lengths.sizes());
    len = lengths.to(x.device(), at::kLong);
    const int64_t lo = len.min().item<int64_t>();
    const int64_t hi = len.max().item<int64_t>();
    if (lo < 1 || hi > n)
      throw InputError("normalize_waveform: lengths must be in [1, " + std::to_string(n) + "], got [" +
                       std::to_string(lo) + ", " + std::to_string(hi) + "]");
  } else {
    len = at::full({batch}, n, x.options().dtype(at::kLong));
  }
  const at::Tensor valid = at::arange(n, len.options()).unsqueeze(0) < len.unsqueeze(1);  // [B,N]
  const at::Tensor count = len.to(at::kDouble).unsqueeze(1);
  const at::Tensor mean = (x * valid).sum(1, /*keepdim=*/true) / count;
  const at::Tensor var = ((x - mean).pow(2) * valid).sum(1, /*keepdim=*/true) / count;
  at::Tensor out =
      at::where(valid, (x - mean) / at::sqrt(var + 1e-7), at::full({}, padding_value, x.options()));
  if (waveform.dim() == 1) out = out.squeeze(0);
  return out.to(waveform.scalar_type());
}

}  // namespace softprompt::modalities::speech

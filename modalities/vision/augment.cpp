#include "modalities/vision/augment.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "modalities/vision/pil_resize.h"

namespace softprompt::modalities::vision {

ClipAugment::ClipAugment(AugmentOptions options, uint64_t seed) : options_(options), rng_(seed) {
  const auto& o = options_;
  if (o.size <= 0 || !(o.scale[0] > 0 && o.scale[0] <= o.scale[1] && o.scale[1] <= 1.0) ||
      !(o.ratio[0] > 0 && o.ratio[0] <= o.ratio[1]) || o.flip_probability < 0 || o.flip_probability > 1)
    throw InputError("invalid augmentation options (size > 0, 0 < scale min <= max <= 1, 0 < ratio min <= max, "
                     "flip probability in [0,1])");
}

// Uniform doubles / integers from our own generator (std distributions are implementation-defined, so the
// mapping is written out: the same seed gives the same crops with any standard library).
double ClipAugment::uniform(double lo, double hi) {
  const double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);  // [0,1), 53 bits
  return lo + (hi - lo) * u;
}

int64_t ClipAugment::randint(int64_t lo, int64_t hi_exclusive) {
  const auto span = static_cast<uint64_t>(hi_exclusive - lo);
  return lo + static_cast<int64_t>(span ? rng_() % span : 0);
}

CropBox ClipAugment::sample_crop(int64_t h, int64_t w) {
  const double area = static_cast<double>(h) * static_cast<double>(w);
  const double log_lo = std::log(options_.ratio[0]), log_hi = std::log(options_.ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * uniform(options_.scale[0], options_.scale[1]);
    const double aspect = std::exp(uniform(log_lo, log_hi));
    const auto cw = static_cast<int64_t>(std::nearbyint(std::sqrt(target * aspect)));
    const auto ch = static_cast<int64_t>(std::nearbyint(std::sqrt(target / aspect)));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) return {randint(0, h - ch + 1), randint(0, w - cw + 1), ch, cw};
  }
  // Fallback: centre crop at the nearest allowed aspect ratio.
  const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
  int64_t cw = w, ch = h;
  if (in_ratio < options_.ratio[0]) {
    ch = static_cast<int64_t>(std::nearbyint(w / options_.ratio[0]));
  } else if (in_ratio > options_.ratio[1]) {
    cw = static_cast<int64_t>(std::nearbyint(h * options_.ratio[1]));
  }
  return {(h - ch) / 2, (w - cw) / 2, ch, cw};
}

at::Tensor ClipAugment::augment_u8(const at::Tensor& rgb) {
  if (rgb.dim() != 3 || rgb.size(2) != 3 || rgb.scalar_type() != at::kByte || rgb.numel() == 0)
    throw InputError("augment: need a non-empty [H,W,3] uint8 image, got " + c10::str(rgb.sizes()));
  const CropBox box = sample_crop(rgb.size(0), rgb.size(1));
  auto crop = rgb.narrow(0, box.top, box.height).narrow(1, box.left, box.width);
  auto out = pil_resize(crop, options_.size, options_.size, PilFilter::kBicubic);
  if (uniform(0.0, 1.0) < options_.flip_probability) out = flip_horizontal(out);
  return out;
}

at::Tensor ClipAugment::operator()(const at::Tensor& rgb) { return normalize(augment_u8(rgb), options_.normalize); }

at::Tensor flip_horizontal(const at::Tensor& image) {
  TORCH_CHECK(image.dim() == 3, "flip_horizontal: need [H,W,C], got ", image.sizes());
  return image.flip({1}).contiguous();
}

}  // namespace softprompt::modalities::vision

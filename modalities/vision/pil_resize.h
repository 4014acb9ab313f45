#pragma once
// Pillow's separable resampling (Pillow 9.4 libImaging/Resample.c), reproduced bit for bit for 8-bit images:
// per-output-pixel filter weights whose support grows with the downscale factor (= antialiasing), normalised,
// converted to 22-bit fixed point; a horizontal pass then a vertical pass, each rounding to 8 bits.
// CLIP's preprocessing resizes through PIL, and OpenCV's resize gives different values, hence this file.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace softprompt::modalities::vision {

enum class PilFilter { kBilinear, kBicubic };

// image [H,W,C] uint8 (CPU, any C) -> [out_h,out_w,C] uint8, as PIL's Image.resize((out_w, out_h), filter).
// Throws InputError for an empty image or a non-positive size.
at::Tensor pil_resize(const at::Tensor& image, int64_t out_w, int64_t out_h, PilFilter filter = PilFilter::kBicubic);

}  // namespace softprompt::modalities::vision

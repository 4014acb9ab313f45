#pragma once
// CLIP's image preprocessing, openai/CLIP clip._transform(n_px): Resize(n_px, BICUBIC) of the shorter side
// through PIL (long side truncated, antialiased when downscaling) -> CenterCrop(n_px) (offsets rounded half
// to even, as Python's round) -> RGB -> ToTensor -> Normalize(CLIP mean/std).
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <string>

namespace softprompt::modalities::vision {

struct ClipPreprocessOptions {
  int64_t size = 224;  // n_px: shorter side after resize and the crop's side
  std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
};

struct PreprocessedImage {
  at::Tensor crop_u8;       // [S,S,3] uint8 (HWC): the image after Resize + CenterCrop
  at::Tensor pixel_values;  // [3,S,S] float32: normalised
  int64_t resized_w = 0, resized_h = 0;
  int64_t crop_top = 0, crop_left = 0;
};

// torchvision's _compute_resized_output_size for an int size: (w,h) -> size on the shorter side, the longer
// truncated: int(size * long / short).
std::array<int64_t, 2> resized_size(int64_t w, int64_t h, int64_t size);

// [H,W,C] uint8 -> [size,size,C]: torchvision F.center_crop (top = round((H-size)/2), half to even; an image
// smaller than the crop is zero-padded, as torchvision does).
at::Tensor center_crop(const at::Tensor& image, int64_t size, int64_t* top = nullptr, int64_t* left = nullptr);

// [H,W,3] uint8 -> [3,H,W] float32: (x/255 - mean[c]) / std[c] in float32 (bit-identical to ToTensor+Normalize).
at::Tensor normalize(const at::Tensor& image, const ClipPreprocessOptions& options = {});

// The whole transform on an RGB image [H,W,3] uint8.
PreprocessedImage clip_preprocess(const at::Tensor& rgb, const ClipPreprocessOptions& options = {});

// Reads `path` (read_image_rgb) and preprocesses it.
PreprocessedImage clip_preprocess_file(const std::string& path, const ClipPreprocessOptions& options = {});

}  // namespace softprompt::modalities::vision

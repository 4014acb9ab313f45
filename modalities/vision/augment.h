#pragma once
// Seeded training augmentations for CLIP prompt tuning, as CoOp trains: RandomResizedCrop(size, BICUBIC)
// + RandomHorizontalFlip, then CLIP's normalisation. torchvision's sampling rules, Pillow's resampling
// (pil_resize.h), our own generator: the same seed gives the same crops on every machine.
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <random>

#include "modalities/vision/clip_preprocess.h"

namespace softprompt::modalities::vision {

struct AugmentOptions {
  int64_t size = 224;                       // output side
  std::array<double, 2> scale{0.08, 1.0};   // crop area as a fraction of the image (torchvision default)
  std::array<double, 2> ratio{3.0 / 4.0, 4.0 / 3.0};  // crop aspect ratio range (w/h), sampled in log space
  double flip_probability = 0.5;            // horizontal flip
  ClipPreprocessOptions normalize;          // mean/std (its size is ignored)
};

// A crop box in input pixels.
struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};

class ClipAugment {
 public:
  explicit ClipAugment(AugmentOptions options = {}, uint64_t seed = 0);

  // rgb [H,W,3] uint8 -> [size,size,3] uint8: random resized crop, then maybe flipped.
  at::Tensor augment_u8(const at::Tensor& rgb);
  // rgb [H,W,3] uint8 -> [3,size,size] float32 normalised (the training input).
  at::Tensor operator()(const at::Tensor& rgb);
  // torchvision RandomResizedCrop.get_params for an image of h x w: 10 tries, then a centre crop.
  CropBox sample_crop(int64_t h, int64_t w);

  void seed(uint64_t s) { rng_.seed(s); }

 private:
  double uniform(double lo, double hi);
  int64_t randint(int64_t lo, int64_t hi_exclusive);

  AugmentOptions options_;
  std::mt19937_64 rng_;
};

// [H,W,C] -> [H,W,C] mirrored left-right.
at::Tensor flip_horizontal(const at::Tensor& image);

}  // namespace softprompt::modalities::vision

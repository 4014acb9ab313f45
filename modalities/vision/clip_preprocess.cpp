#include "modalities/vision/clip_preprocess.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "modalities/vision/image_io.h"
#include "modalities/vision/pil_resize.h"

namespace softprompt::modalities::vision {

std::array<int64_t, 2> resized_size(int64_t w, int64_t h, int64_t size) {
  if (w <= 0 || h <= 0 || size <= 0)
    throw InputError("cannot resize a " + std::to_string(w) + "x" + std::to_string(h) + " image to " +
                     std::to_string(size));
  const int64_t shorter = std::min(w, h), longer = std::max(w, h);
  // Python: int(size * long / short), a float division truncated.
  const auto new_long = static_cast<int64_t>(static_cast<double>(size) * static_cast<double>(longer) /
                                             static_cast<double>(shorter));
  return w <= h ? std::array<int64_t, 2>{size, new_long} : std::array<int64_t, 2>{new_long, size};
}

at::Tensor center_crop(const at::Tensor& image, int64_t size, int64_t* top_out, int64_t* left_out) {
  TORCH_CHECK(image.dim() == 3, "center_crop: need [H,W,C], got ", image.sizes());
  auto img = image;
  if (img.size(0) < size || img.size(1) < size) {
    // torchvision pads (left/top get the floor half) with zeros, then crops.
    const int64_t ph = std::max<int64_t>(size - img.size(0), 0), pw = std::max<int64_t>(size - img.size(1), 0);
    auto padded = torch::zeros({img.size(0) + ph, img.size(1) + pw, img.size(2)}, img.options());
    padded.narrow(0, ph / 2, img.size(0)).narrow(1, pw / 2, img.size(1)).copy_(img);
    img = padded;
  }
  // Python round() is half to even; nearbyint in the default rounding mode is too.
  const auto top = static_cast<int64_t>(std::nearbyint((img.size(0) - size) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint((img.size(1) - size) / 2.0));
  if (top_out) *top_out = top;
  if (left_out) *left_out = left;
  return img.narrow(0, top, size).narrow(1, left, size).contiguous();
}

at::Tensor normalize(const at::Tensor& image, const ClipPreprocessOptions& o) {
  TORCH_CHECK(image.dim() == 3 && image.size(2) == 3, "normalize: need [H,W,3], got ", image.sizes());
  // Same ATen ops as ToTensor + Normalize, so the float32 result is bit-identical.
  auto x = image.permute({2, 0, 1}).contiguous().to(torch::kFloat).div(255);
  auto mean = torch::tensor({o.mean[0], o.mean[1], o.mean[2]}, torch::kFloat).view({3, 1, 1});
  auto std = torch::tensor({o.std[0], o.std[1], o.std[2]}, torch::kFloat).view({3, 1, 1});
  return x.sub(mean).div(std);
}

PreprocessedImage clip_preprocess(const at::Tensor& rgb, const ClipPreprocessOptions& o) {
  if (rgb.dim() != 3 || rgb.size(2) != 3 || rgb.scalar_type() != at::kByte)
    throw InputError("clip_preprocess: need an [H,W,3] uint8 RGB image, got " + c10::str(rgb.sizes()));
  PreprocessedImage out;
  const auto [w, h] = resized_size(rgb.size(1), rgb.size(0), o.size);
  out.resized_w = w;
  out.resized_h = h;
  auto resized = pil_resize(rgb, w, h, PilFilter::kBicubic);
  out.crop_u8 = center_crop(resized, o.size, &out.crop_top, &out.crop_left);
  out.pixel_values = normalize(out.crop_u8, o);
  return out;
}

PreprocessedImage clip_preprocess_file(const std::string& path, const ClipPreprocessOptions& o) {
  return clip_preprocess(read_image_rgb(path), o);
}

}  // namespace softprompt::modalities::vision

#pragma once
// Image decoding with OpenCV into RGB uint8 tensors, the way PIL's Image.open(...).convert("RGB") sees a file:
// no EXIF rotation, alpha dropped, grey replicated to three channels.
#include <ATen/core/Tensor.h>

#include <string>

namespace softprompt::modalities::vision {

// Decodes `path` (PNG, JPEG, BMP, ... whatever OpenCV's imgcodecs reads) -> [H,W,3] uint8 RGB.
// Throws IoError when the file cannot be read, InputError naming the file when it is not a decodable image.
at::Tensor read_image_rgb(const std::string& path);

// Decodes an encoded image held in memory; `label` names it in errors.
at::Tensor decode_image_rgb(const std::string& bytes, const std::string& label);

// [H,W] or [H,W,1] uint8 grey -> [H,W,3] RGB (PIL's convert("RGB") of an "L" image replicates the channel),
// e.g. for idx (MNIST) images before CLIP preprocessing.
at::Tensor gray_to_rgb(const at::Tensor& gray);

// Encodes [H,W,3] uint8 RGB as PNG and writes it (tests, previews). Throws IoError on failure.
void write_png_rgb(const std::string& path, const at::Tensor& rgb);

}  // namespace softprompt::modalities::vision

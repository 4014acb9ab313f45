#pragma once
// Reader for the idx format of MNIST / Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): magic 0x0000TTNN
// (T = element type, N = number of dims), N big-endian uint32 dims, then big-endian elements. Plain or gzip
// (detected from the bytes, not the name).
#include <ATen/core/Tensor.h>

#include <string>

namespace softprompt::modalities::vision {

// -> a CPU tensor of the file's shape and element type (uint8, int8, int16, int32, float32, float64).
// Throws IoError when the file cannot be opened, InputError naming the file for a bad magic, a truncated or
// oversized body, or corrupt gzip data.
at::Tensor read_idx(const std::string& path);

struct IdxImages {
  at::Tensor images;  // [N,H,W] uint8
  at::Tensor labels;  // [N] int64
};

// An images file ([N,H,W] uint8) and its labels file ([N] uint8); counts must agree (InputError otherwise).
IdxImages read_idx_dataset(const std::string& images_path, const std::string& labels_path);

}  // namespace softprompt::modalities::vision

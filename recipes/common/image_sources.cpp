#include "recipes/common/image_sources.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "modalities/vision/idx_reader.h"
#include "modalities/vision/image_io.h"

namespace softprompt::recipes::images {
namespace {

ImageSet from_gray(std::string name, const at::Tensor& gray, const at::Tensor& labels,
                   std::vector<std::string> classes) {
  ImageSet s;
  s.name = std::move(name);
  s.images = gray.unsqueeze(-1).expand({-1, -1, -1, 3}).contiguous();  // PIL convert("RGB") of "L"
  s.labels = labels.to(torch::kLong);
  s.classes = std::move(classes);
  s.attributes = torch::full({gray.size(0), kNumAttributes}, -1, torch::kLong);
  s.attributes.select(1, kSource).fill_(source_id(s.name));
  s.attributes.select(1, kClass).copy_(s.labels);
  return s;
}

const std::array<cv::Scalar, 6>& colour_rgb() {
  static const std::array<cv::Scalar, 6> c = {cv::Scalar(220, 30, 30),  cv::Scalar(30, 190, 40),
                                              cv::Scalar(40, 70, 230),  cv::Scalar(235, 220, 40),
                                              cv::Scalar(150, 40, 190), cv::Scalar(245, 140, 20)};
  return c;
}

// One filled shape of radius r at (x, y) on an RGB canvas.
void draw_shape(cv::Mat& img, int64_t shape, int x, int y, int r, const cv::Scalar& colour) {
  std::vector<cv::Point> pts;
  switch (shape) {
    case 0:
      cv::circle(img, {x, y}, r, colour, cv::FILLED, cv::LINE_AA);
      return;
    case 1:
      cv::rectangle(img, {x - r, y - r}, {x + r, y + r}, colour, cv::FILLED, cv::LINE_AA);
      return;
    case 2:
      pts = {{x, y - r}, {x + r, y + r * 3 / 4}, {x - r, y + r * 3 / 4}};
      break;
    case 3:
      pts = {{x, y - r}, {x + r, y}, {x, y + r}, {x - r, y}};
      break;
    default: {
      const int w = std::max(1, r / 3);
      cv::rectangle(img, {x - r, y - w}, {x + r, y + w}, colour, cv::FILLED, cv::LINE_AA);
      cv::rectangle(img, {x - w, y - r}, {x + w, y + r}, colour, cv::FILLED, cv::LINE_AA);
      return;
    }
  }
  cv::fillPoly(img, std::vector<std::vector<cv::Point>>{pts}, colour, cv::LINE_AA);
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> c = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                             "sandal",  "shirt",    "sneaker",  "bag",   "ankle boot"};
  return c;
}
const std::vector<std::string>& digit_words() {
  static const std::vector<std::string> c = {"zero", "one", "two",   "three", "four",
                                             "five", "six", "seven", "eight", "nine"};
  return c;
}
const std::vector<std::string>& shape_names() {
  static const std::vector<std::string> c = {"circle", "square", "triangle", "diamond", "cross"};
  return c;
}
const std::vector<std::string>& colour_names() {
  static const std::vector<std::string> c = {"red", "green", "blue", "yellow", "purple", "orange"};
  return c;
}
const std::vector<std::string>& position_names() {
  static const std::vector<std::string> c = {"left", "right", "top", "bottom", "center"};
  return c;
}

int64_t source_id(const std::string& set_name) {
  if (set_name == "fashion_mnist") return 0;
  if (set_name == "mnist") return 1;
  if (set_name == "shapes") return 2;
  throw InputError("unknown image set '" + set_name + "' (expected fashion_mnist, mnist or shapes)");
}

ImageSet read_fashion_mnist(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "test")
    throw InputError("Fashion-MNIST split '" + split + "' (expected train or test)");
  const std::string stem = dir + "/" + (split == "train" ? "train" : "t10k");
  auto d =
      modalities::vision::read_idx_dataset(stem + "-images-idx3-ubyte.gz", stem + "-labels-idx1-ubyte.gz");
  return from_gray("fashion_mnist", d.images, d.labels, fashion_mnist_classes());
}

ImageSet read_mnist_digits(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "test")
    throw InputError("MNIST split '" + split + "' (expected train or test)");
  std::vector<at::Tensor> images, labels;
  for (int64_t d = 0; d < 10; ++d) {
    const std::string path = dir + "/digits/" + std::to_string(d) + ".json";
    const auto j = nlohmann::json::parse(core::io::read_file(path), nullptr, false);
    if (j.is_discarded() || !j.contains("data") || !j["data"].is_array() || j["data"].size() % 784 != 0)
      throw InputError("'" + path + "' is not an MNIST digit file ({\"data\": [784 floats per image]})");
    const auto values = j["data"].get<std::vector<float>>();
    const int64_t n = static_cast<int64_t>(values.size()) / 784, cut = n * 8 / 10;
    auto all = (torch::tensor(values).view({n, 28, 28}) * 255).round().clamp(0, 255).to(torch::kUInt8);
    auto part = split == "train" ? all.slice(0, 0, cut) : all.slice(0, cut, n);
    images.push_back(part);
    labels.push_back(torch::full({part.size(0)}, d, torch::kLong));
  }
  return from_gray("mnist", torch::cat(images), torch::cat(labels), digit_words());
}

ImageSet render_shapes(int64_t n, uint64_t seed, const ShapeOptions& o) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t k) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(k)); };
  const int s = static_cast<int>(o.size);
  ImageSet set;
  set.name = "shapes";
  set.classes = shape_names();
  set.images = torch::empty({n, s, s, 3}, torch::kUInt8);
  set.attributes = torch::full({n, kNumAttributes}, -1, torch::kLong);
  auto attrs = set.attributes.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t shape = pick(5), colour = pick(6), count = o.single_object ? 1 : 1 + pick(3);
    const int bg = static_cast<int>(pick(60));
    cv::Mat img(s, s, CV_8UC3, cv::Scalar(bg, bg, bg));
    int64_t position = -1;
    if (count == 1) {
      position = pick(5);
      const int r = s / 8 + static_cast<int>(pick(s / 10 + 1)), q = s / 4, j = static_cast<int>(pick(5)) - 2;
      const int xs[5] = {q, s - q, s / 2 + j, s / 2 + j, s / 2 + j},
                ys[5] = {s / 2 + j, s / 2 + j, q, s - q, s / 2};
      draw_shape(img, shape, xs[position], ys[position], r, colour_rgb()[colour]);
    } else {
      for (int64_t k = 0; k < count; ++k) {  // in separate columns so they do not overlap
        const int cell = s / static_cast<int>(count), r = std::max(3, cell / 3);
        const int x = cell * static_cast<int>(k) + cell / 2, y = r + static_cast<int>(pick(s - 2 * r));
        draw_shape(img, shape, x, y, r, colour_rgb()[colour]);
      }
    }
    std::memcpy(set.images[i].data_ptr<uint8_t>(), img.data, static_cast<size_t>(s) * s * 3);
    const int64_t row[kNumAttributes] = {source_id("shapes"), shape, colour, position, count};
    for (int64_t a = 0; a < kNumAttributes; ++a) attrs[i][a] = row[a];
  }
  set.labels = set.attributes.select(1, kClass).clone();
  return set;
}

ImageSet slice(const ImageSet& set, int64_t begin, int64_t count) {
  const int64_t n = set.images.size(0), b = std::min(begin, n), e = std::min(n, begin + count);
  return {set.name, set.images.slice(0, b, e), set.labels.slice(0, b, e), set.classes,
          set.attributes.slice(0, b, e)};
}

}  // namespace softprompt::recipes::images

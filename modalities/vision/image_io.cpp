#include "modalities/vision/image_io.h"

#include <torch/torch.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <iterator>
#include <vector>

#include "core/errors.h"

namespace softprompt::modalities::vision {

at::Tensor read_image_rgb(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open image '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError("cannot read image '" + path + "'");
  return decode_image_rgb(bytes, path);
}

at::Tensor decode_image_rgb(const std::string& bytes, const std::string& label) {
  if (bytes.empty()) throw InputError("cannot decode image '" + label + "': the file is empty");
  cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat bgr;
  try {
    // PIL does not apply EXIF orientation; IMREAD_COLOR converts grey/alpha/16-bit to 8-bit BGR.
    bgr = cv::imdecode(buf, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception& e) {
    throw InputError("cannot decode image '" + label + "': " + e.what());
  }
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw InputError("cannot decode image '" + label + "': not an image OpenCV can read (corrupt or unsupported)");
  auto out = torch::empty({bgr.rows, bgr.cols, 3}, torch::kByte);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, out.data_ptr<uint8_t>());
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return out;
}

at::Tensor gray_to_rgb(const at::Tensor& gray) {
  if (gray.scalar_type() != at::kByte || !(gray.dim() == 2 || (gray.dim() == 3 && gray.size(2) == 1)))
    throw InputError("gray_to_rgb: need [H,W] or [H,W,1] uint8, got " + c10::str(gray.sizes()));
  auto g = gray.dim() == 2 ? gray.unsqueeze(2) : gray;
  return g.expand({g.size(0), g.size(1), 3}).contiguous();
}

void write_png_rgb(const std::string& path, const at::Tensor& rgb) {
  TORCH_CHECK(rgb.dim() == 3 && rgb.size(2) == 3 && rgb.scalar_type() == at::kByte, "write_png_rgb: need [H,W,3] uint8");
  auto src = rgb.to(at::kCPU).contiguous();
  cv::Mat view(static_cast<int>(src.size(0)), static_cast<int>(src.size(1)), CV_8UC3, src.data_ptr<uint8_t>());
  cv::Mat bgr;
  cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
  bool ok = false;
  try {
    ok = cv::imwrite(path, bgr);
  } catch (const cv::Exception& e) {
    throw IoError("cannot write '" + path + "': " + e.what());
  }
  if (!ok) throw IoError("cannot write '" + path + "'");
}

}  // namespace softprompt::modalities::vision

#include "modalities/vision/pil_resize.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/errors.h"

namespace softprompt::modalities::vision {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS

double bicubic(double x) {  // a = -0.5, support 2
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double bilinear(double x) {  // support 1
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Per output pixel: the first input index, the tap count and ksize fixed-point weights (precompute_coeffs +
// normalize_coeffs_8bpc).
struct Coeffs {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // [out, ksize]
};

Coeffs precompute(int in_size, int out_size, PilFilter filter) {
  const double support_base = filter == PilFilter::kBicubic ? 2.0 : 1.0;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = support_base * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);  // C truncation, as Pillow
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double arg = (x + xmin - center + 0.5) * ss;
      k[x] = filter == PilFilter::kBicubic ? bicubic(arg) : bilinear(arg);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[x] / ww : k[x];
      const double fixed = w * (1 << kPrecisionBits);
      c.weights[static_cast<size_t>(xx) * c.ksize + x] = static_cast<int32_t>(w < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int64_t v) {
  return static_cast<uint8_t>(std::clamp<int64_t>(v >> kPrecisionBits, 0, 255));  // arithmetic shift = floor
}

// in [rows,in_w,C] -> out [rows,out_w,C] (rows in_row0.. of the input).
void horizontal(const uint8_t* in, int in_w, int row0, int rows, int ch, const Coeffs& c, int out_w, uint8_t* out) {
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in + static_cast<size_t>(y + row0) * in_w * ch;
    uint8_t* dst = out + static_cast<size_t>(y) * out_w * ch;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
      for (int z = 0; z < ch; ++z) {
        int64_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < c.count[xx]; ++x) ss += static_cast<int64_t>(src[(x + c.first[xx]) * ch + z]) * k[x];
        dst[xx * ch + z] = clip8(ss);
      }
    }
  }
}

// in [in_h,w,C] (row r of `in` is input row r + offset) -> out [out_h,w,C].
void vertical(const uint8_t* in, int w, int offset, int ch, const Coeffs& c, int out_h, uint8_t* out) {
  const size_t stride = static_cast<size_t>(w) * ch;
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.ksize];
    const int y0 = c.first[yy] - offset;
    for (size_t i = 0; i < stride; ++i) {
      int64_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < c.count[yy]; ++y) ss += static_cast<int64_t>(in[(y + y0) * stride + i]) * k[y];
      out[yy * stride + i] = clip8(ss);
    }
  }
}

}  // namespace

at::Tensor pil_resize(const at::Tensor& image, int64_t out_w, int64_t out_h, PilFilter filter) {
  if (image.dim() != 3 || image.scalar_type() != at::kByte || image.numel() == 0)
    throw InputError("pil_resize: image must be a non-empty [H,W,C] uint8 tensor, got " + c10::str(image.sizes()) +
                     " " + c10::toString(image.scalar_type()));
  if (out_w <= 0 || out_h <= 0 || out_w > (1 << 20) || out_h > (1 << 20))
    throw InputError("pil_resize: invalid output size " + std::to_string(out_w) + "x" + std::to_string(out_h));
  auto src = image.to(at::kCPU).contiguous();
  const int in_h = static_cast<int>(src.size(0)), in_w = static_cast<int>(src.size(1));
  const int ch = static_cast<int>(src.size(2));
  const int ow = static_cast<int>(out_w), oh = static_cast<int>(out_h);
  if (ow == in_w && oh == in_h) return src.clone();
  // Pillow skips a pass whose size does not change (so it rounds only where it resamples).
  at::Tensor cur = src;
  int row0 = 0;
  Coeffs vert;
  if (oh != in_h) {
    vert = precompute(in_h, oh, filter);
    row0 = vert.first[0];  // the horizontal pass only computes rows the vertical one reads
  }
  if (ow != in_w) {
    const Coeffs horiz = precompute(in_w, ow, filter);
    const int rows = oh != in_h ? vert.first[oh - 1] + vert.count[oh - 1] - row0 : in_h;
    auto tmp = torch::empty({rows, ow, ch}, torch::kByte);
    horizontal(src.data_ptr<uint8_t>(), in_w, row0, rows, ch, horiz, ow, tmp.data_ptr<uint8_t>());
    cur = tmp;
  } else {
    row0 = 0;
  }
  if (oh == in_h) return cur;
  auto out = torch::empty({oh, ow, ch}, torch::kByte);
  vertical(cur.data_ptr<uint8_t>(), ow, row0, ch, vert, oh, out.data_ptr<uint8_t>());
  return out;
}

}  // namespace softprompt::modalities::vision

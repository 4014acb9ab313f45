// CLIP image preprocessing against the reference (fixture clip_image_preprocess: PIL resize + crop, then
// ToTensor + Normalize). Prints the max difference in u8 levels per image.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <iostream>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "modalities/vision/clip_preprocess.h"
#include "modalities/vision/pil_resize.h"

namespace softprompt::modalities::vision {
namespace {

std::string fixture(const std::string& rel) { return std::string(SOFTPROMPT_TEST_FIXTURES) + "/" + rel; }

TEST(ClipPreprocess, MatchesPilReference) {
  auto io = core::io::load_safetensors(fixture("image_preprocess/expected.safetensors"));
  for (int i = 0; i < 2; ++i) {
    const auto path = fixture("image_preprocess/img" + std::to_string(i) + ".png");
    auto got = clip_preprocess_file(path);
    auto sizes = io.at("sizes_in_wh_resized_wh")[i];
    EXPECT_EQ(got.resized_w, sizes[2].item<int64_t>()) << path;
    EXPECT_EQ(got.resized_h, sizes[3].item<int64_t>()) << path;
    EXPECT_EQ(got.crop_top, io.at("crop_top_left")[i][0].item<int64_t>()) << path;
    EXPECT_EQ(got.crop_left, io.at("crop_top_left")[i][1].item<int64_t>()) << path;
    const auto want = io.at("crop_u8_hwc")[i];
    ASSERT_EQ(got.crop_u8.sizes(), want.sizes());
    const auto level = (got.crop_u8.to(torch::kInt) - want.to(torch::kInt)).abs();
    const int max_level = level.max().item<int>();
    const int64_t differing = level.gt(0).sum().item<int64_t>();
    const double px = (got.pixel_values - io.at("pixel_values_f16")[i].to(torch::kFloat)).abs().max().item<double>();
    std::cout << "[preprocess] img" << i << " crop max |diff| " << max_level << " u8 levels (" << differing
              << " of " << level.numel() << " values differ), pixel_values max_abs_err " << px << "\n";
    EXPECT_LE(max_level, 1) << path;
    EXPECT_LE(px, 2e-3) << path;
  }
}

TEST(ClipPreprocess, ResizeAndCropRules) {
  // Long side truncated: 305x200 -> 341x224 (341.6); 333x513 -> 224x345 (345.4).
  EXPECT_EQ(resized_size(305, 200, 224), (std::array<int64_t, 2>{341, 224}));
  EXPECT_EQ(resized_size(333, 513, 224), (std::array<int64_t, 2>{224, 345}));
  EXPECT_EQ(resized_size(224, 224, 224), (std::array<int64_t, 2>{224, 224}));
  EXPECT_THROW(resized_size(0, 10, 224), InputError);
  // Crop offsets round half to even: (341-224)/2 = 58.5 -> 58, (227-224)/2 = 1.5 -> 2.
  int64_t top = -1, left = -1;
  center_crop(torch::zeros({224, 341, 3}, torch::kByte), 224, &top, &left);
  EXPECT_EQ(left, 58);
  EXPECT_EQ(top, 0);
  center_crop(torch::zeros({227, 224, 3}, torch::kByte), 224, &top, &left);
  EXPECT_EQ(top, 2);
  // Smaller than the crop: zero padding, as torchvision.
  auto small = center_crop(torch::full({2, 2, 1}, 7, torch::kByte), 4);
  EXPECT_EQ(small.sum().item<int64_t>(), 4 * 7);
  EXPECT_EQ(small[1][1][0].item<int>(), 7);
}

TEST(PilResize, ConstantsStayConstantAndIdentity) {
  auto img = torch::full({13, 29, 3}, 200, torch::kByte);
  for (auto [w, h] : {std::pair<int64_t, int64_t>{7, 5}, {64, 40}, {29, 40}, {100, 13}}) {
    auto out = pil_resize(img, w, h);
    EXPECT_EQ(out.sizes(), at::IntArrayRef({h, w, 3}));
    EXPECT_TRUE(out.eq(200).all().item<bool>()) << w << "x" << h;
  }
  auto noise = torch::randint(0, 256, {9, 11, 3}, torch::kByte);
  EXPECT_TRUE(torch::equal(pil_resize(noise, 11, 9), noise));
  EXPECT_THROW(pil_resize(noise, 0, 4), InputError);
  EXPECT_THROW(pil_resize(noise.to(torch::kFloat), 4, 4), InputError);
}

// Hand-computed Pillow values: upscaling a row [0,255] to 4 pixels with bicubic a=-0.5 (support 2, taps
// clamped to the image and renormalised). Output centres 0.25, 0.75, 1.25, 1.75 in input pixels:
//   x=1: taps at distance 0.25, 0.25 -> k(0.25)=0.8671875, k(0.75)=0.2265625; 255 * 0.2266/1.0938 = 52.8 -> 53
//   x=0: k(0.25)=0.8671875, k(1.25)=-0.0703125; 255 * -0.0703/0.7969 < 0 -> clipped to 0
// and by symmetry 202, 255.
TEST(PilResize, KnownBicubicWeights) {
  auto img = torch::tensor({0, 255}, torch::kByte).view({1, 2, 1});
  auto out = pil_resize(img, 4, 1).flatten().to(torch::kInt);
  std::vector<int> got(out.data_ptr<int>(), out.data_ptr<int>() + 4);
  EXPECT_EQ(got, (std::vector<int>{0, 53, 202, 255}));
}

}  // namespace
}  // namespace softprompt::modalities::vision

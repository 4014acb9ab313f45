// idx (MNIST) files, image folders, CSV lists, corrupt image handling and the seeded augmentations.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "modalities/vision/augment.h"
#include "modalities/vision/clip_preprocess.h"
#include "modalities/vision/idx_reader.h"
#include "modalities/vision/image_dataset.h"
#include "modalities/vision/image_io.h"
#include "modalities/vision/pil_resize.h"

namespace softprompt::modalities::vision {
namespace {

namespace fs = std::filesystem;

class ReadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("softprompt_vision_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& bytes) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  void png(const std::string& name, const at::Tensor& rgb) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    write_png_rgb(path(name), rgb);
  }
  void write_gz(const std::string& name, const std::string& bytes) const {
    gzFile f = gzopen(path(name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(f);
  }
  // An idx file: magic 0x0000TTNN, dims big-endian, then `body`.
  static std::string idx(uint8_t type, std::vector<uint32_t> dims, const std::string& body) {
    std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int b = 3; b >= 0; --b) s += static_cast<char>((d >> (8 * b)) & 0xff);
    return s + body;
  }
  fs::path dir_;
};

TEST_F(ReadersTest, IdxPlainAndGzip) {
  std::string body;
  for (int i = 0; i < 2 * 3 * 4; ++i) body += static_cast<char>(i * 10);
  write("images.idx", idx(0x08, {2, 3, 4}, body));
  write_gz("images.idx.gz", idx(0x08, {2, 3, 4}, body));
  write("labels.idx", idx(0x08, {2}, std::string{'\x07', '\x03'}));
  for (const auto& name : {"images.idx", "images.idx.gz"}) {
    auto t = read_idx(path(name));
    EXPECT_EQ(t.sizes(), at::IntArrayRef({2, 3, 4})) << name;
    EXPECT_EQ(t.scalar_type(), at::kByte);
    EXPECT_EQ(t[1][2][3].item<int>(), 230);
  }
  auto ds = read_idx_dataset(path("images.idx.gz"), path("labels.idx"));
  EXPECT_TRUE(torch::equal(ds.labels, torch::tensor({7, 3}, torch::kLong)));
  // Big-endian multi-byte elements: int32 258 and -2, float 1.5.
  write("ints.idx", idx(0x0C, {2}, std::string("\x00\x00\x01\x02\xff\xff\xff\xfe", 8)));
  EXPECT_TRUE(torch::equal(read_idx(path("ints.idx")), torch::tensor({258, -2}, torch::kInt)));
  write("f.idx", idx(0x0D, {1}, std::string("\x3f\xc0\x00\x00", 4)));
  EXPECT_EQ(read_idx(path("f.idx")).item<float>(), 1.5f);
}

TEST_F(ReadersTest, IdxBadFiles) {
  auto expect_error = [&](const std::string& name, const std::string& part) {
    try {
      read_idx(path(name));
      ADD_FAILURE() << "no error for " << name;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  write("magic.idx", std::string("\x01\x00\x08\x01\x00\x00\x00\x01x", 9));
  expect_error("magic.idx", "magic");
  write("type.idx", idx(0x07, {1}, "x"));
  expect_error("type.idx", "element type");
  write("short.idx", idx(0x08, {2, 28, 28}, std::string(100, 'x')));
  expect_error("short.idx", "needs 1568");
  write("long.idx", idx(0x08, {1}, "xy"));
  expect_error("long.idx", "body has 2 bytes");
  write("header.idx", std::string("\x00\x00\x08\x03\x00\x00", 6));
  expect_error("header.idx", "truncated header");
  // A gzip header followed by garbage.
  write("corrupt.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-not-deflate", 29));
  expect_error("corrupt.gz", "idx");
  EXPECT_THROW(read_idx(path("missing.idx")), IoError);
  write("labels3.idx", idx(0x08, {3}, "abc"));
  write("images2.idx", idx(0x08, {2, 1, 1}, "ab"));
  EXPECT_THROW(read_idx_dataset(path("images2.idx"), path("labels3.idx")), InputError);
}

TEST_F(ReadersTest, ImageFolderCsvAndCorruptImages) {
  auto red = torch::zeros({5, 6, 3}, torch::kByte);
  red.select(2, 0).fill_(255);
  auto grey = torch::full({4, 4, 3}, 90, torch::kByte);
  png("data/cat/a.png", red);
  png("data/cat/b.PNG", grey);
  png("data/ant/c.png", grey);
  write("data/ant/notes.txt", "not an image, ignored by extension");
  write("data/loose.png", "ignored: not in a class folder");
  auto list = list_image_folder(path("data"));
  EXPECT_EQ(list.classes, (std::vector<std::string>{"ant", "cat"}));
  ASSERT_EQ(list.items.size(), 3u);
  EXPECT_EQ(list.items[0].label, 0);
  EXPECT_EQ(list.items[2].label, 1);
  // Decoded as RGB (not OpenCV's BGR).
  auto rgb = read_image_rgb(path("data/cat/a.png"));
  EXPECT_EQ(rgb.sizes(), at::IntArrayRef({5, 6, 3}));
  EXPECT_TRUE(torch::equal(rgb, red));
  auto to_small = [](const at::Tensor& x) { return clip_preprocess(x, {/*size=*/8}).pixel_values; };
  auto loaded = load_images(list, to_small);
  EXPECT_EQ(loaded.images.sizes(), at::IntArrayRef({3, 3, 8, 8}));

  // A corrupt file, an empty file and a truncated PNG: an error naming the file, or skipped and counted.
  write("data/cat/zz_corrupt.png", "\x89PNG\r\n\x1a\n this is not a png body");
  write("data/cat/zz_empty.jpg", "");
  std::ifstream in(path("data/cat/a.png"), std::ios::binary);
  std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write("data/ant/zz_truncated.png", png.substr(0, 40));
  list = list_image_folder(path("data"));
  ASSERT_EQ(list.items.size(), 6u);
  try {
    load_images(list, to_small);
    ADD_FAILURE() << "corrupt image accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("zz_truncated.png"), std::string::npos) << e.what();
  }
  auto skipped = load_images(list, to_small, OnBadImage::kSkip);
  EXPECT_EQ(skipped.images.size(0), 3);
  EXPECT_EQ(skipped.skipped.size(), 3u);
  EXPECT_TRUE(torch::equal(skipped.labels, torch::tensor({0, 1, 1}, torch::kLong)));
  EXPECT_THROW(list_image_folder(path("nope")), IoError);
  fs::create_directories(path("empty/cls"));
  EXPECT_THROW(list_image_folder(path("empty")), InputError);

  // CSV with a header, a quoted path with a comma, class names; paths relative to the CSV.
  fs::copy_file(path("data/cat/a.png"), path("data/x,y.png"));
  write("list.csv", "path,label\ndata/cat/a.png,dog\n\"data/x,y.png\",cat\n" + path("data/ant/c.png") + ",dog\n");
  auto csv = read_image_csv(path("list.csv"));
  EXPECT_EQ(csv.classes, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(csv.items.size(), 3u);
  EXPECT_EQ(csv.items[1].path, path("data/x,y.png"));
  EXPECT_EQ(csv.items[0].label, 1);
  EXPECT_EQ(load_images(csv, to_small).images.size(0), 3);
  write("ints.csv", "data/cat/a.png,4\ndata/ant/c.png,0\n");
  auto ints = read_image_csv(path("ints.csv"));
  EXPECT_TRUE(ints.classes.empty());
  EXPECT_EQ(ints.items[0].label, 4);
  write("bad.csv", "a.png,1\nb.png\n");
  try {
    read_image_csv(path("bad.csv"));
    ADD_FAILURE() << "bad csv accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_image_csv(path("missing.csv")), IoError);
}

TEST(Augment, SeededAndWithinBounds) {
  auto img = torch::randint(0, 256, {40, 60, 3}, torch::kByte);
  AugmentOptions o;
  o.size = 16;
  ClipAugment a(o, 7), b(o, 7), c(o, 8);
  auto xa = a(img), xb = b(img), xc = c(img);
  EXPECT_EQ(xa.sizes(), at::IntArrayRef({3, 16, 16}));
  EXPECT_TRUE(torch::equal(xa, xb));
  EXPECT_FALSE(torch::equal(xa, xc));
  for (int i = 0; i < 200; ++i) {
    auto box = a.sample_crop(40, 60);
    ASSERT_TRUE(box.top >= 0 && box.left >= 0 && box.height > 0 && box.width > 0);
    ASSERT_TRUE(box.top + box.height <= 40 && box.left + box.width <= 60);
    const double frac = static_cast<double>(box.height * box.width) / (40 * 60);
    ASSERT_LE(frac, 1.0 + 1e-9);
  }
  // Whole image (scale 1, ratio = its aspect) and a certain flip: the flipped PIL resize.
  o.scale = {1.0, 1.0};
  o.ratio = {1.5, 1.5};
  o.flip_probability = 1.0;
  ClipAugment whole(o, 1);
  auto got = whole.augment_u8(img);
  EXPECT_TRUE(torch::equal(got, flip_horizontal(pil_resize(img, 16, 16))));
  o.scale = {0.5, 0.2};
  EXPECT_THROW(ClipAugment(o, 1), InputError);
}

TEST(ImageIo, GrayToRgb) {
  auto g = torch::arange(6, torch::kByte).view({2, 3});
  auto rgb = gray_to_rgb(g);
  EXPECT_EQ(rgb.sizes(), at::IntArrayRef({2, 3, 3}));
  EXPECT_TRUE(torch::equal(rgb.select(2, 2), g));
  EXPECT_THROW(gray_to_rgb(torch::zeros({2, 3, 2}, torch::kByte)), InputError);
}

}  // namespace
}  // namespace softprompt::modalities::vision

// Truncation and padding helpers of the Tokenizer interface.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "modalities/text/tokenizer.h"

namespace softprompt::modalities::text {
namespace {

TEST(Truncate, RightLeftAndKeptEndToken) {
  const Ids ids = {1, 2, 3, 4, 5};
  EXPECT_EQ(truncate(ids, {3, Side::kRight, std::nullopt}), (Ids{1, 2, 3}));
  EXPECT_EQ(truncate(ids, {3, Side::kLeft, std::nullopt}), (Ids{3, 4, 5}));
  EXPECT_EQ(truncate(ids, {3, Side::kRight, 9}), (Ids{1, 2, 9}));
  EXPECT_EQ(truncate(ids, {3, Side::kLeft, 9}), (Ids{9, 4, 5}));
  EXPECT_EQ(truncate(ids, {5, Side::kRight, 9}), ids);  // fits: untouched, end token not forced
  EXPECT_EQ(truncate(ids, {0, Side::kRight, 9}), ids);
}

TEST(PadBatch, RightAndLeft) {
  const std::vector<Ids> rows = {{5, 6, 7}, {8}};
  auto r = pad_batch(rows, {/*pad_id=*/0, Side::kRight, 0, 1});
  EXPECT_TRUE(torch::equal(r.input_ids, torch::tensor({5, 6, 7, 8, 0, 0}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(r.attention_mask, torch::tensor({1, 1, 1, 1, 0, 0}, torch::kInt64).view({2, 3})));
  EXPECT_EQ(r.lengths, (Ids{3, 1}));
  auto l = pad_batch(rows, {/*pad_id=*/50256, Side::kLeft, 0, 1});
  EXPECT_TRUE(
      torch::equal(l.input_ids, torch::tensor({5, 6, 7, 50256, 50256, 8}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(l.attention_mask, torch::tensor({1, 1, 1, 0, 0, 1}, torch::kInt64).view({2, 3})));
}

TEST(PadBatch, FixedLengthMultipleAndErrors) {
  const std::vector<Ids> rows = {{1, 2, 3}};
  EXPECT_EQ(pad_batch(rows, {0, Side::kRight, 77, 1}).input_ids.size(1), 77);
  EXPECT_EQ(pad_batch(rows, {0, Side::kRight, 0, 8}).input_ids.size(1), 8);
  EXPECT_THROW(pad_batch(rows, {0, Side::kRight, 2, 1}), InputError);
  EXPECT_THROW(pad_batch(rows, {0, Side::kRight, 0, 0}), InputError);
  const auto empty = pad_batch({}, {});
  EXPECT_EQ(empty.input_ids.sizes(), (std::vector<int64_t>{0, 0}));
}

}  // namespace
}  // namespace softprompt::modalities::text

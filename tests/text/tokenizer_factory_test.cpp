// load_tokenizer: kind detection for every accepted path form, and clear errors for the rest.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"
#include "modalities/text/sentencepiece_tokenizer.h"
#include "modalities/text/tokenizer_factory.h"
#include "tests/text/test_util.h"

namespace softprompt::modalities::text {
namespace {
using namespace testing;

TEST(TokenizerFactory, FixturePaths) {
  EXPECT_EQ(detect_tokenizer_kind(fixture("gpt2_tokenizer")), TokenizerKind::kGpt2);
  EXPECT_EQ(detect_tokenizer_kind(fixture("clip_tokenizer/bpe_simple_vocab_16e6.txt.gz")),
            TokenizerKind::kClip);
  EXPECT_EQ(detect_tokenizer_kind(fixture("clip_tokenizer")), TokenizerKind::kClip);
  EXPECT_EQ(load_tokenizer(fixture("gpt2_tokenizer"))->encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(load_tokenizer(fixture("clip_tokenizer"))->encode("a photo of a cat"),
            (Ids{320, 1125, 539, 320, 2368}));
}

TEST(TokenizerFactory, ShippedAssetsMatchTheFixtures) {
  const std::string assets = std::string(SOFTPROMPT_SOURCE_DIR) + "/assets/tokenizers";
  EXPECT_EQ(load_tokenizer(assets + "/gpt2")->kind(), "gpt2");
  EXPECT_EQ(load_tokenizer(assets + "/clip/bpe_simple_vocab_16e6.txt.gz")->kind(), "clip");
  EXPECT_EQ(load_tokenizer("gpt2")->encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(load_tokenizer("clip")->encode("a photo of a cat"), (Ids{320, 1125, 539, 320, 2368}));
}

TEST(TokenizerFactory, SentencePieceModelAndDirectory) {
  TempDir dir("factory_spm");
  std::string corpus;
  for (int i = 0; i < 50; ++i) corpus += "hello world number " + std::to_string(i) + "\n";
  write_text(dir.file("c.txt"), corpus);
  SentencePieceTrainOptions opt;
  opt.input = dir.file("c.txt");
  opt.model_prefix = dir.file("tokenizer");
  opt.vocab_size = 30;
  opt.extra = {{"hard_vocab_limit", "false"}};  // a tiny corpus may not fill 30 pieces
  train_sentencepiece(opt);
  EXPECT_EQ(detect_tokenizer_kind(dir.file("tokenizer.model")), TokenizerKind::kSentencePiece);
  EXPECT_EQ(detect_tokenizer_kind(dir.str()), TokenizerKind::kSentencePiece);
  EXPECT_EQ(load_tokenizer(dir.str())->decode(load_tokenizer(dir.str())->encode("hello world")),
            "hello world");
}

TEST(TokenizerFactory, Errors) {
  EXPECT_THROW(load_tokenizer("/nonexistent/tokenizer"), IoError);
  TempDir dir("factory_bad");
  EXPECT_THROW(load_tokenizer(dir.str()), InputError);  // an empty directory
  write_text(dir.file("notes.txt"), "hello");
  EXPECT_THROW(load_tokenizer(dir.file("notes.txt")), InputError);
}

}  // namespace
}  // namespace softprompt::modalities::text

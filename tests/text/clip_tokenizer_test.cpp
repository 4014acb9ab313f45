// CLIP BPE against tests/fixtures/clip_tokenizer (openai/CLIP SimpleTokenizer + clip.tokenize, ftfy 6.3.1).
#include <gtest/gtest.h>

#include "core/errors.h"
#include "modalities/text/clip_tokenizer.h"
#include "tests/text/test_util.h"

namespace softprompt::modalities::text {
namespace {
using namespace testing;

const ClipTokenizer& tok() {
  static const auto t = ClipTokenizer::from_file(fixture("clip_tokenizer/bpe_simple_vocab_16e6.txt.gz"));
  return *t;
}

const nlohmann::json& cases() {
  static const nlohmann::json c = read_json(fixture("clip_tokenizer/cases.json"))["cases"];
  return c;
}

TEST(ClipTokenizer, VocabularyLayout) {
  EXPECT_EQ(tok().vocab_size(), 49408);
  EXPECT_EQ(tok().sot(), 49406);
  EXPECT_EQ(tok().eot(), 49407);
  EXPECT_EQ(tok().id_to_token(256), "!</w>");
  EXPECT_EQ(tok().special_tokens().pad, 0);
}

// Every case, including the five where ftfy changes the ids (all five are reproduced; see clip_tokenizer.h).
TEST(ClipTokenizer, AllFixtureCasesCleanedText) {
  ASSERT_EQ(cases().size(), 30u);
  int ftfy_cases = 0;
  for (const auto& c : cases()) {
    ftfy_cases += c["ftfy_changes_ids"].get<bool>();
    EXPECT_EQ(ClipTokenizer::clean(c["text"].get<std::string>()), c["cleaned"].get<std::string>())
        << "text: " << c["text"].dump();
  }
  EXPECT_EQ(ftfy_cases, 5);
}

TEST(ClipTokenizer, AllFixtureCasesEncodeIdsAndTokens) {
  for (const auto& c : cases()) {
    const auto ids = tok().encode(c["text"].get<std::string>());
    EXPECT_EQ(ids, ids_of(c["encode_ids"])) << "text: " << c["text"].dump();
    const auto tokens = c["bpe_tokens"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), tokens.size());
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(tok().id_to_token(ids[i]), tokens[i]);
  }
}

TEST(ClipTokenizer, AllFixtureCasesTokenize77) {
  int truncated = 0;
  for (const auto& c : cases()) {
    const bool truncate = c["truncate"];
    truncated += truncate;
    EXPECT_EQ(tok().tokenize(c["text"].get<std::string>(), 77, truncate), ids_of(c["tokenize_77"]))
        << "text: " << c["text"].dump();
    if (truncate) {
      EXPECT_THROW(tok().tokenize(c["text"].get<std::string>(), 77, false), InputError);
    }
  }
  EXPECT_EQ(truncated, 1);  // the long caption
}

TEST(ClipTokenizer, AllFixtureCasesDecode) {
  for (const auto& c : cases())
    EXPECT_EQ(tok().decode(ids_of(c["encode_ids"])), c["decoded"].get<std::string>())
        << "text: " << c["text"].dump();
}

TEST(ClipTokenizer, SpecialTokens) {
  const auto ids = tok().encode("a photo of a cat", /*add_special=*/true);
  EXPECT_EQ(ids.front(), 49406);
  EXPECT_EQ(ids.back(), 49407);
  EXPECT_EQ(tok().decode(ids, /*skip_special=*/true), "a photo of a cat ");
  EXPECT_EQ(tok().decode(ids), "<|startoftext|>a photo of a cat <|endoftext|>");
}

TEST(ClipTokenizer, InvalidUtf8AndBadFiles) {
  EXPECT_THROW(tok().encode("\xFF"), InputError);
  EXPECT_THROW(ClipTokenizer::from_file("/nonexistent/bpe.txt.gz"), IoError);
  TempDir dir("clip_bad");
  write_text(dir.file("short.txt"), "header\na b\n");
  EXPECT_THROW(ClipTokenizer::from_file(dir.file("short.txt")), InputError);  // far fewer than 48894 merges
  write_text(dir.file("bad.txt"), "header\nabc\n");
  EXPECT_THROW(ClipTokenizer::from_file(dir.file("bad.txt")), InputError);  // a line that is not a merge
}

}  // namespace
}  // namespace softprompt::modalities::text

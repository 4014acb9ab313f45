// GPT-2 byte-level BPE against tests/fixtures/gpt2_tokenizer (HF GPT2Tokenizer and gpt-3-encoder ids).
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "core/errors.h"
#include "modalities/text/gpt2_tokenizer.h"
#include "tests/text/test_util.h"

namespace softprompt::modalities::text {
namespace {
using namespace testing;

const Gpt2Tokenizer& tok() {
  static const auto t = Gpt2Tokenizer::from_directory(fixture("gpt2_tokenizer"));
  return *t;
}

const nlohmann::json& cases() {
  static const nlohmann::json c = read_json(fixture("gpt2_tokenizer/cases.json"))["cases"];
  return c;
}

TEST(Gpt2Tokenizer, AllFixtureCasesHuggingFaceIds) {
  ASSERT_EQ(cases().size(), 34u);
  for (const auto& c : cases()) {
    const std::string text = c["text"];
    EXPECT_EQ(tok().encode(text, /*add_special=*/true), ids_of(c["ids"])) << "text: " << c["text"].dump();
  }
}

TEST(Gpt2Tokenizer, AllFixtureCasesOriginalEncoderIds) {
  for (const auto& c : cases()) {
    const std::string text = c["text"];
    EXPECT_EQ(tok().encode(text, /*add_special=*/false), ids_of(c["gpt3_encoder_js_ids"]))
        << "text: " << c["text"].dump();
  }
}

TEST(Gpt2Tokenizer, TokensAndDecodeRoundTrip) {
  for (const auto& c : cases()) {
    const auto ids = ids_of(c["ids"]);
    const auto tokens = c["tokens"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), tokens.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(tok().id_to_token(ids[i]), tokens[i]);
      EXPECT_EQ(tok().token_to_id(tokens[i]), ids[i]);
    }
    EXPECT_EQ(tok().decode(ids), c["decoded"].get<std::string>());
    EXPECT_EQ(tok().decode(ids), c["text"].get<std::string>()) << "round trip: " << c["text"].dump();
  }
}

TEST(Gpt2Tokenizer, SpecialTokensAndVocab) {
  EXPECT_EQ(tok().vocab_size(), 50257);
  EXPECT_EQ(tok().special_tokens().eos, 50256);
  EXPECT_EQ(tok().special_tokens().bos, 50256);
  EXPECT_FALSE(tok().special_tokens().pad.has_value());
  EXPECT_EQ(tok().decode({5239, 50256, 3549}, /*skip_special=*/true), "textmore");
  EXPECT_FALSE(tok().token_to_id("no such token").has_value());
  EXPECT_THROW(tok().id_to_token(50257), InputError);
  EXPECT_THROW(tok().decode({-1}), InputError);
}

TEST(Gpt2Tokenizer, PartialUtf8DecodesToReplacementCharacter) {
  const auto ids = tok().encode("\xF0\x9F\x98\x80");  // one emoji = several byte-level tokens
  ASSERT_GT(ids.size(), 1u);
  EXPECT_EQ(tok().decode({ids[0]}), "\xEF\xBF\xBD");
}

TEST(Gpt2Tokenizer, InvalidUtf8IsAnInputErrorWithTheOffset) {
  try {
    tok().encode(std::string("ab\xC3(", 4));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("byte offset 2"), std::string::npos) << e.what();
  }
}

TEST(Gpt2Tokenizer, HuggingFaceFileNames) {
  TempDir dir("gpt2_hf");
  std::filesystem::copy_file(fixture("gpt2_tokenizer/encoder.json"), dir.file("vocab.json"));
  std::filesystem::copy_file(fixture("gpt2_tokenizer/vocab.bpe"), dir.file("merges.txt"));
  const auto hf = Gpt2Tokenizer::from_directory(dir.str());
  for (const auto& c : cases()) EXPECT_EQ(hf->encode(c["text"].get<std::string>(), true), ids_of(c["ids"]));
}

TEST(Gpt2Tokenizer, MemoIsThreadSafeAndConsistent) {
  std::vector<std::vector<Ids>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (const auto& c : cases()) got[t].push_back(tok().encode(c["text"].get<std::string>(), true));
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t)
    for (size_t i = 0; i < cases().size(); ++i) EXPECT_EQ(got[t][i], ids_of(cases()[i]["ids"]));
}

TEST(Gpt2Tokenizer, BadFilesAreClearErrors) {
  EXPECT_THROW(Gpt2Tokenizer::from_directory("/nonexistent/dir"), IoError);
  TempDir dir("gpt2_bad");
  write_text(dir.file("vocab.json"), "{\"a\": 0,");
  write_text(dir.file("merges.txt"), "#version: 0.2\n");
  EXPECT_THROW(Gpt2Tokenizer::from_directory(dir.str()), InputError);  // truncated JSON

  write_text(dir.file("vocab.json"), "[1, 2]");
  EXPECT_THROW(Gpt2Tokenizer::from_directory(dir.str()), InputError);  // not an object

  std::filesystem::copy_file(fixture("gpt2_tokenizer/encoder.json"), dir.file("vocab.json"),
                             std::filesystem::copy_options::overwrite_existing);
  write_text(dir.file("merges.txt"), "#version: 0.2\nĠ t\nthree parts here\n");
  try {
    Gpt2Tokenizer::from_directory(dir.str());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("merges.txt:3"), std::string::npos) << e.what();
  }
  write_text(dir.file("merges.txt"), "#version: 0.2\nq zzzz\n");  // "qzzzz" is not a GPT-2 token
  EXPECT_THROW(Gpt2Tokenizer::from_directory(dir.str()), InputError);
}

}  // namespace
}  // namespace softprompt::modalities::text

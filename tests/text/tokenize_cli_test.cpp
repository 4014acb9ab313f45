// `softprompt tokenize` end to end through the built binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "core/io/atomic_file.h"
#include "modalities/text/sentencepiece_tokenizer.h"
#include "tests/text/test_util.h"

namespace softprompt::modalities::text {
namespace {
using namespace testing;

struct Run {
  int status = -1;
  std::string out, err;
};

Run tokenize_cli(const std::string& args, const std::string& input) {
  const std::string bin = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";
  if (!std::filesystem::exists(bin)) ADD_FAILURE() << bin << " is missing: build the `softprompt` target";
  TempDir dir("cli");
  write_text(dir.file("in.txt"), input);
  const std::string cmd = "'" + bin + "' --threads 1 tokenize " + args + " < '" + dir.file("in.txt") +
                          "' > '" + dir.file("out.txt") + "' 2> '" + dir.file("err.txt") + "'";
  const int raw = std::system(cmd.c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = core::io::read_file(dir.file("out.txt"));
  r.err = core::io::read_file(dir.file("err.txt"));
  return r;
}

TEST(TokenizeCli, Gpt2BothEndOfTextModes) {
  const std::string in = "\"Hello world\"\n\"text<|endoftext|>more text\"\n";
  const auto plain = tokenize_cli("--tokenizer '" + fixture("gpt2_tokenizer") + "'", in);
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out, "[15496,995]\n[5239,27,91,437,1659,5239,91,29,3549,2420]\n");
  const auto special = tokenize_cli("--tokenizer '" + fixture("gpt2_tokenizer") + "' --add-special", in);
  EXPECT_EQ(special.status, 0) << special.err;
  EXPECT_EQ(special.out, "[15496,995]\n[5239,50256,3549,2420]\n");
}

TEST(TokenizeCli, ClipWithSpecialTokensAndJsonEscapes) {
  const auto r = tokenize_cli("--tokenizer clip --add-special", "\"A Photo Of A CAT\"\n\"\\u00e9\"\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[49406,320,1125,539,320,2368,49407]\n[49406,4166,49407]\n");
}

TEST(TokenizeCli, SentencePieceModuleLoadsUnderTheBinary) {
  TempDir dir("cli_spm");
  std::string corpus;
  for (int i = 0; i < 40; ++i) corpus += "one two three " + std::to_string(i) + "\n";
  write_text(dir.file("c.txt"), corpus);
  SentencePieceTrainOptions opt;
  opt.input = dir.file("c.txt");
  opt.model_prefix = dir.file("m");
  opt.vocab_size = 30;
  opt.extra = {{"hard_vocab_limit", "false"}};  // a tiny corpus may not fill 30 pieces
  train_sentencepiece(opt);
  SentencePieceTokenizer tok(dir.file("m.model"));
  const auto r = tokenize_cli("--tokenizer '" + dir.file("m.model") + "' --add-special", "\"one two\"\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, nlohmann::json(tok.encode("one two", true)).dump() + "\n");
}

TEST(TokenizeCli, BadLinesExitTwoNamingTheLine) {
  const std::string gpt2 = "--tokenizer '" + fixture("gpt2_tokenizer") + "'";
  auto r = tokenize_cli(gpt2, "\"ok\"\n42\n\"never reached\"\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "[482]\n");
  EXPECT_NE(r.err.find("error: line 2: expected a JSON string"), std::string::npos) << r.err;
  r = tokenize_cli(gpt2, "\"ok\"\n\"ok\"\n\"bad \xFF\"\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("error: line 3: invalid UTF-8 in the line at byte offset 5"), std::string::npos)
      << r.err;
  r = tokenize_cli(gpt2, "not json\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("error: line 1: not JSON"), std::string::npos) << r.err;
  r = tokenize_cli("--tokenizer /nonexistent", "\"x\"\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace softprompt::modalities::text

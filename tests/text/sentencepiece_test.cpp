// sentencepiece in the same process as LibTorch: train, load, encode/decode, next to a LibTorch forward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "modalities/text/sentencepiece_tokenizer.h"
#include "tests/text/test_util.h"

namespace softprompt::modalities::text {
namespace {
using namespace testing;

// A small deterministic corpus: every combination of a few words, one sentence per line.
std::string corpus() {
  const char* subjects[] = {"the cat", "a dog", "my neighbour", "the old man", "a small bird", "the teacher"};
  const char* verbs[] = {"sees", "likes", "follows", "watches", "feeds", "hears"};
  const char* objects[] = {"the river", "a red ball", "the quiet garden", "some bread", "the morning train"};
  std::string out;
  for (const char* s : subjects)
    for (const char* v : verbs)
      for (const char* o : objects) out += std::string(s) + " " + v + " " + o + " <mask> today.\n";
  return out;
}

struct Trained {
  TempDir dir{"spm"};
  std::string model;
  explicit Trained(const std::string& type, int64_t vocab = 40) {
    write_text(dir.file("corpus.txt"), corpus());
    SentencePieceTrainOptions opt;
    opt.input = dir.file("corpus.txt");
    opt.model_prefix = dir.file("m");
    opt.vocab_size = vocab;
    opt.model_type = type;
    opt.character_coverage = 1.0;
    opt.user_defined_symbols = {"<mask>"};
    opt.seed = 7;
    train_sentencepiece(opt);
    model = dir.file("m.model");
  }
};

TEST(SentencePiece, ModuleLoadsUnderThisExecutable) {
  const std::string path = sentencepiece_module_path();
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
}

TEST(SentencePiece, TrainEncodeDecodeNextToALibTorchForward) {
  Trained t("unigram");
  ASSERT_TRUE(std::filesystem::exists(t.dir.file("m.vocab")));
  SentencePieceTokenizer tok(t.model);
  EXPECT_EQ(tok.kind(), "sentencepiece");
  EXPECT_EQ(tok.vocab_size(), 40);
  const std::string text = "the cat sees a red ball <mask> today.";
  const Ids ids = tok.encode(text);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(tok.decode(ids), text);
  // The user-defined symbol is one piece.
  const auto mask = tok.token_to_id("<mask>");
  ASSERT_TRUE(mask.has_value());
  EXPECT_NE(std::find(ids.begin(), ids.end(), *mask), ids.end());
  EXPECT_EQ(tok.id_to_token(*mask), "<mask>");
  // LibTorch in the same process: embed the ids and run a linear layer.
  torch::manual_seed(0);
  torch::nn::Embedding emb(tok.vocab_size(), 8);
  torch::nn::Linear lin(8, 4);
  const auto x = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0);
  const auto y = lin->forward(emb->forward(x));  // [1,T] -> [1,T,8] -> [1,T,4]
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, static_cast<int64_t>(ids.size()), 4}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  // ... and sentencepiece still works after the forward.
  EXPECT_EQ(tok.decode(tok.encode("a dog feeds some bread")), "a dog feeds some bread");
}

TEST(SentencePiece, SpecialTokens) {
  Trained t("bpe");
  SentencePieceTokenizer tok(t.model);
  const auto s = tok.special_tokens();
  EXPECT_EQ(s.unk, 0);
  EXPECT_EQ(s.bos, 1);
  EXPECT_EQ(s.eos, 2);
  EXPECT_FALSE(s.pad.has_value());  // sentencepiece's default pad_id is -1
  const Ids plain = tok.encode("a dog");
  const Ids with = tok.encode("a dog", /*add_special=*/true);
  ASSERT_EQ(with.size(), plain.size() + 2);
  EXPECT_EQ(with.front(), 1);
  EXPECT_EQ(with.back(), 2);
  EXPECT_EQ(tok.decode(with), "a dog");  // control tokens never print
  const Ids unk = tok.encode("zebra");   // 'z' never occurs in the corpus
  EXPECT_NE(tok.decode(unk), tok.decode(unk, /*skip_special=*/true));
}

TEST(SentencePiece, TrainingIsDeterministic) {
  Trained a("unigram");
  SentencePieceTrainOptions opt;  // the same options and input once more (the input path is in the model)
  opt.input = a.dir.file("corpus.txt");
  opt.model_prefix = a.dir.file("again");
  opt.vocab_size = 40;
  opt.model_type = "unigram";
  opt.character_coverage = 1.0;
  opt.user_defined_symbols = {"<mask>"};
  opt.seed = 7;
  train_sentencepiece(opt);
  // Compared with EXPECT_TRUE: a failing EXPECT_EQ would print the whole binary model.
  EXPECT_TRUE(core::io::read_file(a.model) == core::io::read_file(a.dir.file("again.model")));
  EXPECT_EQ(core::io::read_file(a.dir.file("m.vocab")), core::io::read_file(a.dir.file("again.vocab")));
}

TEST(SentencePiece, BadInputIsAnErrorNotACrash) {
  Trained t("unigram");
  SentencePieceTokenizer tok(t.model);
  EXPECT_THROW(tok.encode("ab\xE2\x82"), InputError);
  EXPECT_THROW(tok.decode({0, 40}), InputError);
  EXPECT_THROW(tok.decode({-5}), InputError);
  EXPECT_THROW(tok.id_to_token(1000), InputError);
  EXPECT_FALSE(tok.token_to_id("no-such-piece").has_value());

  EXPECT_THROW(SentencePieceTokenizer("/nonexistent.model"), IoError);
  write_text(t.dir.file("garbage.model"), "this is not a protobuf");
  EXPECT_THROW(SentencePieceTokenizer(t.dir.file("garbage.model")), InputError);

  SentencePieceTrainOptions opt;
  opt.input = t.dir.file("corpus.txt");
  opt.model_prefix = t.dir.file("bad");
  opt.vocab_size = 40;
  opt.model_type = "trigram";
  EXPECT_THROW(train_sentencepiece(opt), InputError);
  opt.model_type = "unigram";
  opt.input = t.dir.file("missing.txt");
  EXPECT_THROW(train_sentencepiece(opt), IoError);
  opt.input = t.dir.file("corpus.txt");
  opt.vocab_size = 100000;  // far more pieces than this corpus has
  EXPECT_THROW(train_sentencepiece(opt), InputError);
  EXPECT_FALSE(std::filesystem::exists(t.dir.file("bad.model")));  // nothing half-written
}

}  // namespace
}  // namespace softprompt::modalities::text

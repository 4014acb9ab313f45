#pragma once
// GPT-2 byte-level BPE tokenizer (Radford et al. 2019), id-exact with Hugging Face's GPT2Tokenizer and the
// original OpenAI encoder.py. Loads a directory holding vocab.json + merges.txt (HF names) or encoder.json +
// vocab.bpe (OpenAI names).
#include <memory>
#include <string>

#include "modalities/text/byte_level_bpe.h"
#include "modalities/text/regex_splitter.h"
#include "modalities/text/tokenizer.h"

namespace softprompt::modalities::text {

class Gpt2Tokenizer final : public Tokenizer {
 public:
  static constexpr const char* kEndOfText = "<|endoftext|>";

  // Throws IoError for a missing/unreadable file and InputError (naming the file and line) for bad contents.
  static std::unique_ptr<Gpt2Tokenizer> from_directory(const std::string& dir);
  Gpt2Tokenizer(std::unordered_map<std::string, int64_t> vocab, std::vector<Merge> merges);

  std::string kind() const override { return "gpt2"; }
  // add_special=false: the original OpenAI encoder (and gpt-3-encoder): "<|endoftext|>" in the text is BPE'd
  // as ordinary text. add_special=true: Hugging Face's behaviour: every "<|endoftext|>" in the text is split
  // out as the special id 50256. Neither adds BOS/EOS (GPT2Tokenizer's default).
  Ids encode(std::string_view text, bool add_special = false) const override;
  // skip_special drops <|endoftext|>.
  std::string decode(const Ids& ids, bool skip_special = false) const override;
  int64_t vocab_size() const override { return bpe_.size(); }
  std::string id_to_token(int64_t id) const override { return bpe_.token(id); }
  std::optional<int64_t> token_to_id(std::string_view token) const override { return bpe_.id(token); }
  // bos = eos = <|endoftext|>; GPT-2 has no pad and no unk.
  SpecialTokens special_tokens() const override;

 private:
  void encode_plain(std::string_view text, Ids& out) const;

  ByteLevelBpe bpe_;
  RegexSplitter splitter_;
  std::optional<int64_t> eot_;
};

}  // namespace softprompt::modalities::text

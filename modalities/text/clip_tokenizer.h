#pragma once
// CLIP's byte-level BPE tokenizer (Radford et al. 2021, openai/CLIP simple_tokenizer.py and clip.tokenize):
// lower-cased text with end-of-word markers, SOT = 49406, EOT = 49407, context 77. Reads
// bpe_simple_vocab_16e6.txt.gz (gzip or plain text).
//
// Text cleaning follows the reference: ftfy.fix_text, html.unescape twice, strip, whitespace collapse,
// lower(). ftfy is reproduced in part (see ftfy_lite.h). Of the fixture strings on which ftfy changes the ids
// (clip_tokenizer/cases.json, ftfy_changes_ids), all five are matched: the decomposed accent (NFC), the
// mojibake "cafÃ©" (whole-line Latin-1 -> UTF-8), the curly quotes (uncurl_quotes), the ligature + fullwidth
// letters (fix_latin_ligatures, fix_character_width) and the terminal colour escapes
// (remove_terminal_escapes). What is not reproduced: mojibake that ftfy only repairs through its badness
// heuristics (mixed with correct text on one line, or from code pages other than Latin-1/Windows-1252); such
// text keeps its mojibake here.
#include <memory>
#include <string>

#include "modalities/text/byte_level_bpe.h"
#include "modalities/text/regex_splitter.h"
#include "modalities/text/tokenizer.h"

namespace softprompt::modalities::text {

class ClipTokenizer final : public Tokenizer {
 public:
  static constexpr int64_t kContextLength = 77;
  static constexpr const char* kStartOfText = "<|startoftext|>";
  static constexpr const char* kEndOfText = "<|endoftext|>";

  // Throws IoError for an unreadable file, InputError for bad contents (naming the path and line).
  static std::unique_ptr<ClipTokenizer> from_file(const std::string& path);
  // `merges_text`: the decompressed file (first line is a header; 48894 merges are used, as in CLIP).
  ClipTokenizer(std::string_view merges_text, const std::string& label);

  std::string kind() const override { return "clip"; }
  // add_special: SOT ... EOT. The literal strings "<|startoftext|>" / "<|endoftext|>" in the (lower-cased)
  // text always become SOT / EOT, as in the reference.
  Ids encode(std::string_view text, bool add_special = false) const override;
  // The reference decode: every "</w>" becomes a space (so words end with one). skip_special drops SOT/EOT.
  std::string decode(const Ids& ids, bool skip_special = false) const override;
  int64_t vocab_size() const override { return bpe_.size(); }
  std::string id_to_token(int64_t id) const override { return bpe_.token(id); }
  std::optional<int64_t> token_to_id(std::string_view token) const override { return bpe_.id(token); }
  // bos = SOT, eos = EOT, pad = 0 (clip.tokenize pads with zeros; Hugging Face pads with EOT instead).
  SpecialTokens special_tokens() const override;

  // clip.tokenize([text], context_length, truncate)[0]: SOT ... EOT, then zeros up to context_length. A text
  // that does not fit throws InputError unless `allow_truncation`, which cuts it and puts EOT last.
  Ids tokenize(std::string_view text, int64_t context_length = kContextLength,
               bool allow_truncation = false) const;
  // whitespace_clean(basic_clean(text)).lower(): the text the BPE sees (valid UTF-8 required).
  static std::string clean(std::string_view text);

  int64_t sot() const { return sot_; }
  int64_t eot() const { return eot_; }

 private:
  ByteLevelBpe bpe_;
  RegexSplitter splitter_;
  int64_t sot_ = 0, eot_ = 0;
};

}  // namespace softprompt::modalities::text

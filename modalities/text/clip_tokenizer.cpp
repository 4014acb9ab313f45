#include "modalities/text/clip_tokenizer.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"
#include "modalities/text/ftfy_lite.h"
#include "modalities/text/html_unescape.h"
#include "modalities/text/icu_text.h"
#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

// simple_tokenizer.py's pattern (regex.IGNORECASE), with \s spelled as the White_Space property.
constexpr const char* kPattern =
    R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|)"
    R"([^\p{White_Space}\p{L}\p{N}]+)";
constexpr int64_t kMerges = 49152 - 256 - 2;  // merges[1:49152-256-2+1]

// Python's str.isspace() (Unicode 14; White_Space plus the ASCII separators U+001C..U+001F).
bool py_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// re.sub(r'\s+', ' ', text).strip()
std::string whitespace_clean(std::string_view s) {
  std::u32string out;
  bool pending = false;
  for (char32_t c : decode_utf8(s)) {
    if (py_isspace(c)) {
      pending = true;
      continue;
    }
    if (pending && !out.empty()) out += U' ';
    pending = false;
    out += c;
  }
  return encode_utf8(out);
}

std::string read_maybe_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");  // also reads a plain (uncompressed) file as is
  if (!f) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  int err = 0;
  const std::string msg = n < 0 ? gzerror(f, &err) : "";
  gzclose(f);
  if (n < 0) throw IoError("cannot read '" + path + "': " + msg);
  return out;
}

std::unordered_map<std::string, int64_t> clip_vocab(const std::vector<Merge>& merges) {
  std::vector<std::string> tokens = byte_symbols_in_dict_order();
  for (size_t i = 0; i < 256; ++i) tokens.push_back(tokens[i] + "</w>");
  for (const auto& [a, b] : merges) tokens.push_back(a + b);
  tokens.emplace_back(ClipTokenizer::kStartOfText);
  tokens.emplace_back(ClipTokenizer::kEndOfText);
  std::unordered_map<std::string, int64_t> vocab;
  for (size_t i = 0; i < tokens.size(); ++i)
    if (!vocab.emplace(tokens[i], static_cast<int64_t>(i)).second)
      throw InputError("CLIP BPE: token '" + tokens[i] + "' occurs twice in the vocabulary");
  return vocab;
}

ByteLevelBpe make_bpe(std::string_view merges_text, const std::string& label) {
  validate_utf8(merges_text, label);
  std::vector<Merge> merges = parse_merges(merges_text, label, /*first_line=*/1, kMerges);
  auto vocab = clip_vocab(merges);
  return ByteLevelBpe(std::move(vocab), std::move(merges), ByteLevelBpe::Options{"</w>"});
}

}  // namespace

std::unique_ptr<ClipTokenizer> ClipTokenizer::from_file(const std::string& path) {
  return std::make_unique<ClipTokenizer>(read_maybe_gzip(path), path);
}

ClipTokenizer::ClipTokenizer(std::string_view merges_text, const std::string& label)
    : bpe_(make_bpe(merges_text, label)), splitter_(kPattern, /*case_insensitive=*/true) {
  if (bpe_.size() != 2 * 256 + kMerges + 2)
    throw InputError(label + ": expected " + std::to_string(kMerges) +
                     " merges after the header line, found " + std::to_string(bpe_.size() - 2 * 256 - 2));
  sot_ = *bpe_.id(kStartOfText);
  eot_ = *bpe_.id(kEndOfText);
}

std::string ClipTokenizer::clean(std::string_view text) {
  validate_utf8(text);
  std::string t = html_unescape(html_unescape(ftfy_fix_text(text)));
  return icu_lower(whitespace_clean(t));  // whitespace_clean also does basic_clean's strip()
}

Ids ClipTokenizer::encode(std::string_view text, bool add_special) const {
  const std::string cleaned = clean(text);
  Ids out;
  if (add_special) out.push_back(sot_);
  for (std::string_view word : splitter_.find_all(cleaned)) {
    if (word == kStartOfText) {
      out.push_back(sot_);  // the reference's BPE cache maps the special strings to themselves
    } else if (word == kEndOfText) {
      out.push_back(eot_);
    } else {
      bpe_.encode_word(word, out);
    }
  }
  if (add_special) out.push_back(eot_);
  return out;
}

std::string ClipTokenizer::decode(const Ids& ids, bool skip_special) const {
  Ids kept;
  for (int64_t id : ids)
    if (!skip_special || (id != sot_ && id != eot_)) kept.push_back(id);
  std::string text = repair_utf8(bpe_.decode_bytes(kept));
  std::string out;
  for (size_t pos = 0;;) {
    const size_t hit = text.find("</w>", pos);
    out.append(text, pos, hit == std::string::npos ? std::string::npos : hit - pos);
    if (hit == std::string::npos) break;
    out += ' ';
    pos = hit + 4;
  }
  return out;
}

SpecialTokens ClipTokenizer::special_tokens() const {
  SpecialTokens s;
  s.bos = sot_;
  s.eos = eot_;
  s.pad = 0;
  return s;
}

Ids ClipTokenizer::tokenize(std::string_view text, int64_t context_length, bool allow_truncation) const {
  if (context_length < 2)
    throw InputError("CLIP tokenize: context_length must be >= 2, got " + std::to_string(context_length));
  Ids ids = encode(text, /*add_special=*/true);
  if (static_cast<int64_t>(ids.size()) > context_length && !allow_truncation)
    throw InputError("CLIP tokenize: the text has " + std::to_string(ids.size()) +
                     " tokens with SOT/EOT, more than context_length " + std::to_string(context_length) +
                     " (pass truncate)");
  ids = truncate(std::move(ids), TruncateOptions{context_length, Side::kRight, eot_});
  ids.resize(static_cast<size_t>(context_length), 0);
  return ids;
}

}  // namespace softprompt::modalities::text

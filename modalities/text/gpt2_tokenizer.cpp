#include "modalities/text/gpt2_tokenizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

// GPT-2's pre-split (encoder.py), with Python `regex` semantics: \s is the Unicode White_Space property
// (spelled out so that no engine's own idea of \s can leak in), contractions are case-sensitive, and
// "\s+(?!\S)" leaves the last space of a run to prefix the next word.
constexpr const char* kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|)"
    R"(\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

std::unordered_map<std::string, int64_t> parse_vocab(const std::string& path) {
  const std::string text = core::io::read_file(path);
  validate_utf8(text, path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError(path + ": expected a JSON object of token -> id");
  std::unordered_map<std::string, int64_t> vocab;
  vocab.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer())
      throw InputError(path + ": the id of token '" + it.key() + "' is not an integer");
    vocab.emplace(it.key(), it.value().get<int64_t>());
  }
  return vocab;
}

}  // namespace

std::unique_ptr<Gpt2Tokenizer> Gpt2Tokenizer::from_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::string vocab_path, merges_path;
  for (auto [v, m] : {std::pair{"vocab.json", "merges.txt"}, std::pair{"encoder.json", "vocab.bpe"}}) {
    if (fs::exists(fs::path(dir) / v) && fs::exists(fs::path(dir) / m)) {
      vocab_path = (fs::path(dir) / v).string();
      merges_path = (fs::path(dir) / m).string();
      break;
    }
  }
  if (vocab_path.empty())
    throw IoError(
        "'" + dir +
        "' is not a GPT-2 tokenizer directory: it needs vocab.json + merges.txt or encoder.json + vocab.bpe");
  const std::string merges_text = core::io::read_file(merges_path);
  validate_utf8(merges_text, merges_path);
  // The first line is "#version: 0.2"; the references drop it (split("\n")[1:-1]).
  const size_t first = merges_text.rfind("#version", 0) == 0 ? 1 : 0;
  return std::make_unique<Gpt2Tokenizer>(parse_vocab(vocab_path),
                                         parse_merges(merges_text, merges_path, first));
}

Gpt2Tokenizer::Gpt2Tokenizer(std::unordered_map<std::string, int64_t> vocab, std::vector<Merge> merges)
    : bpe_(std::move(vocab), std::move(merges), ByteLevelBpe::Options{}), splitter_(kPattern) {
  eot_ = bpe_.id(kEndOfText);
}

void Gpt2Tokenizer::encode_plain(std::string_view text, Ids& out) const {
  for (std::string_view word : splitter_.find_all(text)) bpe_.encode_word(word, out);
}

Ids Gpt2Tokenizer::encode(std::string_view text, bool add_special) const {
  validate_utf8(text);
  Ids out;
  if (!add_special || !eot_) {
    encode_plain(text, out);
    return out;
  }
  // Hugging Face splits the text at every occurrence of the special token before pre-splitting.
  const std::string_view eot(kEndOfText);
  size_t pos = 0;
  for (size_t hit; (hit = text.find(eot, pos)) != std::string_view::npos; pos = hit + eot.size()) {
    encode_plain(text.substr(pos, hit - pos), out);
    out.push_back(*eot_);
  }
  encode_plain(text.substr(pos), out);
  return out;
}

std::string Gpt2Tokenizer::decode(const Ids& ids, bool skip_special) const {
  if (!skip_special || !eot_) return repair_utf8(bpe_.decode_bytes(ids));
  Ids kept;
  for (int64_t id : ids)
    if (id != *eot_) kept.push_back(id);
  return repair_utf8(bpe_.decode_bytes(kept));
}

SpecialTokens Gpt2Tokenizer::special_tokens() const {
  SpecialTokens s;
  s.bos = eot_;
  s.eos = eot_;
  return s;
}

}  // namespace softprompt::modalities::text

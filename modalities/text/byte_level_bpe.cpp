#include "modalities/text/byte_level_bpe.h"

#include <limits>

#include "core/errors.h"
#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

// bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100.. in
// byte order. Returns (byte, code point) pairs in the Python dict's insertion order.
std::vector<std::pair<int, char32_t>> byte_table() {
  std::vector<std::pair<int, char32_t>> t;
  std::vector<bool> printable(256, false);
  for (int b = '!'; b <= '~'; ++b) printable[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
  for (int b = 0; b < 256; ++b)
    if (printable[b]) t.emplace_back(b, static_cast<char32_t>(b));
  char32_t next = 256;
  for (int b = 0; b < 256; ++b)
    if (!printable[b]) t.emplace_back(b, next++);
  return t;
}

}  // namespace

const std::vector<std::string>& byte_symbols() {
  static const std::vector<std::string> table = [] {
    std::vector<std::string> s(256);
    for (auto [b, cp] : byte_table()) append_utf8(s[static_cast<size_t>(b)], cp);
    return s;
  }();
  return table;
}

const std::vector<std::string>& byte_symbols_in_dict_order() {
  static const std::vector<std::string> table = [] {
    std::vector<std::string> s;
    for (auto [b, cp] : byte_table()) append_utf8(s.emplace_back(), cp);
    return s;
  }();
  return table;
}

std::vector<Merge> parse_merges(std::string_view text, const std::string& label, size_t first_line,
                                int64_t max_merges) {
  std::vector<Merge> merges;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size() && (max_merges < 0 || static_cast<int64_t>(merges.size()) < max_merges)) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line_no++ < first_line) continue;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos)
      throw InputError(label + ":" + std::to_string(line_no) +
                       ": expected two symbols separated by one space, got '" + std::string(line) + "'");
    merges.emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
  }
  return merges;
}

ByteLevelBpe::ByteLevelBpe(std::unordered_map<std::string, int64_t> vocab, std::vector<Merge> merges,
                           Options opt)
    : opt_(std::move(opt)), vocab_(std::move(vocab)) {
  tokens_.assign(vocab_.size(), std::string());
  std::vector<bool> seen(vocab_.size(), false);
  for (const auto& [tok, id] : vocab_) {
    if (id < 0 || id >= static_cast<int64_t>(vocab_.size()) || seen[static_cast<size_t>(id)])
      throw InputError("BPE vocabulary: id " + std::to_string(id) + " of token '" + tok +
                       "' is out of range or repeated (ids must be 0.." + std::to_string(vocab_.size() - 1) +
                       ")");
    seen[static_cast<size_t>(id)] = true;
    tokens_[static_cast<size_t>(id)] = tok;
  }
  for (const auto& s : byte_symbols()) {
    if (!vocab_.count(s)) throw InputError("BPE vocabulary lacks the byte symbol '" + s + "'");
    if (!opt_.end_of_word_suffix.empty() && !vocab_.count(s + opt_.end_of_word_suffix))
      throw InputError("BPE vocabulary lacks the end-of-word symbol '" + s + opt_.end_of_word_suffix + "'");
  }
  ranks_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    if (!vocab_.count(a + b))
      throw InputError("BPE merge " + std::to_string(r) + " '" + a + " " + b + "' gives '" + a + b +
                       "', which is not in the vocabulary");
    ranks_[a + " " + b] =
        static_cast<int>(r);  // a repeated pair takes its last rank, like Python's dict(zip())
  }
  std::unordered_map<char32_t, char> char_to_byte;
  for (auto [b, cp] : byte_table()) char_to_byte[cp] = static_cast<char>(b);
  token_bytes_.reserve(tokens_.size());
  for (const auto& tok : tokens_) {
    std::string bytes;
    for (char32_t cp : decode_utf8(tok, "BPE vocabulary token")) {
      auto it = char_to_byte.find(cp);
      if (it != char_to_byte.end()) {
        bytes.push_back(it->second);
      } else {
        append_utf8(bytes, cp);  // a character outside the byte alphabet stands for itself
      }
    }
    token_bytes_.push_back(std::move(bytes));
  }
}

int ByteLevelBpe::rank(const std::string& a, const std::string& b, std::string& key) const {
  key.assign(a).append(1, ' ').append(b);
  auto it = ranks_.find(key);
  return it == ranks_.end() ? std::numeric_limits<int>::max() : it->second;
}

std::vector<std::string> ByteLevelBpe::merge_symbols(std::vector<std::string> word) const {
  std::string key;
  while (word.size() > 1) {
    int best = std::numeric_limits<int>::max();
    size_t at = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const int r = rank(word[i], word[i + 1], key);
      if (r < best) best = r, at = i;
    }
    if (best == std::numeric_limits<int>::max()) break;
    // Merge every occurrence of the best pair, left to right without overlap (as the reference does).
    const std::string first = word[at], second = word[at + 1];
    std::vector<std::string> merged;
    merged.reserve(word.size());
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(std::move(word[i]));
        i += 1;
      }
    }
    word = std::move(merged);
  }
  return word;
}

void ByteLevelBpe::encode_word(std::string_view word_bytes, Ids& out) const {
  if (word_bytes.empty()) return;
  const std::string key(word_bytes);
  {
    std::shared_lock lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<std::string> symbols;
  symbols.reserve(word_bytes.size());
  for (char c : word_bytes) symbols.push_back(byte_symbols()[static_cast<unsigned char>(c)]);
  symbols.back() += opt_.end_of_word_suffix;
  Ids ids;
  for (const auto& s : merge_symbols(std::move(symbols))) {
    auto it = vocab_.find(s);
    if (it == vocab_.end()) throw InputError("BPE produced '" + s + "', which is not in the vocabulary");
    ids.push_back(it->second);
  }
  out.insert(out.end(), ids.begin(), ids.end());
  std::unique_lock lock(cache_mu_);
  if (cache_.size() >= opt_.max_cache_words) cache_.clear();
  cache_.emplace(key, std::move(ids));
}

std::string ByteLevelBpe::decode_bytes(const Ids& ids) const {
  std::string out;
  for (int64_t id : ids) {
    static_cast<void>(token(id));  // throws InputError when out of range
    out += token_bytes_[static_cast<size_t>(id)];
  }
  return out;
}

const std::string& ByteLevelBpe::token(int64_t id) const {
  if (id < 0 || id >= size())
    throw InputError("token id " + std::to_string(id) + " is out of range [0, " + std::to_string(size()) +
                     ")");
  return tokens_[static_cast<size_t>(id)];
}

std::optional<int64_t> ByteLevelBpe::id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

}  // namespace softprompt::modalities::text

#pragma once
// Byte-level BPE (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword Units", in the
// byte-level form of Radford et al. 2019, GPT-2): the merge engine shared by the GPT-2 and CLIP tokenizers.
// Every byte is first mapped to a printable character (GPT-2's bytes_to_unicode), then the ranked merges
// are applied to each pre-split word; results are memoised per word.
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modalities/text/tokenizer.h"

namespace softprompt::modalities::text {

// GPT-2's bytes_to_unicode(): the character (as UTF-8) that stands for each byte, in byte order.
const std::vector<std::string>& byte_symbols();
// The same table in the order of the Python dict's values (printable bytes first): CLIP's vocabulary order.
const std::vector<std::string>& byte_symbols_in_dict_order();

using Merge = std::pair<std::string, std::string>;

// Reads a merges file ("a b" per line). Like the references, line `first_line` is the first merge (1 skips
// the "#version" header) and at most `max_merges` are read (< 0: all); empty lines are skipped. Throws
// InputError naming `label` and the 1-based line for a line that is not two symbols.
std::vector<Merge> parse_merges(std::string_view text, const std::string& label, size_t first_line,
                                int64_t max_merges = -1);

class ByteLevelBpe {
 public:
  struct Options {
    // Appended to the last symbol of every word before merging (CLIP: "</w>"); empty for GPT-2.
    std::string end_of_word_suffix;
    // The memo is cleared when it grows past this many words (bounded memory on large corpora).
    size_t max_cache_words = 200000;
  };
  // `vocab`: token string -> id (ids must be 0..N-1, each once). `merges` in rank order. Throws InputError
  // naming the token when the files disagree (a byte symbol or a merge result missing from the vocabulary).
  ByteLevelBpe(std::unordered_map<std::string, int64_t> vocab, std::vector<Merge> merges, Options opt);

  // Appends the ids of one pre-split word given as raw UTF-8 bytes.
  void encode_word(std::string_view word_bytes, Ids& out) const;
  // Concatenates the tokens of `ids` and maps their characters back to bytes (the bytes may be partial
  // UTF-8). Throws InputError for an id out of range.
  std::string decode_bytes(const Ids& ids) const;

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::string& token(int64_t id) const;  // throws InputError when out of range
  std::optional<int64_t> id(std::string_view token) const;

 private:
  std::vector<std::string> merge_symbols(std::vector<std::string> word) const;
  int rank(const std::string& a, const std::string& b, std::string& key) const;

  Options opt_;
  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::string> tokens_;             // id -> token
  std::vector<std::string> token_bytes_;        // id -> the bytes it stands for
  std::unordered_map<std::string, int> ranks_;  // "a b" -> merge rank
  mutable std::shared_mutex cache_mu_;
  mutable std::unordered_map<std::string, Ids> cache_;
};

}  // namespace softprompt::modalities::text

#pragma once
// Pre-tokenization with an ICU regular expression, compiled once: re.findall() over UTF-8 text. ICU is used
// because its Unicode properties (\p{L}, \p{N}, \p{White_Space}) follow the Python `regex` module that the
// reference tokenizers use; std::regex has no Unicode classes.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace softprompt::modalities::text {

class RegexSplitter {
 public:
  // Throws InputError naming the pattern when ICU rejects it.
  explicit RegexSplitter(const std::string& pattern, bool case_insensitive = false);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Every non-overlapping leftmost match, as views into `utf8` (which must be valid UTF-8); text that no
  // alternative matches is skipped, as findall does. Thread-safe.
  std::vector<std::string_view> find_all(std::string_view utf8) const;

 private:
  struct Compiled;  // the ICU pattern (kept out of this header)
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace softprompt::modalities::text

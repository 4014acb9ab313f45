#include "modalities/text/regex_splitter.h"

#include <unicode/regex.h>
#include <unicode/utext.h>

#include "core/errors.h"

namespace softprompt::modalities::text {
namespace {

struct UTextCloser {
  void operator()(UText* t) const { utext_close(t); }
};

}  // namespace

struct RegexSplitter::Compiled {
  std::unique_ptr<icu::RegexPattern> pattern;
};

RegexSplitter::RegexSplitter(const std::string& pattern, bool case_insensitive) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError where{};
  compiled_ = std::make_unique<Compiled>();
  compiled_->pattern.reset(icu::RegexPattern::compile(
      icu::UnicodeString::fromUTF8(pattern), case_insensitive ? UREGEX_CASE_INSENSITIVE : 0, where, status));
  if (U_FAILURE(status) || !compiled_->pattern)
    throw InputError("bad tokenizer regex '" + pattern + "': " + u_errorName(status) + " at offset " +
                     std::to_string(where.offset));
}

RegexSplitter::~RegexSplitter() = default;

std::vector<std::string_view> RegexSplitter::find_all(std::string_view utf8) const {
  std::vector<std::string_view> out;
  if (utf8.empty()) return out;
  UErrorCode status = U_ZERO_ERROR;
  // A UTF-8 UText: the matcher's native indices are byte offsets, so matches map back without conversion.
  std::unique_ptr<UText, UTextCloser> text(
      utext_openUTF8(nullptr, utf8.data(), static_cast<int64_t>(utf8.size()), &status));
  std::unique_ptr<icu::RegexMatcher> m(compiled_->pattern->matcher(status));
  if (U_FAILURE(status)) throw InputError(std::string("ICU regex matcher: ") + u_errorName(status));
  m->reset(text.get());
  while (m->find(status) && U_SUCCESS(status)) {
    const int64_t s = m->start64(status), e = m->end64(status);
    if (e > s) out.push_back(utf8.substr(static_cast<size_t>(s), static_cast<size_t>(e - s)));
  }
  if (U_FAILURE(status)) throw InputError(std::string("ICU regex match failed: ") + u_errorName(status));
  return out;
}

}  // namespace softprompt::modalities::text

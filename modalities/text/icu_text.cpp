#include "modalities/text/icu_text.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "core/errors.h"

namespace softprompt::modalities::text {
namespace {

icu::UnicodeString to_icu(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::string to_utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string normalize(std::string_view s, const icu::Normalizer2* (*instance)(UErrorCode&),
                      const char* name) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = instance(status);
  if (U_FAILURE(status))
    throw InputError(std::string("ICU ") + name + " normalizer unavailable: " + u_errorName(status));
  icu::UnicodeString out = n->normalize(to_icu(s), status);
  if (U_FAILURE(status))
    throw InputError(std::string("ICU ") + name + " normalization failed: " + u_errorName(status));
  return to_utf8(out);
}

}  // namespace

std::string icu_lower(std::string_view s) { return to_utf8(to_icu(s).toLower(icu::Locale::getRoot())); }
std::string icu_upper(std::string_view s) { return to_utf8(to_icu(s).toUpper(icu::Locale::getRoot())); }
std::string icu_nfc(std::string_view s) { return normalize(s, &icu::Normalizer2::getNFCInstance, "NFC"); }
std::string icu_nfkc(std::string_view s) { return normalize(s, &icu::Normalizer2::getNFKCInstance, "NFKC"); }

}  // namespace softprompt::modalities::text

#pragma once
// Unicode case mapping and normalization through ICU, on UTF-8 strings (which must be valid UTF-8).
// Lowercasing uses the root locale, which matches Python's str.lower() (full mappings and Final_Sigma).
#include <string>
#include <string_view>

namespace softprompt::modalities::text {

std::string icu_lower(std::string_view utf8);
std::string icu_upper(std::string_view utf8);
std::string icu_nfc(std::string_view utf8);
std::string icu_nfkc(std::string_view utf8);

}  // namespace softprompt::modalities::text

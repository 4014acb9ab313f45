#pragma once
// HTML character references, as Python's html.unescape() resolves them (the CLIP tokenizer calls it twice
// on every caption): all 2231 HTML5 named references (with and without ';' where HTML5 allows it, longest
// legacy prefix as in "&ampx" -> "&x"), decimal and hex numeric references, and the HTML5 fix-ups for
// invalid numbers (C1 range -> Windows-1252, 0/surrogates/too large -> U+FFFD, noncharacters removed).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace softprompt::modalities::text {

struct HtmlEntity {
  const char* name;   // without the leading '&', e.g. "amp;" or "amp"
  const char* value;  // UTF-8
};
extern const HtmlEntity kHtml5Entities[];  // sorted bytewise by name (html_entities_table.cpp, generated)
extern const size_t kHtml5EntityCount;
// Windows-1252 meaning of bytes 0x80..0x9F (the five undefined bytes keep their C1 code point).
extern const char32_t kCp1252High[32];

// The value of a named reference (`name` without '&', with its ';' if any), or nullptr.
const char* find_html5_entity(std::string_view name);

// Python's html.unescape on valid UTF-8.
std::string html_unescape(std::string_view utf8);

// Resolves one numeric reference the way html.unescape does (code point -> replacement, "" when dropped).
std::string html_numeric_reference(uint64_t value, bool overflow);

}  // namespace softprompt::modalities::text

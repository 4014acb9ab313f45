#include "modalities/text/html_unescape.h"

#include <algorithm>
#include <cstring>

#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

// Length in bytes of the UTF-8 sequence starting with lead byte `c` (input is valid UTF-8).
size_t seq_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

// Python's _charref, numeric alternatives: "#[0-9]+;?" or "#[xX][0-9a-fA-F]+;?" right after '&'.
// Returns the bytes consumed after '&' (0 when neither matches) and appends the replacement.
size_t numeric_reference(std::string_view s, size_t i, std::string& out) {
  if (i >= s.size() || s[i] != '#') return 0;
  size_t j = i + 1;
  const bool hex = j + 1 < s.size() && (s[j] == 'x' || s[j] == 'X') && is_hex(s[j + 1]);
  if (hex) ++j;
  const size_t start = j;
  uint64_t v = 0;
  bool overflow = false;
  while (j < s.size() && (hex ? is_hex(s[j]) : is_digit(s[j]))) {
    v = v * (hex ? 16 : 10) + static_cast<uint64_t>(hex ? hex_value(s[j]) : s[j] - '0');
    if (v > 0x10FFFF) overflow = true, v = 0x110000;  // any larger value is replaced the same way
    ++j;
  }
  if (j == start) return 0;
  if (j < s.size() && s[j] == ';') ++j;
  out += html_numeric_reference(v, overflow);
  return j - i;
}

// The named alternative "[^\t\n\f <&#;]{1,32};?", then the HTML5 longest-prefix rule for legacy names.
size_t named_reference(std::string_view s, size_t i, std::string& out) {
  size_t j = i, chars = 0;
  while (j < s.size() && chars < 32 && !std::strchr("\t\n\f <&#;", s[j])) {
    j += seq_len(static_cast<unsigned char>(s[j]));
    ++chars;
  }
  if (chars == 0) return 0;
  if (j < s.size() && s[j] == ';') ++j;
  const std::string_view name = s.substr(i, j - i);
  if (const char* v = find_html5_entity(name)) {
    out += v;
    return j - i;
  }
  for (size_t x = name.size() - 1; x >= 2 && x < name.size(); --x) {
    if (const char* v = find_html5_entity(name.substr(0, x))) {
      out += v;
      out += name.substr(x);
      return j - i;
    }
  }
  out += '&';
  out += name;
  return j - i;
}

bool is_invalid_codepoint(uint64_t v) {
  return (v >= 0x1 && v <= 0x8) || v == 0xB || (v >= 0xE && v <= 0x1F) || (v >= 0x7F && v <= 0x9F) ||
         (v >= 0xFDD0 && v <= 0xFDEF) || (v & 0xFFFE) == 0xFFFE;
}

}  // namespace

const char* find_html5_entity(std::string_view name) {
  const HtmlEntity* end = kHtml5Entities + kHtml5EntityCount;
  const HtmlEntity* it =
      std::lower_bound(kHtml5Entities, end, name,
                       [](const HtmlEntity& e, std::string_view n) { return std::string_view(e.name) < n; });
  return it != end && std::string_view(it->name) == name ? it->value : nullptr;
}

std::string html_numeric_reference(uint64_t v, bool overflow) {
  std::string out;
  if (overflow || v > 0x10FFFF || v == 0 || (v >= 0xD800 && v <= 0xDFFF)) {
    append_utf8(out, 0xFFFD);
  } else if (v == 0x0D) {
    out = "\r";
  } else if (v >= 0x80 && v <= 0x9F) {
    append_utf8(out, kCp1252High[v - 0x80]);
  } else if (!is_invalid_codepoint(v)) {
    append_utf8(out, static_cast<char32_t>(v));
  }
  return out;
}

std::string html_unescape(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    size_t n = numeric_reference(s, i + 1, out);
    if (n == 0) n = named_reference(s, i + 1, out);
    if (n == 0) out += '&';
    i += 1 + n;
  }
  return out;
}

}  // namespace softprompt::modalities::text

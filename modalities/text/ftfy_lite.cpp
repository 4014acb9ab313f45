#include "modalities/text/ftfy_lite.h"

#include <unicode/uchar.h>

#include <optional>

#include "modalities/text/html_unescape.h"
#include "modalities/text/icu_text.h"
#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// ftfy's HTML_ENTITIES lookup for "&" + name + ";" (name: 1..24 ASCII letters/digits, no '#').
std::optional<std::string> ftfy_named_entity(std::string_view name) {
  const std::string with_semi = std::string(name) + ";";
  if (const char* v = find_html5_entity(with_semi)) return std::string(v);
  // The upper-cased spelling of an all-lowercase name, unless html.unescape already gives it a meaning.
  const std::string lower = icu_lower(with_semi);
  if (icu_upper(lower) != with_semi) return std::nullopt;
  const char* v = find_html5_entity(lower);
  if (!v) return std::nullopt;
  const std::string entity = "&" + with_semi;
  if (html_unescape(entity) != entity) return std::nullopt;
  return icu_upper(v);
}

// One byte per character in Latin-1 (sloppy=false) or sloppy Windows-1252 (sloppy=true), if possible.
std::optional<std::string> encode_single_byte(const std::u32string& cps, bool sloppy) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) {
    if (c < 0x80 || (c >= 0xA0 && c <= 0xFF) || (!sloppy && c <= 0xFF)) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (!sloppy) return std::nullopt;
    int byte = -1;
    for (int b = 0; b < 32 && byte < 0; ++b)
      if (kCp1252High[b] == c) byte = 0x80 + b;
    if (byte < 0) return std::nullopt;
    out.push_back(static_cast<char>(byte));
  }
  return out;
}

std::u32string map_chars(const std::u32string& in) {
  static const std::pair<char32_t, const char32_t*> kLigatures[] = {
      {0x0132, U"IJ"},      {0x0133, U"ij"}, {0x0149, U"\u02BCn"}, {0x01F1, U"DZ"},
      {0x01F2, U"Dz"},      {0x01F3, U"dz"}, {0x01C4, U"D\u017D"}, {0x01C5, U"D\u017E"},
      {0x01C6, U"d\u017E"}, {0x01C7, U"LJ"}, {0x01C8, U"Lj"},      {0x01C9, U"lj"},
      {0x01CA, U"NJ"},      {0x01CB, U"Nj"}, {0x01CC, U"nj"},      {0xFB00, U"ff"},
      {0xFB01, U"fi"},      {0xFB02, U"fl"}, {0xFB03, U"ffi"},     {0xFB04, U"ffl"},
      {0xFB05, U"\u017Ft"}, {0xFB06, U"st"}};
  std::u32string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char32_t c = in[i];
    if (c >= 0x80 && c <= 0x9F) c = kCp1252High[c - 0x80];  // fix_c1_controls
    const char32_t* lig = nullptr;
    for (const auto& [from, to] : kLigatures)
      if (from == c) lig = to;
    if (lig) {
      out += lig;
    } else if (c == 0x3000) {
      out += U' ';  // fix_character_width
    } else if (c >= 0xFF01 && c <= 0xFFEF) {
      out += decode_utf8(icu_nfkc(encode_utf8(std::u32string(1, c))));
    } else if ((c >= 0x2018 && c <= 0x201B) || c == 0x02BC) {
      out += U'\'';  // uncurl_quotes
    } else if (c >= 0x201C && c <= 0x201F) {
      out += U'"';
    } else if (c == U'\r') {  // fix_line_breaks
      out += U'\n';
      if (i + 1 < in.size() && in[i + 1] == U'\n') ++i;
    } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
      out += U'\n';
    } else {
      out += c;
    }
  }
  return out;
}

bool is_control_to_remove(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

// remove_terminal_escapes: "\x1b[" (digit|;)* letter, \d being any Unicode decimal digit as in Python.
std::u32string remove_escapes(const std::u32string& in) {
  std::u32string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == 0x1B && i + 1 < in.size() && in[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < in.size() && (in[j] == U';' || u_isdigit(static_cast<UChar32>(in[j])))) ++j;
      if (j < in.size() && ((in[j] >= U'a' && in[j] <= U'z') || (in[j] >= U'A' && in[j] <= U'Z'))) {
        i = j;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

std::u32string remove_control_chars(const std::u32string& in) {
  std::u32string out;
  out.reserve(in.size());
  for (char32_t c : in)
    if (!is_control_to_remove(c)) out += c;
  return out;
}

std::string fix_segment(std::string text, bool unescape) {
  for (;;) {
    const std::string orig = text;
    if (unescape) text = ftfy_unescape_html(text);
    text = ftfy_fix_encoding(text);
    text = encode_utf8(remove_control_chars(remove_escapes(map_chars(decode_utf8(text)))));
    text = icu_nfc(text);
    if (text == orig) return text;
  }
}

}  // namespace

std::string ftfy_unescape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    // HTML_ENTITY_RE = "&#?[0-9A-Za-z]{1,24};"
    if (s[i] == '&') {
      size_t j = i + 1;
      const bool numeric = j < s.size() && s[j] == '#';
      if (numeric) ++j;
      const size_t start = j;
      while (j < s.size() && j - start < 24 && is_ascii_alnum(s[j])) ++j;
      if (j > start && j < s.size() && s[j] == ';') {
        const std::string_view entity = s.substr(i, j + 1 - i);
        std::optional<std::string> value;
        if (!numeric) {
          value = ftfy_named_entity(s.substr(start, j - start));
        } else {
          std::string u = html_unescape(entity);  // only when it consumed the ';' as well
          if (u.find(';') == std::string::npos) value = std::move(u);
        }
        out += value ? *value : std::string(entity);
        i = j + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

std::string ftfy_fix_encoding(std::string_view s) {
  std::string text(s);
  for (;;) {
    const std::u32string cps = decode_utf8(text);
    bool ascii = true;
    for (char32_t c : cps) ascii = ascii && c < 0x80;
    if (ascii) return text;
    std::optional<std::string> fixed;
    for (bool sloppy : {false, true}) {
      auto bytes = encode_single_byte(cps, sloppy);
      if (bytes && find_invalid_utf8(*bytes) == std::string_view::npos) {
        fixed = std::move(bytes);
        break;
      }
    }
    if (!fixed || *fixed == text) return text;
    text = std::move(*fixed);
  }
}

std::string ftfy_remove_terminal_escapes(std::string_view s) {
  return encode_utf8(remove_escapes(decode_utf8(s)));
}

std::string ftfy_fix_text(std::string_view s) {
  std::string out;
  bool unescape = true;  // "auto": off from the first line that contains '<'
  for (size_t pos = 0; pos < s.size();) {
    size_t end = s.find('\n', pos);
    end = end == std::string_view::npos ? s.size() : end + 1;
    const std::string_view line = s.substr(pos, end - pos);
    if (line.find('<') != std::string_view::npos) unescape = false;
    out += fix_segment(std::string(line), unescape);
    pos = end;
  }
  return out;
}

}  // namespace softprompt::modalities::text

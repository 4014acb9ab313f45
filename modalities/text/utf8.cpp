#include "modalities/text/utf8.h"

#include <c10/util/Exception.h>

#include <cstdio>

#include "core/errors.h"

namespace softprompt::modalities::text {
namespace {

// One step of the decoder at s[i]. Returns the length of the valid sequence and sets `cp`, or returns 0 and
// sets `bad` to the length of the maximal invalid subpart (Unicode 15, section 3.9, "U+FFFD substitution of
// maximal subparts", which is what Python implements).
size_t step(std::string_view s, size_t i, char32_t& cp, size_t& bad) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    bad = 1;  // a continuation byte, C0/C1 or F5..FF cannot start a sequence
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) {
      bad = k;
      return 0;
    }
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      bad = k;
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  return need + 1;
}

}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  char32_t cp = 0;
  size_t bad = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t n = step(s, i, cp, bad);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void validate_utf8(std::string_view s, std::string_view what) {
  const size_t at = find_invalid_utf8(s);
  if (at == std::string_view::npos) return;
  char byte[8];
  std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(s[at])));
  throw InputError("invalid UTF-8 in " + std::string(what) + " at byte offset " + std::to_string(at) +
                   " (byte " + byte + ")");
}

std::u32string decode_utf8(std::string_view s, std::string_view what) {
  std::u32string out;
  out.reserve(s.size());
  char32_t cp = 0;
  size_t bad = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t n = step(s, i, cp, bad);
    if (n == 0) validate_utf8(s, what);  // throws with the offset
    out.push_back(cp);
    i += n;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  TORCH_CHECK(cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF),
              "append_utf8: not a scalar value: ", static_cast<uint32_t>(cp));
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

std::string repair_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  char32_t cp = 0;
  size_t bad = 0;
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = step(bytes, i, cp, bad);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      i += bad;
    }
  }
  return out;
}

}  // namespace softprompt::modalities::text

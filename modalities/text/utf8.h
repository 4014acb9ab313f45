#pragma once
// UTF-8 validation, decoding and encoding: the one place that reads raw bytes as text.
//
// Policy: every tokenizer takes UTF-8 and validates it first. Invalid input (a stray continuation byte, a
// truncated sequence, an overlong form, an encoded surrogate U+D800..U+DFFF or a value above U+10FFFF) is
// rejected with softprompt::InputError naming the byte offset and the byte; it is never repaired silently,
// because a repaired string would give ids that do not match the user's text. Decoding ids back to text is
// the opposite direction: byte-level BPE can produce partial sequences, and there repair_utf8() replaces
// each invalid piece with U+FFFD exactly as Python's bytes.decode("utf-8", errors="replace") does.
#include <cstddef>
#include <string>
#include <string_view>

namespace softprompt::modalities::text {

// Byte offset of the first invalid sequence, or std::string_view::npos when `s` is valid UTF-8.
size_t find_invalid_utf8(std::string_view s);

// Throws InputError("invalid UTF-8 in <what> at byte offset N (byte 0xXX)") unless `s` is valid UTF-8.
void validate_utf8(std::string_view s, std::string_view what = "text");

// Code points of valid UTF-8 (validates first; throws InputError like validate_utf8).
std::u32string decode_utf8(std::string_view s, std::string_view what = "text");

// Appends the UTF-8 encoding of `cp` (must be a Unicode scalar value; TORCH_CHECKed).
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view cps);

// Python-compatible errors="replace" decoding of arbitrary bytes: valid UTF-8 passes through, each maximal
// invalid subpart becomes U+FFFD.
std::string repair_utf8(std::string_view bytes);

}  // namespace softprompt::modalities::text

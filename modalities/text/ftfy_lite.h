#pragma once
// A C++ subset of ftfy.fix_text (ftfy 6.3.1, default config), the first step of the CLIP tokenizer's
// basic_clean. Implemented, in ftfy's order and repeated until the text stops changing, per line:
//   unescape_html    ftfy's own table: "&name;" (HTML5 names with ';'), the upper-cased form of all-lowercase
//                    names (&NTILDE; -> Ñ) and numeric references; off from the first line containing '<'
//   fix_encoding     only the common case: the whole line re-encodes to Latin-1 or sloppy Windows-1252 and
//                    those bytes are valid UTF-8 with at least one multi-byte sequence ("cafÃ©" -> "café")
//   fix_c1_controls, fix_latin_ligatures, fix_character_width (U+FF01..U+FFEF by NFKC, U+3000 -> space),
//   uncurl_quotes, fix_line_breaks, remove_terminal_escapes, remove_control_chars, NFC normalization.
// Not implemented (the reason is size: they are driven by ftfy's large heuristic "badness" tables):
//   is_bad() gating, the other code pages (1250/1251/1253/1254/1257, ISO-8859-2, MacRoman, CP437),
//   utf-8-variants/CESU-8, restore_byte_a0, replace_lossy_sequences, decode_inconsistent_utf8 (mojibake mixed
//   with correct text on one line). Such text passes through unchanged, so its ids can differ from CLIP's.
// fix_surrogates has no work to do: our input is validated UTF-8, which cannot hold surrogates.
#include <string>
#include <string_view>

namespace softprompt::modalities::text {

// `utf8` must be valid UTF-8 (callers validate first).
std::string ftfy_fix_text(std::string_view utf8);

// The individual steps, exposed for tests.
std::string ftfy_unescape_html(std::string_view utf8);
std::string ftfy_fix_encoding(std::string_view utf8);
std::string ftfy_remove_terminal_escapes(std::string_view utf8);

}  // namespace softprompt::modalities::text

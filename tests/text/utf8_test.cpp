// UTF-8 validation policy and Python-compatible repair.
#include <gtest/gtest.h>

#include "core/errors.h"
#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

TEST(Utf8, FindsTheFirstInvalidByte) {
  EXPECT_EQ(find_invalid_utf8("plain \xC3\xA9 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\x80"), 2u);             // stray continuation
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);         // overlong '/'
  EXPECT_EQ(find_invalid_utf8("a\xE0\x80\x80"), 1u);      // overlong NUL
  EXPECT_EQ(find_invalid_utf8("a\xED\xA0\x80"), 1u);      // encoded surrogate
  EXPECT_EQ(find_invalid_utf8("a\xF4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("abc\xE2\x82"), 3u);        // truncated at the end
  EXPECT_EQ(find_invalid_utf8("\xFF"), 0u);
  EXPECT_EQ(find_invalid_utf8(std::string("a\0b", 3)), std::string_view::npos);  // NUL is valid UTF-8
}

TEST(Utf8, ValidateNamesOffsetAndByte) {
  try {
    validate_utf8("hello \xFEworld", "line 3");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "invalid UTF-8 in line 3 at byte offset 6 (byte 0xFE)");
  }
}

TEST(Utf8, DecodeEncodeRoundTrip) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  EXPECT_EQ(decode_utf8(s), (std::u32string{U'a', 0xE9, 0x20AC, 0x1F600}));
  EXPECT_EQ(encode_utf8(decode_utf8(s)), s);
  EXPECT_THROW(decode_utf8("\xC3"), InputError);
}

// Expected values from Python: bytes.decode("utf-8", errors="replace").
TEST(Utf8, RepairMatchesPythonReplace) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(repair_utf8("ok"), "ok");
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98"), r);  // one maximal subpart
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98"
                        "a"),
            r + "a");
  EXPECT_EQ(repair_utf8("\xE0\x80\x80"), r + r + r);  // E0 80 is never valid: three pieces
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), r + r + r);
  EXPECT_EQ(repair_utf8("\xC3\xA9\xFF\xC3"), "\xC3\xA9" + r + r);
}

}  // namespace
}  // namespace softprompt::modalities::text

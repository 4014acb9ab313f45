// html.unescape and the ftfy subset (expected values are Python 3.11's html.unescape and ftfy 6.3.1's
// output).
#include <gtest/gtest.h>

#include "modalities/text/ftfy_lite.h"
#include "modalities/text/html_unescape.h"

namespace softprompt::modalities::text {
namespace {

TEST(HtmlUnescape, MatchesPython) {
  EXPECT_EQ(html_unescape("fish &amp; chips &lt;b&gt;"), "fish & chips <b>");
  EXPECT_EQ(html_unescape("&amp;amp;"), "&amp;");  // one level per call
  EXPECT_EQ(html_unescape("&ampx &copy2024"),
            "&x \xC2\xA9"
            "2024");  // legacy names without ';'
  EXPECT_EQ(html_unescape("&notit; &notin;"), "\xC2\xACit; \xE2\x88\x89");
  EXPECT_EQ(html_unescape("&#39;&#x27;&#X41;&#65"), "''AA");
  EXPECT_EQ(html_unescape("&#128;&#150;"), "\xE2\x82\xAC\xE2\x80\x93");  // C1 numbers -> Windows-1252
  EXPECT_EQ(html_unescape("&#0;&#xD800;&#1114112;&#99999999999999999999;"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_unescape("a&#1;b&#xFFFF;c&#13;"), "abc\r");  // dropped noncharacters, CR
  EXPECT_EQ(html_unescape("&unknown; & stray ; &#x; &#;"), "&unknown; & stray ; &#x; &#;");
  EXPECT_EQ(html_unescape("&NotNestedGreaterGreater;"), "\xE2\xAA\xA2\xCC\xB8");  // two code points
}

TEST(FtfyLite, IndividualFixes) {
  EXPECT_EQ(ftfy_unescape_html("&NTILDE; &ntilde; &AMP; &#x2019;"), "\xC3\x91 \xC3\xB1 & \xE2\x80\x99");
  EXPECT_EQ(ftfy_unescape_html("&amp"), "&amp");                                     // ftfy requires the ';'
  EXPECT_EQ(ftfy_fix_encoding("caf\xC3\x83\xC2\xA9"), "caf\xC3\xA9");                // cafÃ© -> café
  EXPECT_EQ(ftfy_fix_encoding("\xC3\xA2\xE2\x82\xAC\xE2\x80\x9D"), "\xE2\x80\x94");  // â€” -> — (via 1252)
  EXPECT_EQ(ftfy_fix_encoding("caf\xC3\xA9 na\xC3\xAFve"), "caf\xC3\xA9 na\xC3\xAFve");  // correct text stays
  EXPECT_EQ(ftfy_remove_terminal_escapes("\x1B[31mred\x1B[0m \x1B[1;2Hx \x1B[9"), "red x \x1B[9");
}

TEST(FtfyLite, FixText) {
  EXPECT_EQ(ftfy_fix_text("\xEF\xAC\x81 \xEF\xBC\xA6\xEF\xBC\xB5"), "fi FU");  // ﬁ ＦＵ
  EXPECT_EQ(ftfy_fix_text("\xE2\x80\x9Cq\xE2\x80\x9D \xE2\x80\x98s\xE2\x80\x99"),
            "\"q\" 's'");                                   // curly quotes
  EXPECT_EQ(ftfy_fix_text("cafe\xCC\x81"), "caf\xC3\xA9");  // NFC
  EXPECT_EQ(ftfy_fix_text("a\r\nb\rc\xE2\x80\xA8"
                          "d"),
            "a\nb\nc\nd");
  EXPECT_EQ(ftfy_fix_text("x\xC2\x85y"), "x\xE2\x80\xA6y");  // C1 NEL is Windows-1252's ellipsis
  EXPECT_EQ(ftfy_fix_text("\xEF\xBB\xBFzero\x07\x7F"), "zero");
  EXPECT_EQ(ftfy_fix_text("\xE3\x80\x80ideographic"), " ideographic");
  EXPECT_EQ(ftfy_fix_text("&lt;3"), "<3");
  EXPECT_EQ(ftfy_fix_text("<b>&lt;3</b>"), "<b>&lt;3</b>");  // looks like HTML: entities stay
  EXPECT_EQ(ftfy_fix_text("&amp;amp;amp;"), "&");            // repeated until stable
}

}  // namespace
}  // namespace softprompt::modalities::text

#include "core/common/text.hpp"

#include <catch2/catch.hpp>
#include <string>

using giia::IsValidUtf8;
using giia::ValidUtf8;

namespace {
const std::string kR = "\xEF\xBF\xBD";  // U+FFFD
}

TEST_CASE("Valid UTF-8 passes through unchanged", "[common]") {
  for (const std::string& s : {std::string(""), std::string("curl/8.0 (x86_64)"),
                               std::string("caf\xC3\xA9"),               // 2 bytes
                               std::string("\xE2\x82\xAC 10"),           // 3 bytes
                               std::string("\xF0\x9F\x98\x80!"),         // 4 bytes
                               std::string("\xC2\x80\xDF\xBF"),          // 2-byte edges
                               std::string("\xE0\xA0\x80\xEF\xBF\xBF"),  // 3-byte edges
                               std::string("\xED\x9F\xBF\xEE\x80\x80"),  // around surrogates
                               std::string("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF")}) {  // 4-byte edges
    CHECK(ValidUtf8(s) == s);
    CHECK(IsValidUtf8(s));
  }
}

TEST_CASE("Each invalid sequence becomes one U+FFFD per maximal subpart", "[common]") {
  // Bytes that never start a character.
  CHECK(ValidUtf8("\xFF") == kR);
  CHECK(ValidUtf8("a\xFE"
                  "b") == "a" + kR + "b");
  CHECK(ValidUtf8("\xF5\x80\x80\x80") == kR + kR + kR + kR);  // F5..FF: above U+10FFFF
  // Stray continuation bytes: one each.
  CHECK(ValidUtf8("\x80") == kR);
  CHECK(ValidUtf8("\x80\xBF"
                  "x") == kR + kR + "x");
  // Overlong forms.
  CHECK(ValidUtf8("\xC0\xAF") == kR + kR);  // C0/C1 never start a character
  CHECK(ValidUtf8("\xC1\xBF") == kR + kR);
  CHECK(ValidUtf8("\xE0\x80\xAF") == kR + kR + kR);           // E0 needs A0..BF next
  CHECK(ValidUtf8("\xF0\x80\x80\xAF") == kR + kR + kR + kR);  // F0 needs 90..BF next
  // Surrogates D800..DFFF (CESU-8).
  CHECK(ValidUtf8("\xED\xA0\x80") == kR + kR + kR);
  CHECK(ValidUtf8("\xED\xBF\xBF"
                  "z") == kR + kR + kR + "z");
  // Above U+10FFFF.
  CHECK(ValidUtf8("\xF4\x90\x80\x80") == kR + kR + kR + kR);
  // Truncated sequences: the valid prefix is one U+FFFD, the next byte starts over.
  CHECK(ValidUtf8("\xC3") == kR);
  CHECK(ValidUtf8("\xC3"
                  "a") == kR + "a");
  CHECK(ValidUtf8("\xE2\x82") == kR);
  CHECK(ValidUtf8("\xE2\x82"
                  "a") == kR + "a");
  CHECK(ValidUtf8("\xF0\x9F\x98") == kR);
  CHECK(ValidUtf8("\xF0\x9F\x98\xC3\xA9") == kR + "\xC3\xA9");
  CHECK(ValidUtf8("\xE2\xF0\x9F\x98\x80") == kR + "\xF0\x9F\x98\x80");
  // The Unicode Standard's example (table 3-8).
  CHECK(ValidUtf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
        "a" + kR + kR + kR + "b" + kR + "c" + kR + kR + "d");
  for (const char* s :
       {"\xFF", "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    CHECK_FALSE(IsValidUtf8(s));
    CHECK(IsValidUtf8(ValidUtf8(s)));
  }
}

TEST_CASE("A NUL byte becomes U+FFFD", "[common]") {
  const std::string with_nul("a\0b\0", 4);
  CHECK(ValidUtf8(with_nul) == "a" + kR + "b" + kR);
  CHECK_FALSE(IsValidUtf8(with_nul));
  CHECK(ValidUtf8(std::string(1, '\0'), 2).empty());  // U+FFFD is 3 bytes: it does not fit
}

TEST_CASE("The bound cuts on a character boundary, never inside one", "[common]") {
  CHECK(ValidUtf8("abcdef", 3) == "abc");
  CHECK(ValidUtf8("abc", 3) == "abc");
  CHECK(ValidUtf8("abc", 0).empty());
  // A cut in the middle of a 2-, 3- and 4-byte character drops the whole character.
  CHECK(ValidUtf8("ab\xC3\xA9", 3) == "ab");
  CHECK(ValidUtf8("ab\xC3\xA9", 4) == "ab\xC3\xA9");
  CHECK(ValidUtf8("a\xE2\x82\xAC", 2) == "a");
  CHECK(ValidUtf8("a\xE2\x82\xAC", 3) == "a");
  CHECK(ValidUtf8("a\xE2\x82\xAC", 4) == "a\xE2\x82\xAC");
  for (std::size_t n = 1; n <= 4; ++n) {
    CHECK(ValidUtf8("\xF0\x9F\x98\x80"
                    "b",
                    n) == (n == 4 ? "\xF0\x9F\x98\x80" : ""));
  }
  // A replacement character counts for its 3 bytes.
  CHECK(ValidUtf8("a\xFF", 3) == "a");
  CHECK(ValidUtf8("a\xFF", 4) == "a" + kR);
  // 500 bytes cut out of a longer text of 3-byte characters ending mid-character.
  std::string long_text = "x";
  while (long_text.size() < 600) long_text += "\xE2\x82\xAC";
  const std::string cut = ValidUtf8(long_text, 500);
  CHECK(cut.size() == 499);  // 1 + 166 * 3
  CHECK(IsValidUtf8(cut));
  CHECK(long_text.substr(0, 500) != cut);  // what a byte cut gave: invalid
  CHECK_FALSE(IsValidUtf8(long_text.substr(0, 500)));
}

TEST_CASE("Any byte string comes out valid and within the bound", "[common]") {
  // Every 2-byte string, and pseudo-random longer ones.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::string s{static_cast<char>(a), static_cast<char>(b)};
      const std::string out = ValidUtf8(s, 5);
      REQUIRE(IsValidUtf8(out));
      REQUIRE(out.size() <= 5);
    }
  }
  unsigned state = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    for (int j = 0; j < 40; ++j) {
      state = state * 1103515245u + 12345u;
      s += static_cast<char>((state >> 16) & 0xFF);
    }
    const std::size_t bound = static_cast<std::size_t>(i % 45);
    const std::string out = ValidUtf8(s, bound);
    REQUIRE(IsValidUtf8(out));
    REQUIRE(out.size() <= bound);
    REQUIRE(ValidUtf8(out) == out);  // idempotent
  }
}

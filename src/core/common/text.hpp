#pragma once
// Text that came from outside (a header, a JSON field) made safe to store and
// print: valid UTF-8, no NUL (PostgreSQL text cannot hold one), and bounded
// in bytes without cutting a character in two.

#include <cstddef>
#include <string>
#include <string_view>

namespace giia {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// `in` as valid UTF-8 of at most `max_bytes` bytes. Each maximal ill-formed
// subsequence (a stray continuation byte, a truncated sequence, an overlong
// form, a surrogate, a code point above U+10FFFF, the bytes C0, C1, F5..FF)
// becomes one U+FFFD, as Unicode's "substitution of maximal subparts" and
// the WHATWG decoder do; a NUL byte becomes U+FFFD too. The result ends
// before the first character that would pass `max_bytes`, so it may be
// shorter than `max_bytes` by up to 3 bytes. Pure; thread-safe.
std::string ValidUtf8(std::string_view in, std::size_t max_bytes = std::string_view::npos);

// True when `in` is valid UTF-8 without NUL (what ValidUtf8 leaves unchanged,
// length aside).
bool IsValidUtf8(std::string_view in);

}  // namespace giia

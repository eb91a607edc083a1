#include "core/common/text.hpp"

#include <algorithm>

namespace giia {

namespace {

// The length of the well-formed character at the start of `in` (1..4), or 0
// with `bad` set to the length of its maximal ill-formed prefix (>= 1).
// Table 3-7 of the Unicode Standard: the second byte's range depends on the
// first; every later byte is 80..BF.
std::size_t NextChar(std::string_view in, std::size_t& bad) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
  const unsigned char lead = b(0);
  if (lead >= 0x01 && lead <= 0x7F) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // below: overlong
    if (lead == 0xED) high = 0x9F;  // above: surrogates D800..DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // below: overlong
    if (lead == 0xF4) high = 0x8F;  // above: beyond U+10FFFF
  } else {
    bad = 1;  // NUL, a continuation byte, C0, C1, F5..FF
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const bool fits =
        i < in.size() && b(i) >= (i == 1 ? low : 0x80) && b(i) <= (i == 1 ? high : 0xBF);
    if (!fits) {
      bad = i;
      return 0;
    }
  }
  return length;
}

}  // namespace

std::string ValidUtf8(std::string_view in, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(in.size(), max_bytes));
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t bad = 0;
    const std::size_t length = NextChar(in.substr(i), bad);
    const std::string_view piece = length > 0 ? in.substr(i, length) : kReplacementCharacter;
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += length > 0 ? length : bad;
  }
  return out;
}

bool IsValidUtf8(std::string_view in) {
  for (std::size_t i = 0; i < in.size();) {
    std::size_t bad = 0;
    const std::size_t length = NextChar(in.substr(i), bad);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace giia

#include "core/common/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace giia {
namespace {

constexpr std::size_t kMaxAddressText = 64;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A bare address, no brackets, no port.
std::optional<IpAddress> ParseBare(std::string_view text) {
  if (text.empty() || text.size() >= kMaxAddressText) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;  // inet_pton stops there
  char buf[kMaxAddressText];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    a.v4 = true;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    // IPv4-mapped: the IPv4 client it is.
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a.v4 = std::memcmp(a.bytes.data(), kMapped, 12) == 0;
    return a;
  }
  return std::nullopt;
}

bool InPrefix(const IpAddress& a, const IpAddress& base, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

// Keeps the last kMaxForwardedHops items pushed, oldest first on read.
class LastHops {
 public:
  void Push(std::string_view hop) {
    hops_[static_cast<std::size_t>(count_ % kMaxForwardedHops)] = hop;
    ++count_;
  }
  int size() const { return std::min(count_, kMaxForwardedHops); }
  // i = 0 is the right-most.
  std::string_view FromRight(int i) const {
    return hops_[static_cast<std::size_t>((count_ - 1 - i) % kMaxForwardedHops)];
  }

 private:
  std::array<std::string_view, kMaxForwardedHops> hops_{};
  int count_ = 0;
};

// Calls fn(part) for each part of `text` between `sep`s, left to right.
// Quotes are not honoured: a client could otherwise open one and swallow the
// hops that the proxies append after it (no valid hop holds a comma).
template <typename Fn>
void Split(std::string_view text, char sep, Fn fn) {
  std::size_t start = 0;
  for (std::size_t i = text.find(sep); i != std::string_view::npos; i = text.find(sep, start)) {
    fn(text.substr(start, i - start));
    start = i + 1;
  }
  fn(text.substr(start));
}

// The for= value of one Forwarded element ("for=1.2.3.4;proto=https"),
// unquoted; "" when it has none (which reads as junk).
std::string_view ForwardedFor(std::string_view element) {
  std::string_view found;
  Split(element, ';', [&found](std::string_view pair) {
    pair = Trim(pair);
    const std::size_t eq = pair.find('=');
    if (eq != 3 || found.data() != nullptr) return;
    const std::string_view key = pair.substr(0, 3);
    if (std::tolower(static_cast<unsigned char>(key[0])) != 'f' ||
        std::tolower(static_cast<unsigned char>(key[1])) != 'o' ||
        std::tolower(static_cast<unsigned char>(key[2])) != 'r') {
      return;
    }
    std::string_view value = pair.substr(4);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    found = value;
  });
  return found;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (v4) {
    in_addr a{};
    std::memcpy(&a, bytes.data() + 12, 4);
    inet_ntop(AF_INET, &a, buf, sizeof buf);
  } else {
    in6_addr a{};
    std::memcpy(&a, bytes.data(), 16);
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  text = Trim(text);
  if (text.size() > kMaxAddressText) return std::nullopt;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !IsPort(rest.substr(1)))) return std::nullopt;
    auto a = ParseBare(text.substr(1, close - 1));
    if (a && a->v4 && text.substr(1, close - 1).find(':') == std::string_view::npos) {
      return std::nullopt;  // "[1.2.3.4]" is not a spelling of anything
    }
    return a;
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // One colon: IPv4 with a port.
    if (!IsPort(text.substr(colon + 1))) return std::nullopt;
    auto a = ParseBare(text.substr(0, colon));
    if (!a || !a->v4) return std::nullopt;
    return a;
  }
  return ParseBare(text);
}

Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  std::optional<Error> error;
  Split(list, ',', [&](std::string_view entry) {
    entry = Trim(entry);
    if (error || entry.empty()) return;  // "" trusts nobody; "a,,b" is a and b
    auto bad = [&] {
      error = Error{ErrorCode::kInvalidArgument,
                    "\"" + std::string(entry.substr(0, kMaxAddressText)) +
                        "\" is not a CIDR (address/prefix: 10.0.0.0/8, fd00::/8)",
                    "TRUSTED_PROXIES"};
    };
    const std::size_t slash = entry.find('/');
    const std::string_view address = entry.substr(0, slash);
    if (address.find('[') != std::string_view::npos) return bad();
    auto base = ParseBare(address);
    if (!base) return bad();
    const bool v4_text = address.find(':') == std::string_view::npos;
    const int max_bits = v4_text ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string_view::npos) {
      const std::string_view prefix = entry.substr(slash + 1);
      const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
      if (prefix.empty() || ec != std::errc() || end != prefix.data() + prefix.size() || bits < 0 ||
          bits > max_bits) {
        return bad();
      }
    }
    if (v4_text) bits += 96;
    Cidr c{*base, bits};
    // Clear the host bits, so that ToString shows what is matched.
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(bits - 8 * i, 0, 8);
      c.base.bytes[static_cast<std::size_t>(i)] &=
          keep == 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - keep));
    }
    out.cidrs_.push_back(c);
  });
  if (error) return tl::unexpected(*error);
  return out;
}

bool TrustedProxies::Contains(const IpAddress& address) const {
  return std::any_of(cidrs_.begin(), cidrs_.end(),
                     [&](const Cidr& c) { return InPrefix(address, c.base, c.bits); });
}

std::string TrustedProxies::ToString() const {
  std::string out;
  for (const Cidr& c : cidrs_) {
    if (!out.empty()) out += ",";
    out += c.base.ToString() + "/" + std::to_string(c.base.v4 ? c.bits - 96 : c.bits);
  }
  return out;
}

std::string ClientAddress(std::string_view peer, const ForwardingHeaders& headers,
                          const TrustedProxies& trusted) {
  const auto peer_address = ParseIpAddress(peer);
  if (!peer_address) return std::string(peer);
  if (trusted.empty() || !trusted.Contains(*peer_address)) return peer_address->ToString();

  LastHops hops;
  if (!Trim(headers.x_forwarded_for).empty()) {
    Split(headers.x_forwarded_for, ',', [&](std::string_view h) { hops.Push(h); });
  } else if (!Trim(headers.forwarded).empty()) {
    Split(headers.forwarded, ',', [&](std::string_view e) { hops.Push(ForwardedFor(e)); });
  }
  IpAddress nearest = *peer_address;  // the last trusted address read
  for (int i = 0; i < hops.size(); ++i) {
    const auto hop = ParseIpAddress(hops.FromRight(i));
    if (!hop) break;  // junk: nothing to its left is believed
    if (!trusted.Contains(*hop)) return hop->ToString();
    nearest = *hop;
  }
  return nearest.ToString();
}

}  // namespace giia

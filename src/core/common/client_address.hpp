#pragma once
// The address of the client behind reverse proxies (an ingress), for the rate
// limiter and the audit log. Forwarding headers are believed only from peers
// in TRUSTED_PROXIES; anyone else could write any address in them.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace giia {

// An IPv4 or IPv6 address. IPv4 is held as IPv4-mapped IPv6
// (::ffff:a.b.c.d), so "10.0.0.1" and "::ffff:10.0.0.1" are the same client.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
  // "10.0.0.1", "2001:db8::1": one spelling per address.
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// "192.0.2.1", "2001:db8::1", "[2001:db8::1]", each with an optional port
// ("192.0.2.1:443", "[2001:db8::1]:443"). nullopt for anything else (names,
// "unknown", "_hidden", zones, more than 64 characters).
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// A set of CIDRs. Immutable after Parse: safe to share between threads.
class TrustedProxies {
 public:
  // Comma-separated CIDRs ("10.0.0.0/8, fd00::/8"); a bare address is one
  // host (/32 or /128); host bits below the prefix are ignored. "" trusts
  // nobody. Errors: kInvalidArgument (field TRUSTED_PROXIES) naming the first
  // entry that is not a CIDR.
  [[nodiscard]] static Result<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return cidrs_.empty(); }
  bool Contains(const IpAddress& address) const;
  // The CIDRs as parsed, normalised ("10.0.0.0/8").
  std::string ToString() const;

 private:
  struct Cidr {
    IpAddress base;  // host bits cleared
    int bits = 0;    // over the 128-bit (IPv4-mapped) form
  };
  std::vector<Cidr> cidrs_;
};

// The forwarding headers of a request, as received ("" when absent).
struct ForwardingHeaders {
  std::string_view x_forwarded_for;  // "client, proxy1, proxy2"
  std::string_view forwarded;        // RFC 7239: for=client;proto=https, for="[2001:db8::1]:80"
};

// At most this many hops are read, from the right.
inline constexpr int kMaxForwardedHops = 16;

// The client's address. When `peer` is not in `trusted` (or trusted is
// empty), the peer itself: the headers are ignored. Otherwise the right-most
// hop of X-Forwarded-For (Forwarded's for= when there is no X-Forwarded-For)
// that is not itself trusted; when every hop read is trusted, the left-most
// of them. A hop that is not an IP address (junk, "unknown", an obfuscated
// name, an empty entry) ends the walk: nothing to its left is believed, and
// the last trusted address read is the answer. Bounded: at most
// kMaxForwardedHops hops, whatever the length of the headers. A parseable
// address is returned in its one spelling (ToString); an unparseable peer
// (a unix socket) as given.
std::string ClientAddress(std::string_view peer, const ForwardingHeaders& headers,
                          const TrustedProxies& trusted);

}  // namespace giia

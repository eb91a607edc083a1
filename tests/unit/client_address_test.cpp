#include "core/common/client_address.hpp"

#include <catch2/catch.hpp>

using giia::ClientAddress;
using giia::ForwardingHeaders;
using giia::ParseIpAddress;
using giia::TrustedProxies;

namespace {

TrustedProxies Trust(std::string_view list) {
  auto t = TrustedProxies::Parse(list);
  REQUIRE(t);
  return *t;
}

std::string Xff(std::string_view peer, std::string_view xff, std::string_view trusted) {
  return ClientAddress(peer, ForwardingHeaders{xff, ""}, Trust(trusted));
}

std::string Fwd(std::string_view peer, std::string_view forwarded, std::string_view trusted) {
  return ClientAddress(peer, ForwardingHeaders{"", forwarded}, Trust(trusted));
}

}  // namespace

TEST_CASE("Addresses parse in every spelling, with or without a port", "[common]") {
  CHECK(ParseIpAddress("192.0.2.1")->ToString() == "192.0.2.1");
  CHECK(ParseIpAddress(" 192.0.2.1:443 ")->ToString() == "192.0.2.1");
  CHECK(ParseIpAddress("2001:DB8:0::1")->ToString() == "2001:db8::1");
  CHECK(ParseIpAddress("[2001:db8::1]:8443")->ToString() == "2001:db8::1");
  CHECK(ParseIpAddress("[2001:db8::1]")->ToString() == "2001:db8::1");
  CHECK(ParseIpAddress("::ffff:10.1.2.3")->ToString() == "10.1.2.3");
  CHECK(*ParseIpAddress("::ffff:10.1.2.3") == *ParseIpAddress("10.1.2.3"));
  for (const char* junk : {"", "unknown", "_hidden", "example.com", "1.2.3",
                           "1.2.3.4:", "1.2.3.4:x", "1.2.3.4:123456", "[1.2.3.4]", "[::1", "[::1]x",
                           "fe80::1%eth0", "256.1.1.1", "1.2.3.4 5.6.7.8", "\xff\xfe"}) {
    CAPTURE(junk);
    CHECK_FALSE(ParseIpAddress(junk));
  }
  CHECK_FALSE(ParseIpAddress(std::string(100, '1')));
}

TEST_CASE("TRUSTED_PROXIES: IPv4 and IPv6 CIDRs, anything else refused naming the key",
          "[common]") {
  CHECK(Trust("").empty());
  CHECK(Trust(" 10.0.0.0/8 , fd00::/8,192.0.2.7").ToString() == "10.0.0.0/8,fd00::/8,192.0.2.7/32");
  CHECK(Trust("10.1.2.3/8").ToString() == "10.0.0.0/8");  // host bits ignored
  const TrustedProxies t = Trust("10.0.0.0/8,fd00::/8,192.0.2.7/32");
  CHECK(t.Contains(*ParseIpAddress("10.255.0.1")));
  CHECK(t.Contains(*ParseIpAddress("::ffff:10.0.0.1")));
  CHECK(t.Contains(*ParseIpAddress("fd12:3456::1")));
  CHECK(t.Contains(*ParseIpAddress("192.0.2.7")));
  CHECK_FALSE(t.Contains(*ParseIpAddress("11.0.0.1")));
  CHECK_FALSE(t.Contains(*ParseIpAddress("192.0.2.8")));
  CHECK_FALSE(t.Contains(*ParseIpAddress("fe00::1")));
  CHECK(Trust("0.0.0.0/0").Contains(*ParseIpAddress("203.0.113.9")));
  CHECK_FALSE(Trust("0.0.0.0/0").Contains(*ParseIpAddress("2001:db8::1")));
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                          "ingress", "10.0.0.0/8,nope", "[fd00::]/8", "10.0.0.0:80/8"}) {
    CAPTURE(bad);
    auto r = TrustedProxies::Parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == giia::ErrorCode::kInvalidArgument);
    CHECK(r.error().field == "TRUSTED_PROXIES");
    CHECK(r.error().message.find("is not a CIDR") != std::string::npos);
  }
}

TEST_CASE("A forwarding header from an untrusted peer is ignored", "[common]") {
  CHECK(Xff("203.0.113.9", "198.51.100.1", "") == "203.0.113.9");
  CHECK(Xff("203.0.113.9", "198.51.100.1", "10.0.0.0/8") == "203.0.113.9");
  CHECK(Fwd("203.0.113.9", "for=198.51.100.1", "10.0.0.0/8") == "203.0.113.9");
  CHECK(Xff("::ffff:203.0.113.9", "198.51.100.1", "10.0.0.0/8") == "203.0.113.9");
  // A peer that is no IP address (a unix socket) stays as it is.
  CHECK(Xff("unix:/run/giia.sock", "198.51.100.1", "10.0.0.0/8") == "unix:/run/giia.sock");
}

TEST_CASE("From a trusted peer, the right-most hop that is not trusted is the client", "[common]") {
  const char* kTrusted = "10.0.0.0/8";
  CHECK(Xff("10.0.0.5", "198.51.100.1", kTrusted) == "198.51.100.1");
  // The client wrote the left part itself: the ingress appended what it saw.
  CHECK(Xff("10.0.0.5", "1.1.1.1, 2.2.2.2, 198.51.100.1", kTrusted) == "198.51.100.1");
  // Chains of trusted proxies are walked through.
  CHECK(Xff("10.0.0.5", "1.1.1.1, 198.51.100.1, 10.9.9.9, 10.0.0.7", kTrusted) == "198.51.100.1");
  // Every hop trusted: the left-most.
  CHECK(Xff("10.0.0.5", "10.1.1.1, 10.2.2.2", kTrusted) == "10.1.1.1");
  // Trusted peer, no header: the peer.
  CHECK(Xff("10.0.0.5", "", kTrusted) == "10.0.0.5");
  // Ports and odd spacing.
  CHECK(Xff("10.0.0.5", "198.51.100.1:5555 ,\t10.0.0.6 ", kTrusted) == "198.51.100.1");
}

TEST_CASE("IPv6 peers, hops and CIDRs", "[common]") {
  CHECK(Xff("fd00::1", "2001:db8::7", "fd00::/8") == "2001:db8::7");
  CHECK(Xff("fd00::1", "[2001:DB8::7]:443, fd00::2", "fd00::/8") == "2001:db8::7");
  CHECK(Xff("::ffff:10.0.0.5", "198.51.100.1", "10.0.0.0/8") == "198.51.100.1");
  CHECK(Xff("10.0.0.5", "2001:db8::7", "10.0.0.0/8") == "2001:db8::7");
}

TEST_CASE(
    "RFC 7239 Forwarded: for= with quoted IPv6 and ports, read when there is no "
    "X-Forwarded-For",
    "[common]") {
  const char* kTrusted = "10.0.0.0/8,fd00::/8";
  CHECK(Fwd("10.0.0.5", "for=198.51.100.1", kTrusted) == "198.51.100.1");
  CHECK(Fwd("10.0.0.5", "For=\"198.51.100.1:4711\";proto=https;by=10.0.0.5", kTrusted) ==
        "198.51.100.1");
  CHECK(Fwd("10.0.0.5", "for=\"[2001:db8:cafe::17]:4711\"", kTrusted) == "2001:db8:cafe::17");
  CHECK(Fwd("10.0.0.5", "for=1.1.1.1, for=198.51.100.1;proto=http, for=\"[fd00::9]\"", kTrusted) ==
        "198.51.100.1");
  // An element without for=, unknown or an obfuscated name is junk.
  CHECK(Fwd("10.0.0.5", "for=1.1.1.1, proto=https", kTrusted) == "10.0.0.5");
  CHECK(Fwd("10.0.0.5", "for=1.1.1.1, for=unknown", kTrusted) == "10.0.0.5");
  CHECK(Fwd("10.0.0.5", "for=1.1.1.1, for=_hidden", kTrusted) == "10.0.0.5");
  // X-Forwarded-For wins when both are there.
  CHECK(ClientAddress("10.0.0.5", ForwardingHeaders{"198.51.100.1", "for=1.1.1.1"},
                      Trust(kTrusted)) == "198.51.100.1");
  // A quote the client opened cannot swallow the element the proxy appended.
  CHECK(Fwd("10.0.0.5", "for=\"1.1.1.1, for=198.51.100.1", kTrusted) == "198.51.100.1");
}

TEST_CASE("Junk in the headers is never believed, and stops the walk", "[common]") {
  const char* kTrusted = "10.0.0.0/8";
  // Junk to the left of the client is never reached.
  CHECK(Xff("10.0.0.5", "junk, 198.51.100.1", kTrusted) == "198.51.100.1");
  // Junk right of a trusted hop: nothing left of it is believed; the last
  // trusted address read answers.
  CHECK(Xff("10.0.0.5", "1.1.1.1, junk", kTrusted) == "10.0.0.5");
  CHECK(Xff("10.0.0.5", "1.1.1.1, not an ip, 10.0.0.9", kTrusted) == "10.0.0.9");
  CHECK(Xff("10.0.0.5", "1.1.1.1,,", kTrusted) == "10.0.0.5");
  CHECK(Xff("10.0.0.5", "\"1.1.1.1, 198.51.100.1", kTrusted) == "198.51.100.1");
  CHECK(Xff("10.0.0.5", std::string("2.2.2.2, 1.1.1.1\0x", 18), kTrusted) == "10.0.0.5");
  CHECK(Xff("10.0.0.5", "\xff\xfe, %00", kTrusted) == "10.0.0.5");
}

TEST_CASE("Very long forwarding headers are read in bounded work", "[common]") {
  const char* kTrusted = "10.0.0.0/8";
  // 100,000 hops: only the last kMaxForwardedHops are looked at.
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "1.1.1." + std::to_string(i % 250) + ", ";
  CHECK(Xff("10.0.0.5", many + "198.51.100.1", kTrusted) == "198.51.100.1");
  // More trusted hops than are read: the left-most trusted one read, never
  // an address left of what was read.
  std::string trusted_chain = "6.6.6.6";
  for (int i = 0; i < 2 * giia::kMaxForwardedHops; ++i) {
    trusted_chain += ", 10.0.0." + std::to_string(i + 1);
  }
  CHECK(Xff("10.0.0.5", trusted_chain, kTrusted) ==
        "10.0.0." + std::to_string(giia::kMaxForwardedHops + 1));
  // One huge entry is junk, not an allocation.
  CHECK(Xff("10.0.0.5", std::string(1 << 20, '9'), kTrusted) == "10.0.0.5");
  CHECK(Fwd("10.0.0.5", "for=\"" + std::string(1 << 20, 'a') + "\"", kTrusted) == "10.0.0.5");
}

// The JWT decoder and verifier (adapters/crypto/jwt.cpp), with an HS256 and an
// EdDSA codec. The first input byte picks the codec and one of three modes:
//   0  the rest is a token as a client could send it;
//   1  the rest is a header and a payload (JSON, split at the first newline)
//      that the harness encodes and signs with the codec's key, so that the
//      claims reader is reached;
//   2  the rest is claims that the codec signs; the token must verify to the
//      same claims, and with any one byte changed it must be refused.
// Always: Verify never crashes, and a token it accepts carries a signature
// that libsodium checks with the key, over its first two segments as sent,
// and claims that the JSON says (checked with nlohmann's DOM parser).

#include <fuzzer/FuzzedDataProvider.h>
#include <sodium.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "adapters/crypto/jwt.hpp"
#include "fuzz_check.hpp"

namespace {

using giia::authz::AccessClaims;
using giia::crypto::JwtCodec;
using nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "fuzz-secret-fuzz-secret-fuzz-secret-0123";

struct Codecs {
  std::unique_ptr<JwtCodec> hs;
  std::unique_ptr<JwtCodec> ed;
  unsigned char ed_public[crypto_sign_PUBLICKEYBYTES];
  unsigned char ed_secret[crypto_sign_SECRETKEYBYTES];
};

std::string Base64Url(std::string_view bin) {
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();  // the NUL
  return out;
}

bool FromBase64Url(std::string_view text, std::string& out) {
  out.assign(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return false;
  }
  out.resize(len);
  return true;
}

// An Ed25519 key pair from a fixed seed, written as the PKCS#8 PEM that
// `openssl genpkey -algorithm ed25519` writes, for MakeJwtCodec to read.
Codecs& Get() {
  static Codecs* codecs = [] {
    auto* c = new Codecs;
    GIIA_FUZZ_CHECK(sodium_init() >= 0);
    c->hs = std::move(*giia::crypto::MakeJwtCodec({.algorithm = "HS256", .secret = kSecret}));
    unsigned char seed[crypto_sign_SEEDBYTES];
    for (std::size_t i = 0; i < sizeof seed; ++i) seed[i] = static_cast<unsigned char>(i * 7 + 1);
    crypto_sign_seed_keypair(c->ed_public, c->ed_secret, seed);
    const unsigned char prefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                    0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
    std::string der(reinterpret_cast<const char*>(prefix), sizeof prefix);
    der.append(reinterpret_cast<const char*>(seed), sizeof seed);
    std::string b64(sodium_base64_ENCODED_LEN(der.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(der.data()),
                      der.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.pop_back();
    char path[] = "/tmp/giia-jwt-fuzz-XXXXXX";
    const int fd = mkstemp(path);
    GIIA_FUZZ_CHECK(fd >= 0);
    const std::string pem = "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    GIIA_FUZZ_CHECK(write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()));
    close(fd);
    auto ed = giia::crypto::MakeJwtCodec({.algorithm = "EdDSA", .private_key_file = path});
    unlink(path);
    GIIA_FUZZ_CHECK(ed.has_value());
    c->ed = std::move(*ed);
    return c;
  }();
  return *codecs;
}

bool SignatureChecks(const Codecs& c, bool ed, std::string_view token) {
  const std::size_t dot = token.rfind('.');
  std::string sig;
  if (dot == std::string_view::npos || !FromBase64Url(token.substr(dot + 1), sig)) return false;
  const auto* input = reinterpret_cast<const unsigned char*>(token.data());
  const auto* s = reinterpret_cast<const unsigned char*>(sig.data());
  if (ed) {
    return sig.size() == crypto_sign_BYTES &&
           crypto_sign_verify_detached(s, input, dot, c.ed_public) == 0;
  }
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(kSecret.data()),
                              kSecret.size());
  crypto_auth_hmacsha256_update(&st, input, dot);
  crypto_auth_hmacsha256_final(&st, mac);
  return sig.size() == sizeof mac && sodium_memcmp(mac, s, sizeof mac) == 0;
}

// What an accepted token must be: validly signed, and its claims the JSON's.
void CheckAccepted(const Codecs& c, bool ed, std::string_view token, const AccessClaims& claims) {
  GIIA_FUZZ_CHECK(SignatureChecks(c, ed, token));
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.find('.', dot1 + 1);
  std::string header_text, payload_text;
  GIIA_FUZZ_CHECK(FromBase64Url(token.substr(0, dot1), header_text));
  GIIA_FUZZ_CHECK(FromBase64Url(token.substr(dot1 + 1, dot2 - dot1 - 1), payload_text));
  const json header = json::parse(header_text);
  GIIA_FUZZ_CHECK(header.at("alg") == (ed ? "EdDSA" : "HS256"));
  GIIA_FUZZ_CHECK(!header.contains("crit"));
  const json p = json::parse(payload_text);
  GIIA_FUZZ_CHECK(p.at("iss") == "giia-auth" && claims.issuer == "giia-auth");
  GIIA_FUZZ_CHECK(p.at("typ") == "access" && claims.type == "access");
  GIIA_FUZZ_CHECK(p.at("sub") == claims.subject && !claims.subject.empty());
  GIIA_FUZZ_CHECK(p.at("org") == claims.organization && !claims.organization.empty());
  GIIA_FUZZ_CHECK(p.at("jti") == claims.token_id && !claims.token_id.empty());
  GIIA_FUZZ_CHECK(p.at("email") == claims.email);
  GIIA_FUZZ_CHECK(p.at("iat") == claims.issued_at && p.at("ver") == claims.token_version);
  GIIA_FUZZ_CHECK(p.at("nbf") == claims.not_before && claims.not_before <= kNow + 30);
  GIIA_FUZZ_CHECK(p.at("exp") == claims.expires_at && claims.expires_at > kNow - 30);
  const json& aud = p.at("aud");
  if (aud.is_array()) {
    bool ours = false;
    for (const json& a : aud) {
      GIIA_FUZZ_CHECK(a.is_string());
      ours = ours || a == "giia";
    }
    GIIA_FUZZ_CHECK(ours);
  } else {
    GIIA_FUZZ_CHECK(aud == "giia");
  }
}

std::string Sign(const Codecs& c, bool ed, const std::string& input) {
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (ed) {
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, in, input.size(), c.ed_secret);
    return Base64Url({reinterpret_cast<const char*>(sig), sizeof sig});
  }
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(kSecret.data()),
                              kSecret.size());
  crypto_auth_hmacsha256_update(&st, in, input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return Base64Url({reinterpret_cast<const char*>(mac), sizeof mac});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Codecs& c = Get();
  const bool ed = (data[0] & 1) != 0;
  const int mode = (data[0] >> 1) % 3;
  const JwtCodec& codec = ed ? *c.ed : *c.hs;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  if (mode == 0) {
    auto claims = codec.Verify(rest, kNow);
    if (claims) CheckAccepted(c, ed, rest, *claims);
    return 0;
  }
  if (mode == 1) {
    const std::size_t nl = rest.find('\n');
    const std::string_view header = nl == std::string_view::npos ? "" : rest.substr(0, nl);
    const std::string_view payload = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
    std::string token = Base64Url(header) + "." + Base64Url(payload);
    token += "." + Sign(c, ed, token);
    auto claims = codec.Verify(token, kNow);
    if (claims) CheckAccepted(c, ed, token, *claims);
    return 0;
  }
  FuzzedDataProvider in(data + 1, size - 1);
  AccessClaims claims;
  claims.subject = in.ConsumeRandomLengthString(64);
  claims.organization = in.ConsumeRandomLengthString(64);
  claims.email = in.ConsumeRandomLengthString(64);
  claims.token_id = in.ConsumeRandomLengthString(64);
  claims.issued_at = in.ConsumeIntegral<std::int64_t>();
  claims.not_before = in.ConsumeIntegralInRange<std::int64_t>(kNow - 1000, kNow + 1000);
  claims.expires_at = in.ConsumeIntegralInRange<std::int64_t>(kNow - 1000, kNow + 1000);
  claims.token_version = in.ConsumeIntegral<std::int64_t>();
  const std::size_t flip = in.ConsumeIntegral<std::uint16_t>();
  const auto bits = static_cast<char>(in.ConsumeIntegralInRange<int>(1, 255));
  auto token = codec.Sign(claims);
  if (!token) return 0;  // empty sub, strings that are not UTF-8, ...
  auto back = codec.Verify(*token, kNow);
  const bool in_time = claims.not_before <= kNow + 30 && claims.expires_at > kNow - 30;
  GIIA_FUZZ_CHECK(back.has_value() == in_time);
  if (back) {
    CheckAccepted(c, ed, *token, *back);
    GIIA_FUZZ_CHECK(back->subject == claims.subject && back->email == claims.email &&
                    back->issued_at == claims.issued_at &&
                    back->token_version == claims.token_version);
  }
  std::string changed = *token;
  changed[flip % changed.size()] ^= bits;
  GIIA_FUZZ_CHECK(!codec.Verify(changed, kNow).has_value());
  return 0;
}

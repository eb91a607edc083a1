#include "adapters/crypto/jwt.hpp"

#include <sodium.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

using giia::ErrorCode;
using giia::authz::AccessClaims;
using giia::crypto::JwtCodec;
using giia::crypto::JwtOptions;
using giia::crypto::MakeJwtCodec;
using Json = nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "unit-test-secret-0123456789-abcdefghij";

// Two Ed25519 key pairs, as `openssl genpkey -algorithm ed25519` and
// `openssl pkey -pubout` wrote them.
constexpr const char* kPrivateKeyA =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIPUROiTPrBKnCM6e/6zOHMRNFJ6Tj5kvROdc9ikQRQ9X\n"
    "-----END PRIVATE KEY-----\n";
constexpr const char* kPublicKeyA =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEACm9DIWWrPffC4CHx7uDyp6IhFS3wlFi4ld4j2GgUw/o=\n"
    "-----END PUBLIC KEY-----\n";
// Key A's public key in base64url, and the first 16 hex digits of its SHA-256
// (`openssl pkey -pubin -outform DER | tail -c 32 | sha256sum`).
constexpr const char* kPublicKeyAx = "Cm9DIWWrPffC4CHx7uDyp6IhFS3wlFi4ld4j2GgUw_o";
constexpr const char* kKeyIdA = "f792a016f0867f9c";
constexpr const char* kPrivateKeyB =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIOC/CEk5JigqASSNwOwI58RkXutSbOlM+CQklP1fmwAR\n"
    "-----END PRIVATE KEY-----\n";
constexpr const char* kPublicKeyB =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAld1lP+uajA6tDrzrQSvafWHjJG0ahvWDtNMAZwFk77Y=\n"
    "-----END PUBLIC KEY-----\n";

std::string B64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.pop_back();  // the NUL
  return out;
}

std::string UnB64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                            text.size(), nullptr, &len, nullptr,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
  out.resize(len);
  return out;
}

// HMAC-SHA-256 (RFC 2104) of `message` under a key of any length.
std::string Hmac(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

// A compact JWS over exactly these header and payload texts, HMAC-signed by hand.
std::string HsToken(std::string_view header, std::string_view payload,
                    std::string_view key = kSecret) {
  const std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(Hmac(key, input));
}

std::string HsToken(const Json& payload) {
  return HsToken(R"({"alg":"HS256","typ":"JWT"})", payload.dump());
}

// The claims a valid token carries at kNow.
Json Payload() {
  return Json{{"iss", "giia-auth"},     {"aud", "giia"},    {"sub", "user-1"}, {"org", "org-1"},
              {"email", "a@b.example"}, {"jti", "token-1"}, {"iat", kNow},     {"nbf", kNow},
              {"exp", kNow + 900},      {"ver", 3},         {"typ", "access"}};
}

AccessClaims SampleClaims() {
  AccessClaims c;
  c.subject = "3f1c9f0e-7d5b-4f7e-9a55-1b0b6f1c2d3e";
  c.organization = "7a6b0e55-2f4c-4b2a-8c9d-0e1f2a3b4c5d";
  c.email = "ana@example.com";
  c.token_id = "c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5";
  c.issued_at = kNow;
  c.not_before = kNow;
  c.expires_at = kNow + 900;
  c.token_version = 7;
  return c;
}

// A temporary directory for key files, removed at the end of the test.
class KeyDir {
 public:
  KeyDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "giia-jwt-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
  }
  ~KeyDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  KeyDir(const KeyDir&) = delete;
  KeyDir& operator=(const KeyDir&) = delete;

  std::string Write(const std::string& name, std::string_view content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

 private:
  std::filesystem::path dir_;
};

std::unique_ptr<JwtCodec> Hs256(std::int64_t leeway = 30) {
  JwtOptions o;
  o.algorithm = "HS256";
  o.secret = kSecret;
  o.leeway_seconds = leeway;
  auto codec = MakeJwtCodec(o);
  REQUIRE(codec.has_value());
  return std::move(*codec);
}

giia::Result<std::unique_ptr<JwtCodec>> MakeEdDsa(KeyDir& dir, const char* private_pem,
                                                  const char* public_pem) {
  JwtOptions o;
  o.algorithm = "EdDSA";
  if (private_pem != nullptr) o.private_key_file = dir.Write("private.pem", private_pem);
  if (public_pem != nullptr) o.public_key_file = dir.Write("public.pem", public_pem);
  return MakeJwtCodec(o);
}

std::unique_ptr<JwtCodec> EdDsa(KeyDir& dir, const char* private_pem = kPrivateKeyA,
                                const char* public_pem = kPublicKeyA) {
  auto codec = MakeEdDsa(dir, private_pem, public_pem);
  REQUIRE(codec.has_value());
  return std::move(*codec);
}

// Why `codec` refuses `token`; checks that it is kUnauthenticated and that the
// message is short and does not contain the token.
std::string Refusal(const JwtCodec& codec, const std::string& token, std::int64_t now = kNow) {
  auto verified = codec.Verify(token, now);
  REQUIRE_FALSE(verified.has_value());
  CHECK(verified.error().code == ErrorCode::kUnauthenticated);
  CHECK(verified.error().message.size() < 64);
  if (!token.empty()) CHECK(verified.error().message.find(token) == std::string::npos);
  return verified.error().message;
}

// The token with its segment `index` (0..2) replaced.
std::string WithSegment(const std::string& token, int index, const std::string& segment) {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  std::string parts[] = {token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                         token.substr(dot2 + 1)};
  parts[index] = segment;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

std::string Segment(const std::string& token, int index) {
  std::string rest = token;
  for (int i = 0; i < index; ++i) rest = rest.substr(rest.find('.') + 1);
  return rest.substr(0, rest.find('.'));
}

}  // namespace

TEST_CASE("JWT HS256: a signed token verifies to the same claims", "[auth]") {
  auto codec = Hs256();
  CHECK(codec->algorithm() == "HS256");
  CHECK(codec->key_id().empty());
  CHECK(codec->can_sign());
  const AccessClaims claims = SampleClaims();
  auto token = codec->Sign(claims);
  REQUIRE(token.has_value());
  CHECK(std::count(token->begin(), token->end(), '.') == 2);
  CHECK(token->find('=') == std::string::npos);
  CHECK(UnB64(Segment(*token, 0)) == R"({"alg":"HS256","typ":"JWT"})");
  const Json payload = Json::parse(UnB64(Segment(*token, 1)));
  CHECK(payload["iss"] == "giia-auth");
  CHECK(payload["aud"] == "giia");
  CHECK(payload["typ"] == "access");
  CHECK(payload["ver"] == 7);
  // The signature is the standard HS256 one, computed here independently.
  const std::string input = Segment(*token, 0) + "." + Segment(*token, 1);
  CHECK(Segment(*token, 2) == B64(Hmac(kSecret, input)));

  auto verified = codec->Verify(*token, kNow);
  REQUIRE(verified.has_value());
  CHECK(verified->issuer == "giia-auth");
  CHECK(verified->audience == "giia");
  CHECK(verified->subject == claims.subject);
  CHECK(verified->organization == claims.organization);
  CHECK(verified->email == claims.email);
  CHECK(verified->token_id == claims.token_id);
  CHECK(verified->issued_at == claims.issued_at);
  CHECK(verified->not_before == claims.not_before);
  CHECK(verified->expires_at == claims.expires_at);
  CHECK(verified->token_version == claims.token_version);
  CHECK(verified->type == "access");
}

TEST_CASE("JWT HS256: a token built by hand verifies, headers and aud in other valid forms too",
          "[auth]") {
  auto codec = Hs256();
  CHECK(codec->Verify(HsToken(Payload()), kNow).has_value());
  // Another member order, no typ header, an unknown header, unknown claims.
  Json payload = Payload();
  payload["extra"] = Json{{"nested", {1, 2, {{"iss", "evil"}}}}};
  CHECK(codec->Verify(HsToken(R"({"kid":"k1","alg":"HS256"})", payload.dump()), kNow).has_value());
  // aud may be an array that contains ours.
  payload["aud"] = {"other", "giia"};
  auto verified = codec->Verify(HsToken(payload), kNow);
  REQUIRE(verified.has_value());
  CHECK(verified->audience == "giia");
  // A secret longer than a SHA-256 block is hashed first (RFC 2104).
  JwtOptions o;
  o.algorithm = "HS256";
  o.secret = std::string(100, 'k');
  auto long_key = MakeJwtCodec(o);
  REQUIRE(long_key.has_value());
  auto token = (*long_key)->Sign(SampleClaims());
  REQUIRE(token.has_value());
  CHECK(Segment(*token, 2) == B64(Hmac(o.secret, Segment(*token, 0) + "." + Segment(*token, 1))));
  CHECK((*long_key)->Verify(*token, kNow).has_value());
  CHECK(Refusal(*codec, *token) == "bad signature");
}

TEST_CASE("JWT EdDSA: round trip, kid header, and a verify-only codec", "[auth]") {
  KeyDir dir;
  auto codec = EdDsa(dir);
  CHECK(codec->algorithm() == "EdDSA");
  CHECK(codec->key_id() == kKeyIdA);
  auto token = codec->Sign(SampleClaims());
  REQUIRE(token.has_value());
  CHECK(UnB64(Segment(*token, 0)) ==
        std::string(R"({"alg":"EdDSA","typ":"JWT","kid":")") + kKeyIdA + "\"}");
  CHECK(UnB64(Segment(*token, 2)).size() == crypto_sign_ed25519_BYTES);
  auto verified = codec->Verify(*token, kNow);
  REQUIRE(verified.has_value());
  CHECK(verified->subject == SampleClaims().subject);
  CHECK(verified->token_version == 7);

  // The public key alone verifies but cannot sign.
  KeyDir dir2;
  auto verifier = EdDsa(dir2, nullptr, kPublicKeyA);
  CHECK_FALSE(verifier->can_sign());
  CHECK(verifier->key_id() == kKeyIdA);
  CHECK(verifier->Verify(*token, kNow).has_value());
  auto refused = verifier->Sign(SampleClaims());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::kFailedPrecondition);

  // The private key alone derives the public key.
  KeyDir dir3;
  auto signer = EdDsa(dir3, kPrivateKeyA, nullptr);
  CHECK(signer->key_id() == kKeyIdA);
  CHECK(signer->Verify(*token, kNow).has_value());

  // Another key pair refuses it.
  KeyDir dir4;
  auto other = EdDsa(dir4, kPrivateKeyB, kPublicKeyB);
  CHECK(Refusal(*other, *token) == "bad signature");
}

TEST_CASE("JWT: alg none and other algorithms are refused", "[auth]") {
  auto codec = Hs256();
  const std::string payload = B64(Payload().dump());
  // Unsigned: an empty signature segment.
  CHECK(Refusal(*codec, B64(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".") ==
        "malformed token");
  // "none" with some signature bytes, and other spellings, each with a valid HMAC.
  CHECK(Refusal(*codec, B64(R"({"alg":"none"})") + "." + payload + ".AAAA") ==
        "algorithm not allowed");
  for (const char* header :
       {R"({"alg":"none"})", R"({"alg":"hs256"})", R"({"alg":"HS512"})", R"({"alg":"HS256 "})",
        R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["HS256"]})", R"({"alg":256})"}) {
    INFO(header);
    CHECK(Refusal(*codec, HsToken(header, Payload().dump())) == "algorithm not allowed");
  }
}

TEST_CASE("JWT: HS256 and EdDSA cannot be confused", "[auth]") {
  KeyDir dir;
  auto eddsa = EdDsa(dir);
  auto hs = Hs256();
  const std::string payload = Payload().dump();
  // An HS256 token keyed with the EdDSA public key (raw bytes, or its PEM text).
  const std::string raw_public_key = UnB64(kPublicKeyAx);
  REQUIRE(raw_public_key.size() == 32);
  for (const std::string& key : {raw_public_key, std::string(kPublicKeyA)}) {
    CHECK(Refusal(*eddsa, HsToken(R"({"alg":"HS256","typ":"JWT"})", payload, key)) ==
          "algorithm not allowed");
    // Claiming EdDSA in the header does not make an HMAC pass as a signature.
    CHECK(Refusal(*eddsa, HsToken(R"({"alg":"EdDSA","typ":"JWT"})", payload, key)) ==
          "bad signature");
  }
  // An EdDSA token presented to an HS256 codec.
  auto token = eddsa->Sign(SampleClaims());
  REQUIRE(token.has_value());
  CHECK(Refusal(*hs, *token) == "algorithm not allowed");
}

TEST_CASE("JWT: expiry and not-before, with the leeway at its boundaries", "[auth]") {
  auto codec = Hs256(30);
  Json p = Payload();
  const auto at = [&](std::int64_t nbf, std::int64_t exp) {
    p["nbf"] = nbf;
    p["exp"] = exp;
    return HsToken(p);
  };
  CHECK(Refusal(*codec, at(kNow - 900, kNow - 60)) == "token expired");
  CHECK(Refusal(*codec, at(kNow + 60, kNow + 900)) == "token not yet valid");
  // now < exp + leeway
  CHECK(codec->Verify(at(kNow - 900, kNow - 29), kNow).has_value());
  CHECK(Refusal(*codec, at(kNow - 900, kNow - 30)) == "token expired");
  // nbf - leeway <= now
  CHECK(codec->Verify(at(kNow + 30, kNow + 900), kNow).has_value());
  CHECK(Refusal(*codec, at(kNow + 31, kNow + 900)) == "token not yet valid");

  auto strict = Hs256(0);
  CHECK(strict->Verify(at(kNow, kNow + 1), kNow).has_value());
  CHECK(Refusal(*strict, at(kNow, kNow)) == "token expired");
  CHECK(Refusal(*strict, at(kNow + 1, kNow + 900)) == "token not yet valid");
  // Extreme values neither overflow nor pass.
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  CHECK(Refusal(*codec, at(min, min)) == "token expired");
  CHECK(Refusal(*codec, at(max, max)) == "token not yet valid");
  CHECK(codec->Verify(at(min, max), max).has_value());
  CHECK(codec->Verify(at(min, max), min).has_value());
}

TEST_CASE("JWT: issuer, audience and token type must be ours", "[auth]") {
  auto codec = Hs256();
  Json p = Payload();
  p["iss"] = "someone-else";
  CHECK(Refusal(*codec, HsToken(p)) == "wrong issuer");
  p = Payload();
  p["aud"] = "other";
  CHECK(Refusal(*codec, HsToken(p)) == "wrong audience");
  p["aud"] = {"other", "GIIA"};
  CHECK(Refusal(*codec, HsToken(p)) == "wrong audience");
  p["aud"] = Json::array();
  CHECK(Refusal(*codec, HsToken(p)) == "wrong audience");
  p["aud"] = {"giia", 1};
  CHECK(Refusal(*codec, HsToken(p)) == "claim aud has the wrong type");
  p["aud"] = {"giia", {"giia"}};
  CHECK(Refusal(*codec, HsToken(p)) == "claim aud has the wrong type");
  p = Payload();
  p["typ"] = "refresh";
  CHECK(Refusal(*codec, HsToken(p)) == "not an access token");
}

TEST_CASE("JWT: every claim must be present, of the right JSON type, and unique", "[auth]") {
  auto codec = Hs256();
  for (const char* claim :
       {"iss", "aud", "typ", "sub", "org", "email", "jti", "iat", "nbf", "exp", "ver"}) {
    INFO(claim);
    Json p = Payload();
    p.erase(claim);
    CHECK(Refusal(*codec, HsToken(p)) == std::string("missing claim ") + claim);
  }
  const std::pair<const char*, Json> wrong[] = {
      {"exp", std::to_string(kNow + 900)},
      {"exp", static_cast<double>(kNow + 900)},
      {"iat", true},
      {"nbf", nullptr},
      {"ver", Json::array({3})},
      {"ver", 18446744073709551615ULL},
      {"sub", 42},
      {"org", Json::object()},
      {"email", nullptr},
      {"jti", false},
      {"iss", Json::array({"giia-auth"})},
      {"typ", 1},
  };
  for (const auto& [claim, value] : wrong) {
    INFO(claim << " = " << value.dump());
    Json p = Payload();
    p[claim] = value;
    CHECK(Refusal(*codec, HsToken(p)) == std::string("claim ") + claim + " has the wrong type");
  }
  for (const char* claim : {"sub", "org", "jti"}) {
    Json p = Payload();
    p[claim] = "";
    CHECK(Refusal(*codec, HsToken(p)) == std::string("empty claim ") + claim);
  }
  // A repeated claim is ambiguous.
  std::string twice = Payload().dump();
  twice.insert(1, R"("sub":"admin",)");
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256"})", twice)) == "malformed token");
  // The payload must be one JSON object.
  for (const char* text : {"[1]", "\"access\"", "42", "{", R"({"sub":"a"} {})", "", "\xff"}) {
    INFO(text);
    CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256"})", text)) == "malformed token");
  }
  // Nothing may follow the object, not even after a NUL byte.
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256"})", Payload().dump() + std::string(1, '\0'))) ==
        "malformed token");
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256"})" + std::string(1, '\0') + "x",
                                Payload().dump())) == "malformed token");
}

TEST_CASE("JWT: tampered payloads and signatures are refused", "[auth]") {
  KeyDir dir;
  for (auto& codec : {Hs256(), EdDsa(dir)}) {
    INFO(codec->algorithm());
    auto token = codec->Sign(SampleClaims());
    REQUIRE(token.has_value());
    Json p = Json::parse(UnB64(Segment(*token, 1)));
    p["org"] = "another-org";
    CHECK(Refusal(*codec, WithSegment(*token, 1, B64(p.dump()))) == "bad signature");
    std::string sig = Segment(*token, 2);
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    CHECK(Refusal(*codec, WithSegment(*token, 2, sig)) == "bad signature");
    const std::string raw = UnB64(Segment(*token, 2));
    CHECK(Refusal(*codec, WithSegment(*token, 2, B64(raw.substr(1)))) == "bad signature");
    CHECK(Refusal(*codec, WithSegment(*token, 2, B64(raw + "x"))) == "bad signature");
    CHECK(Refusal(*codec, WithSegment(*token, 2, B64(std::string(200, 's')))) == "malformed token");
    // Non-zero trailing bits: another spelling of nearly the same bytes.
    std::string last = Segment(*token, 2);
    last.back() = last.back() == 'A' ? 'B' : static_cast<char>(last.back() + 1);
    CHECK_FALSE(codec->Verify(WithSegment(*token, 2, last), kNow).has_value());
  }
}

TEST_CASE("JWT: the compact form is enforced before anything else", "[auth]") {
  auto codec = Hs256();
  const std::string token = HsToken(Payload());
  const std::string h = Segment(token, 0), p = Segment(token, 1), s = Segment(token, 2);
  for (const std::string& bad :
       {h + "." + p, h + "." + p + "." + s + "." + s, h + p + s, "." + p + "." + s, h + ".." + s,
        h + "." + p + ".", std::string("..."), std::string(""), h + "." + p + "=." + s,
        h + "." + p + "." + s + "=", h + "=." + p + "." + s, h + " ." + p + "." + s,
        h + "." + p + ".\n" + s}) {
    INFO(bad);
    CHECK(Refusal(*codec, bad) == "malformed token");
  }
  // The standard alphabet's '+' and '/' are not base64url.
  std::string std_alphabet = s;
  for (char& c : std_alphabet) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (std_alphabet != s) CHECK(Refusal(*codec, h + "." + p + "." + std_alphabet) != "");
  CHECK(Refusal(*codec, h + "." + p + "." + s + "+") == "malformed token");
  CHECK(Refusal(*codec, h + "." + p + "/." + s) == "malformed token");

  // Oversize, whatever it contains.
  Json big = Payload();
  big["pad"] = std::string(7000, 'x');
  const std::string oversize = HsToken(big);
  REQUIRE(oversize.size() > giia::crypto::kMaxJwtBytes);
  CHECK(Refusal(*codec, oversize) == "token too long");
  CHECK(Refusal(*codec, std::string(giia::crypto::kMaxJwtBytes + 1, '.')) == "token too long");
  // At the limit it is looked at.
  std::string at_limit;
  for (std::size_t pad = 5000; pad < 7000; ++pad) {
    big["pad"] = std::string(pad, 'x');
    std::string candidate = HsToken(big);
    if (candidate.size() > giia::crypto::kMaxJwtBytes) break;
    at_limit = std::move(candidate);
  }
  REQUIRE(at_limit.size() > giia::crypto::kMaxJwtBytes - 4);
  CHECK(codec->Verify(at_limit, kNow).has_value());
}

TEST_CASE("JWT: base64url of every length decodes, and only its canonical spelling", "[auth]") {
  auto codec = Hs256();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string header = B64(R"({"alg":"HS256","typ":"JWT"})");
  const auto signed_token = [&](const std::string& payload_segment) {
    const std::string input = header + "." + payload_segment;
    return input + "." + B64(Hmac(kSecret, input));
  };
  std::set<std::size_t> tails;
  for (std::size_t pad = 0; pad < 6; ++pad) {
    Json p = Payload();
    p["pad"] = std::string(pad, 'x');
    const std::string payload = B64(p.dump());
    INFO(payload.size() % 4);
    tails.insert(payload.size() % 4);
    CHECK(codec->Verify(signed_token(payload), kNow).has_value());
    // The same bytes with non-zero bits after the last one, or one character too many,
    // each properly signed.
    std::string other = payload;
    if (other.size() % 4 != 0) {
      other.back() = alphabet[alphabet.find(other.back()) + 1];
      CHECK(Refusal(*codec, signed_token(other)) == "malformed token");
    }
    CHECK(Refusal(*codec, signed_token(payload + "A")) == "malformed token");
  }
  CHECK(tails == std::set<std::size_t>{0, 2, 3});
}

TEST_CASE("JWT: header typ and crit", "[auth]") {
  auto codec = Hs256();
  const std::string payload = Payload().dump();
  CHECK(codec->Verify(HsToken(R"({"alg":"HS256","typ":"JWT"})", payload), kNow).has_value());
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256","typ":"at+jwt"})", payload)) ==
        "header typ is not JWT");
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256","typ":1})", payload)) == "header typ is not JWT");
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256","crit":["exp"],"exp":1})", payload)) ==
        "critical header not supported");
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256","crit":[]})", payload)) ==
        "critical header not supported");
  CHECK(Refusal(*codec, HsToken(R"({"alg":"HS256","alg":"HS256"})", payload)) == "malformed token");
  CHECK(Refusal(*codec, HsToken(R"(["HS256"])", payload)) == "malformed token");
  CHECK(Refusal(*codec, HsToken("not json", payload)) == "malformed token");
}

TEST_CASE("JWT configuration: secrets and key files are checked", "[auth]") {
  JwtOptions o;
  o.algorithm = "HS256";
  o.secret = std::string("0123456789abcdef0123456789abcde");
  REQUIRE(o.secret.size() == 31);
  auto short_secret = MakeJwtCodec(o);
  REQUIRE_FALSE(short_secret.has_value());
  CHECK(short_secret.error().code == ErrorCode::kInvalidArgument);
  CHECK(short_secret.error().field == "JWT_SECRET");
  CHECK(short_secret.error().message.find(o.secret) == std::string::npos);
  CHECK(short_secret.error().message.find("0123456789") == std::string::npos);
  o.secret += "f";
  CHECK(MakeJwtCodec(o).has_value());

  o.algorithm = "hs256";
  auto unknown = MakeJwtCodec(o);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().field == "algorithm");
  o.algorithm = "HS256";
  o.leeway_seconds = -1;
  CHECK_FALSE(MakeJwtCodec(o).has_value());

  KeyDir dir;
  const auto field_of = [&](const char* private_pem, const char* public_pem) {
    auto codec = MakeEdDsa(dir, private_pem, public_pem);
    REQUIRE_FALSE(codec.has_value());
    CHECK(codec.error().code == ErrorCode::kInvalidArgument);
    return codec.error().field;
  };
  CHECK(field_of(kPrivateKeyA, kPublicKeyB) == "JWT_PUBLIC_KEY_FILE");
  CHECK(field_of(kPrivateKeyB, kPublicKeyA) == "JWT_PUBLIC_KEY_FILE");
  CHECK(field_of(kPublicKeyA, kPublicKeyA) == "JWT_PRIVATE_KEY_FILE");
  CHECK(field_of(kPrivateKeyA, kPrivateKeyA) == "JWT_PUBLIC_KEY_FILE");
  CHECK(field_of("not a key", kPublicKeyA) == "JWT_PRIVATE_KEY_FILE");
  CHECK(field_of(kPrivateKeyA, "") == "JWT_PUBLIC_KEY_FILE");
  CHECK(field_of(nullptr, nullptr) == "JWT_PRIVATE_KEY_FILE");
  // A truncated key, and a key whose DER prefix is not Ed25519's (X25519's OID).
  CHECK(
      field_of("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPUROiTPrBKnCM6e/6zOHMRNFJ6Tj5kv\n"
               "-----END PRIVATE KEY-----\n",
               nullptr) == "JWT_PRIVATE_KEY_FILE");
  CHECK(field_of("-----BEGIN PRIVATE "
                 "KEY-----\nMC4CAQAwBQYDK2VuBCIEIPUROiTPrBKnCM6e/6zOHMRNFJ6Tj5kvROdc9ikQRQ9X\n"
                 "-----END PRIVATE KEY-----\n",
                 nullptr) == "JWT_PRIVATE_KEY_FILE");

  JwtOptions missing;
  missing.algorithm = "EdDSA";
  missing.private_key_file = "/nonexistent/giia/private.pem";
  auto unreadable = MakeJwtCodec(missing);
  REQUIRE_FALSE(unreadable.has_value());
  CHECK(unreadable.error().field == "JWT_PRIVATE_KEY_FILE");
  // The message names the file, never the key.
  auto mismatch = MakeEdDsa(dir, kPrivateKeyA, kPublicKeyB);
  REQUIRE_FALSE(mismatch.has_value());
  CHECK(mismatch.error().message.find("MC4CAQ") == std::string::npos);
  CHECK(mismatch.error().message.find("public.pem") != std::string::npos);
}

TEST_CASE("JWT JWKS: the EdDSA public key, nothing for HS256", "[auth]") {
  CHECK(Hs256()->Jwks() == R"({"keys":[]})");
  KeyDir dir;
  const Json jwks = Json::parse(EdDsa(dir)->Jwks());
  REQUIRE(jwks["keys"].size() == 1);
  const Json& key = jwks["keys"][0];
  CHECK(key == Json{{"kty", "OKP"},
                    {"crv", "Ed25519"},
                    {"x", kPublicKeyAx},
                    {"kid", kKeyIdA},
                    {"alg", "EdDSA"},
                    {"use", "sig"}});
  KeyDir dir2;
  CHECK(EdDsa(dir2, nullptr, kPublicKeyA)->Jwks() == EdDsa(dir)->Jwks());
}

TEST_CASE("JWT Sign refuses claims that could never verify", "[auth]") {
  auto codec = Hs256();
  const auto field_of = [&](AccessClaims c) {
    auto token = codec->Sign(c);
    REQUIRE_FALSE(token.has_value());
    CHECK(token.error().code == ErrorCode::kInvalidArgument);
    return token.error().field;
  };
  AccessClaims c = SampleClaims();
  c.type = "refresh";
  CHECK(field_of(c) == "typ");
  c = SampleClaims();
  c.subject.clear();
  CHECK(field_of(c) == "sub");
  c = SampleClaims();
  c.issuer = "someone-else";
  CHECK(field_of(c) == "iss");
  c = SampleClaims();
  c.audience = "other";
  CHECK(field_of(c) == "aud");
  c = SampleClaims();
  c.email = "\xff\xfe@example.com";
  CHECK(field_of(c) == "claims");
  c = SampleClaims();
  c.issuer = "giia-auth";
  c.audience = "giia";
  CHECK(codec->Sign(c).has_value());
}

TEST_CASE("JWT: one codec signs and verifies from many threads at once", "[auth]") {
  KeyDir dir;
  for (auto& codec : {Hs256(), EdDsa(dir)}) {
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        AccessClaims c = SampleClaims();
        c.token_id = "jti-" + std::to_string(t);
        for (int i = 0; i < 200; ++i) {
          auto token = codec->Sign(c);
          if (!token) {
            ++failures[t];
            continue;
          }
          auto verified = codec->Verify(*token, kNow);
          if (!verified || verified->token_id != c.token_id) ++failures[t];
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == std::vector<int>(4, 0));
  }
}

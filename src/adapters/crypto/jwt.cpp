#include "adapters/crypto/jwt.hpp"

#include <sodium.h>

#include <array>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "adapters/crypto/argon2id_hasher.hpp"

namespace giia::crypto {
namespace {

using authz::AccessClaims;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr int kBase64Url = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// The longest a decoded segment of a token of kMaxJwtBytes can be.
constexpr std::size_t kMaxDecodedBytes = kMaxJwtBytes / 4 * 3;
constexpr std::size_t kMinSecretBytes = 32;
constexpr std::int64_t kMaxLeewaySeconds = 300;
constexpr std::size_t kMaxKeyFileBytes = std::size_t{64} * 1024;
constexpr std::size_t kKeyIdHexDigits = 16;

// DER of an Ed25519 key without its 32 key bytes: PKCS#8 v1 (RFC 8410) as
// `openssl genpkey -algorithm ed25519` writes it, and SPKI.
constexpr unsigned char kPkcs8Ed25519Prefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                                 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
constexpr unsigned char kSpkiEd25519Prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
constexpr std::size_t kEd25519KeyBytes = 32;
static_assert(crypto_sign_ed25519_SEEDBYTES == kEd25519KeyBytes);
static_assert(crypto_sign_ed25519_PUBLICKEYBYTES == kEd25519KeyBytes);

constexpr const char* kMalformed = "malformed token";

tl::unexpected<Error> Refuse(std::string reason) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(reason));
}

void AppendBase64Url(std::string& out, const unsigned char* bin, std::size_t len) {
  const std::size_t encoded = sodium_base64_ENCODED_LEN(len, kBase64Url);  // with the NUL
  const std::size_t old = out.size();
  out.resize(old + encoded);
  sodium_bin2base64(out.data() + old, encoded, bin, len, kBase64Url);
  out.resize(old + encoded - 1);
}

std::string Base64Url(const void* bin, std::size_t len) {
  std::string out;
  AppendBase64Url(out, static_cast<const unsigned char*>(bin), len);
  return out;
}

// The 6-bit value of each base64url character; 0xff for every other byte
// ('=', '+', '/' and whitespace included).
constexpr std::array<std::uint8_t, 256> kBase64UrlValues = [] {
  std::array<std::uint8_t, 256> values{};
  values.fill(0xff);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return values;
}();

// Strict base64url: the URL-safe alphabet only, no padding, no whitespace, no
// non-zero trailing bits (so each byte string has exactly one encoding).
// Decodes what sodium_base642bin(..., sodium_base64_VARIANT_URLSAFE_NO_PADDING)
// accepts, about ten times faster: its constant-time decoding took 2 us of a
// 6 us HS256 Verify, and tokens are not secret. Fails, writing nothing
// useful, when the result would exceed `capacity`.
bool DecodeBase64Url(std::string_view in, unsigned char* out, std::size_t capacity,
                     std::size_t* len) {
  const std::size_t tail = in.size() % 4;
  if (tail == 1) return false;
  const std::size_t size = in.size() / 4 * 3 + (tail == 0 ? 0 : tail - 1);
  if (size > capacity) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto& v = kBase64UrlValues;
  std::uint32_t invalid = 0;  // any 0xff seen sets the high bits
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 4 <= in.size(); i += 4) {
    const std::uint32_t a = v[p[i]], b = v[p[i + 1]], c = v[p[i + 2]], d = v[p[i + 3]];
    invalid |= a | b | c | d;
    const std::uint32_t bits = a << 18 | b << 12 | c << 6 | d;
    out[o++] = static_cast<unsigned char>(bits >> 16);
    out[o++] = static_cast<unsigned char>(bits >> 8);
    out[o++] = static_cast<unsigned char>(bits);
  }
  if (tail >= 2) {
    const std::uint32_t a = v[p[i]], b = v[p[i + 1]];
    const std::uint32_t c = tail == 3 ? v[p[i + 2]] : 0;
    invalid |= a | b | c;
    // The bits past the last whole byte must be zero.
    invalid |= tail == 2 ? (b & 0x0f ? 0xff : 0) : (c & 0x03 ? 0xff : 0);
    out[o++] = static_cast<unsigned char>(a << 2 | b >> 4);
    if (tail == 3) out[o++] = static_cast<unsigned char>((b & 0x0f) << 4 | c >> 2);
  }
  *len = o;
  return (invalid & 0xc0) == 0;
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

// ---- JSON: one pass over a flat object with nlohmann's SAX interface --------

enum class Kind : std::uint8_t {
  kString,    // a JSON string, copied to `text`
  kInteger,   // a JSON integer that fits int64, copied to `number`
  kAudience,  // a string, or an array of strings; `matched` when one is ours
  kAny,       // any JSON value; only its presence matters
};
enum class SlotState : std::uint8_t { kMissing, kOk, kWrongType };

// One top-level member the caller wants.
struct Slot {
  Slot(std::string_view n, Kind k) : name(n), kind(k) {}
  Slot(std::string_view n, std::string* out) : name(n), kind(Kind::kString), text(out) {}
  Slot(std::string_view n, std::int64_t* out) : name(n), kind(Kind::kInteger), number(out) {}

  std::string_view name;
  Kind kind;
  std::string* text = nullptr;
  std::int64_t* number = nullptr;
  SlotState state = SlotState::kMissing;
  bool matched = false;  // kAudience
};

// Fills slots from the top-level members of a JSON object; members it does not
// know (and whatever nests in them) are skipped. Fails the parse when the
// value is not an object or a known member appears twice. No DOM is built.
class MemberReader {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  template <std::size_t N>
  MemberReader(Slot (&slots)[N], std::string_view audience)
      : slots_(slots), count_(N), audience_(audience) {}

  bool null() { return Other(); }
  bool boolean(bool /*value*/) { return Other(); }
  bool number_float(number_float_t /*value*/, const string_t& /*text*/) { return Other(); }
  bool binary(binary_t& /*value*/) { return false; }

  bool number_integer(number_integer_t value) { return Integer(value); }
  bool number_unsigned(number_unsigned_t value) {
    if (value > static_cast<number_unsigned_t>(std::numeric_limits<std::int64_t>::max())) {
      return Other();
    }
    return Integer(static_cast<std::int64_t>(value));
  }

  bool string(string_t& value) {
    if (depth_ == 0) return false;
    if (depth_ == 2 && in_audience_) {
      if (value == audience_) current_->matched = true;
      return true;
    }
    if (depth_ != 1 || current_ == nullptr) return true;
    switch (current_->kind) {
      case Kind::kString: *current_->text = value; return Set(SlotState::kOk);
      case Kind::kAudience: current_->matched = value == audience_; return Set(SlotState::kOk);
      case Kind::kAny: return Set(SlotState::kOk);
      case Kind::kInteger: return Set(SlotState::kWrongType);
    }
    return true;
  }

  bool start_object(std::size_t /*elements*/) {
    if (depth_ != 0) Container();
    ++depth_;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) {
    if (depth_ == 0) return false;  // not an object
    if (depth_ == 1 && current_ != nullptr && current_->kind == Kind::kAudience) {
      in_audience_ = true;
      Set(SlotState::kOk);
    } else {
      Container();
    }
    ++depth_;
    return true;
  }
  bool end_array() {
    if (--depth_ == 1) in_audience_ = false;
    return true;
  }

  bool key(string_t& name) {
    if (depth_ != 1) return true;
    current_ = nullptr;
    for (std::size_t i = 0; i < count_; ++i) {
      if (slots_[i].name == name) {
        if (slots_[i].state != SlotState::kMissing) return false;  // a duplicate
        current_ = &slots_[i];
        break;
      }
    }
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const Json::exception& /*error*/) {
    return false;
  }

 private:
  // A value that is neither a string nor an integer: null, bool, float, or an
  // integer beyond int64.
  bool Other() {
    if (depth_ == 0) return false;
    if (depth_ == 2 && in_audience_) {
      current_->state = SlotState::kWrongType;
      return true;
    }
    if (depth_ != 1 || current_ == nullptr) return true;
    return Set(current_->kind == Kind::kAny ? SlotState::kOk : SlotState::kWrongType);
  }

  bool Integer(std::int64_t value) {
    if (depth_ == 0) return false;
    if (depth_ == 2 && in_audience_) {
      current_->state = SlotState::kWrongType;
      return true;
    }
    if (depth_ != 1 || current_ == nullptr) return true;
    switch (current_->kind) {
      case Kind::kInteger: *current_->number = value; return Set(SlotState::kOk);
      case Kind::kAny: return Set(SlotState::kOk);
      case Kind::kString:
      case Kind::kAudience: return Set(SlotState::kWrongType);
    }
    return true;
  }

  // An object or array starting as the value of a member (depth >= 1).
  void Container() {
    if (depth_ == 2 && in_audience_) {
      current_->state = SlotState::kWrongType;
    } else if (depth_ == 1 && current_ != nullptr) {
      Set(current_->kind == Kind::kAny ? SlotState::kOk : SlotState::kWrongType);
    }
  }

  bool Set(SlotState state) {
    current_->state = state;
    return true;
  }

  Slot* slots_;
  std::size_t count_;
  std::string_view audience_;
  Slot* current_ = nullptr;   // the known member whose value comes next
  int depth_ = 0;             // 1 inside the top-level object
  bool in_audience_ = false;  // directly inside an "aud" array
};

template <std::size_t N>
bool ReadMembers(const unsigned char* json, std::size_t len, Slot (&slots)[N],
                 std::string_view audience = {}) {
  // nlohmann's lexer takes a NUL byte for the end of the input, and would
  // ignore whatever follows it. JSON text never contains a raw NUL.
  if (std::memchr(json, '\0', len) != nullptr) return false;
  MemberReader reader(slots, audience);
  const char* first = reinterpret_cast<const char*>(json);
  return Json::sax_parse(first, first + len, &reader);
}

// ---- Keys -------------------------------------------------------------------

Result<std::string> ReadKeyFile(const std::string& path, const char* field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(field, "cannot open " + path);
  std::string text(kMaxKeyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return InvalidArgument(field, "cannot read " + path);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) {
    sodium_memzero(text.data(), text.size());
    return InvalidArgument(field, path + " is too large to be a key file");
  }
  return text;
}

// Decodes the body of the first "-----BEGIN <label>-----" block of `text`.
bool DecodePem(std::string_view text, std::string_view label, unsigned char* der,
               std::size_t capacity, std::size_t* len) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  std::size_t body = text.find(begin);
  if (body == std::string_view::npos) return false;
  body += begin.size();
  const std::size_t stop = text.find(end, body);
  if (stop == std::string_view::npos) return false;
  return sodium_base642bin(der, capacity, text.data() + body, stop - body, " \t\r\n", len, nullptr,
                           sodium_base64_VARIANT_ORIGINAL) == 0;
}

// The 32 key bytes of an Ed25519 key PEM whose DER is `prefix` || key.
template <std::size_t N>
bool Ed25519KeyFromPem(std::string_view text, std::string_view label,
                       const unsigned char (&prefix)[N], unsigned char* key) {
  unsigned char der[64];
  std::size_t len = 0;
  const bool ok = DecodePem(text, label, der, sizeof der, &len) && len == N + kEd25519KeyBytes &&
                  std::memcmp(der, prefix, N) == 0;
  if (ok) std::memcpy(key, der + N, kEd25519KeyBytes);
  sodium_memzero(der, sizeof der);
  return ok;
}

}  // namespace

// ---- The codec --------------------------------------------------------------

struct JwtCodec::State {
  enum class Algorithm { kHs256, kEdDsa };

  Algorithm alg = Algorithm::kHs256;
  std::string algorithm;  // as it appears in headers
  std::string issuer;
  std::string audience;
  std::int64_t leeway = 0;
  std::string header_b64;  // the header Sign writes, base64url
  std::string key_id;
  std::string jwks;
  bool can_sign = false;
  crypto_auth_hmacsha256_state hmac{};  // HS256: keyed, before any input
  std::array<unsigned char, crypto_sign_ed25519_SECRETKEYBYTES> secret_key{};
  std::array<unsigned char, crypto_sign_ed25519_PUBLICKEYBYTES> public_key{};

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    sodium_memzero(&hmac, sizeof hmac);
    sodium_memzero(secret_key.data(), secret_key.size());
  }

  std::size_t SignatureBytes() const {
    return alg == Algorithm::kHs256 ? crypto_auth_hmacsha256_BYTES : crypto_sign_ed25519_BYTES;
  }

  // Writes SignatureBytes() bytes to `signature`.
  void SignInput(std::string_view input, unsigned char* signature) const {
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (alg == Algorithm::kHs256) {
      crypto_auth_hmacsha256_state st = hmac;  // the keyed state, reused without rehashing
      crypto_auth_hmacsha256_update(&st, in, input.size());
      crypto_auth_hmacsha256_final(&st, signature);
    } else {
      crypto_sign_ed25519_detached(signature, nullptr, in, input.size(), secret_key.data());
    }
  }

  // Constant time in the signature for HS256.
  bool VerifyInput(std::string_view input, const unsigned char* signature) const {
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (alg == Algorithm::kHs256) {
      // crypto_auth_hmacsha256_verify takes only 32-byte keys; this is the same
      // computation for a key of any length, with its constant-time compare.
      unsigned char expected[crypto_auth_hmacsha256_BYTES];
      crypto_auth_hmacsha256_state st = hmac;
      crypto_auth_hmacsha256_update(&st, in, input.size());
      crypto_auth_hmacsha256_final(&st, expected);
      const bool ok = crypto_verify_32(expected, signature) == 0;
      sodium_memzero(expected, sizeof expected);
      return ok;
    }
    return crypto_sign_ed25519_verify_detached(signature, in, input.size(), public_key.data()) == 0;
  }
};

JwtCodec::JwtCodec(std::unique_ptr<State> state) : state_(std::move(state)) {}
JwtCodec::~JwtCodec() = default;

const std::string& JwtCodec::algorithm() const { return state_->algorithm; }
const std::string& JwtCodec::key_id() const { return state_->key_id; }
bool JwtCodec::can_sign() const { return state_->can_sign; }
std::string JwtCodec::Jwks() const { return state_->jwks; }

Result<std::string> JwtCodec::Sign(const AccessClaims& claims) const {
  const State& s = *state_;
  if (!s.can_sign) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no JWT_PRIVATE_KEY_FILE is configured: this codec only verifies tokens");
  }
  if (claims.type != authz::kAccessTokenType) {
    return InvalidArgument("typ", "only access tokens are signed");
  }
  if (!claims.issuer.empty() && claims.issuer != s.issuer) {
    return InvalidArgument("iss", "must be empty or the configured issuer");
  }
  if (!claims.audience.empty() && claims.audience != s.audience) {
    return InvalidArgument("aud", "must be empty or the configured audience");
  }
  if (claims.subject.empty()) return InvalidArgument("sub", "must not be empty");
  if (claims.organization.empty()) return InvalidArgument("org", "must not be empty");
  if (claims.token_id.empty()) return InvalidArgument("jti", "must not be empty");

  std::string payload;
  try {
    payload = OrderedJson{{"iss", s.issuer},          {"aud", s.audience},
                          {"sub", claims.subject},    {"org", claims.organization},
                          {"email", claims.email},    {"jti", claims.token_id},
                          {"iat", claims.issued_at},  {"nbf", claims.not_before},
                          {"exp", claims.expires_at}, {"ver", claims.token_version},
                          {"typ", claims.type}}
                  .dump();
  } catch (const Json::type_error&) {  // a string that is not UTF-8
    return InvalidArgument("claims", "claims must be valid UTF-8");
  }

  std::string token;
  token.reserve(s.header_b64.size() + 2 + sodium_base64_ENCODED_LEN(payload.size(), kBase64Url) +
                sodium_base64_ENCODED_LEN(crypto_sign_ed25519_BYTES, kBase64Url));
  token += s.header_b64;
  token += '.';
  AppendBase64Url(token, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  unsigned char signature[crypto_sign_ed25519_BYTES];
  s.SignInput(token, signature);
  token += '.';
  AppendBase64Url(token, signature, s.SignatureBytes());
  return token;
}

Result<AccessClaims> JwtCodec::Verify(std::string_view token, std::int64_t now) const {
  const State& s = *state_;
  if (token.size() > kMaxJwtBytes) return Refuse("token too long");
  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return Refuse(kMalformed);
  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Refuse(kMalformed);
  }
  const std::string_view header = token.substr(0, dot1);
  const std::string_view payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature = token.substr(dot2 + 1);
  if (header.empty() || payload.empty() || signature.empty()) return Refuse(kMalformed);

  std::array<unsigned char, kMaxDecodedBytes> buffer;  // each decoded segment in turn
  std::size_t len = 0;

  // The header. Ours, byte for byte, needs no parsing.
  if (header != s.header_b64) {
    if (!DecodeBase64Url(header, buffer.data(), buffer.size(), &len)) return Refuse(kMalformed);
    std::string alg;
    std::string typ;
    Slot fields[] = {{"alg", &alg}, {"typ", &typ}, {"crit", Kind::kAny}};
    if (!ReadMembers(buffer.data(), len, fields)) return Refuse(kMalformed);
    if (fields[0].state != SlotState::kOk || alg != s.algorithm) {
      return Refuse("algorithm not allowed");
    }
    if (fields[1].state == SlotState::kWrongType ||
        (fields[1].state == SlotState::kOk && typ != "JWT")) {
      return Refuse("header typ is not JWT");
    }
    if (fields[2].state != SlotState::kMissing) return Refuse("critical header not supported");
  }

  // The payload is only decoded (strictly, like every segment) before the
  // signature is checked; it is parsed after.
  std::size_t payload_len = 0;
  if (!DecodeBase64Url(payload, buffer.data(), buffer.size(), &payload_len)) {
    return Refuse(kMalformed);
  }

  // The signature, over the first two segments as they are. Room for a few
  // bytes too many, so that a signature of the wrong length is a bad one.
  unsigned char sig[2 * crypto_sign_ed25519_BYTES];
  if (!DecodeBase64Url(signature, sig, sizeof sig, &len)) return Refuse(kMalformed);
  if (len != s.SignatureBytes() || !s.VerifyInput(token.substr(0, dot2), sig)) {
    return Refuse("bad signature");
  }

  // The claims, parsed once into the result.
  AccessClaims claims;
  Slot slots[] = {
      {"iss", &claims.issuer},     {"aud", Kind::kAudience},       {"typ", &claims.type},
      {"sub", &claims.subject},    {"org", &claims.organization},  {"email", &claims.email},
      {"jti", &claims.token_id},   {"iat", &claims.issued_at},     {"nbf", &claims.not_before},
      {"exp", &claims.expires_at}, {"ver", &claims.token_version},
  };
  if (!ReadMembers(buffer.data(), payload_len, slots, s.audience)) return Refuse(kMalformed);
  for (const Slot& slot : slots) {
    if (slot.state == SlotState::kMissing) return Refuse("missing claim " + std::string(slot.name));
    if (slot.state == SlotState::kWrongType) {
      return Refuse("claim " + std::string(slot.name) + " has the wrong type");
    }
  }
  if (claims.issuer != s.issuer) return Refuse("wrong issuer");
  if (!slots[1].matched) return Refuse("wrong audience");
  if (claims.type != authz::kAccessTokenType) return Refuse("not an access token");
  if (claims.subject.empty()) return Refuse("empty claim sub");
  if (claims.organization.empty()) return Refuse("empty claim org");
  if (claims.token_id.empty()) return Refuse("empty claim jti");
  if (claims.not_before > SaturatingAdd(now, s.leeway)) return Refuse("token not yet valid");
  if (claims.expires_at <= SaturatingAdd(now, -s.leeway)) return Refuse("token expired");
  claims.audience = s.audience;
  return claims;
}

Result<std::unique_ptr<JwtCodec>> MakeJwtCodec(const JwtOptions& options) {
  if (auto init = InitSodium(); !init) return tl::unexpected(init.error());
  if (options.issuer.empty()) return InvalidArgument("issuer", "must not be empty");
  if (options.audience.empty()) return InvalidArgument("audience", "must not be empty");
  if (options.leeway_seconds < 0 || options.leeway_seconds > kMaxLeewaySeconds) {
    return InvalidArgument("leeway_seconds", "must be between 0 and 300");
  }

  auto s = std::make_unique<JwtCodec::State>();
  s->issuer = options.issuer;
  s->audience = options.audience;
  s->leeway = options.leeway_seconds;

  if (options.algorithm == kJwtHs256) {
    if (options.secret.size() < kMinSecretBytes) {
      return InvalidArgument("JWT_SECRET", "must be at least 32 bytes long");
    }
    s->alg = JwtCodec::State::Algorithm::kHs256;
    s->algorithm = kJwtHs256;
    crypto_auth_hmacsha256_init(&s->hmac,
                                reinterpret_cast<const unsigned char*>(options.secret.data()),
                                options.secret.size());
    s->can_sign = true;
    constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
    s->header_b64 = Base64Url(kHeader.data(), kHeader.size());
    s->jwks = R"({"keys":[]})";
    return std::unique_ptr<JwtCodec>(new JwtCodec(std::move(s)));
  }

  if (options.algorithm != kJwtEdDsa) {
    return InvalidArgument("algorithm", "must be HS256 or EdDSA");
  }
  s->alg = JwtCodec::State::Algorithm::kEdDsa;
  s->algorithm = kJwtEdDsa;
  if (options.private_key_file.empty() && options.public_key_file.empty()) {
    return InvalidArgument("JWT_PRIVATE_KEY_FILE",
                           "EdDSA needs JWT_PRIVATE_KEY_FILE or JWT_PUBLIC_KEY_FILE");
  }
  if (!options.private_key_file.empty()) {
    const std::string& path = options.private_key_file;
    auto text = ReadKeyFile(path, "JWT_PRIVATE_KEY_FILE");
    if (!text) return tl::unexpected(text.error());
    unsigned char seed[kEd25519KeyBytes];
    std::string& pem = *text;
    const bool ok = Ed25519KeyFromPem(pem, "PRIVATE KEY", kPkcs8Ed25519Prefix, seed);
    sodium_memzero(pem.data(), pem.size());
    if (!ok) {
      return InvalidArgument("JWT_PRIVATE_KEY_FILE",
                             path +
                                 " is not an Ed25519 private key in PKCS#8 PEM (openssl "
                                 "genpkey -algorithm ed25519)");
    }
    crypto_sign_ed25519_seed_keypair(s->public_key.data(), s->secret_key.data(), seed);
    sodium_memzero(seed, sizeof seed);
    s->can_sign = true;
  }
  if (!options.public_key_file.empty()) {
    const std::string& path = options.public_key_file;
    auto text = ReadKeyFile(path, "JWT_PUBLIC_KEY_FILE");
    if (!text) return tl::unexpected(text.error());
    std::array<unsigned char, kEd25519KeyBytes> key{};
    if (!Ed25519KeyFromPem(*text, "PUBLIC KEY", kSpkiEd25519Prefix, key.data()) ||
        crypto_core_ed25519_is_valid_point(key.data()) != 1) {
      return InvalidArgument("JWT_PUBLIC_KEY_FILE",
                             path +
                                 " is not an Ed25519 public key in SPKI PEM (openssl pkey "
                                 "-pubout)");
    }
    if (s->can_sign && key != s->public_key) {
      return InvalidArgument("JWT_PUBLIC_KEY_FILE", path + " does not match JWT_PRIVATE_KEY_FILE");
    }
    s->public_key = key;
  }

  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, s->public_key.data(), s->public_key.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  s->key_id.assign(hex, kKeyIdHexDigits);
  const std::string header = R"({"alg":"EdDSA","typ":"JWT","kid":")" + s->key_id + "\"}";
  s->header_b64 = Base64Url(header.data(), header.size());
  OrderedJson key = {{"kty", "OKP"},
                     {"crv", "Ed25519"},
                     {"x", Base64Url(s->public_key.data(), s->public_key.size())},
                     {"kid", s->key_id},
                     {"alg", s->algorithm},
                     {"use", "sig"}};
  s->jwks = OrderedJson{{"keys", OrderedJson::array({std::move(key)})}}.dump();
  return std::unique_ptr<JwtCodec>(new JwtCodec(std::move(s)));
}

}  // namespace giia::crypto

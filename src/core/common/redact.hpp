#pragma once
// One redaction helper shared by config echo, error messages, readiness and
// logs, so a secret never reaches a terminal, a log line or an API answer.

#include <string>
#include <string_view>
#include <vector>

namespace giia {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// `text` with every credential form replaced by [REDACTED]; the rest stays
// readable:
//   - the password of a URL, any scheme: "redis://user:PASS@host",
//     "nats://:PASS@host";
//   - a lone userinfo, which redis://, rediss://, nats://, tls:// and
//     http(s):// read as a password or token ("nats://TOKEN@host"); kept for
//     postgres:// and postgresql://, where it is the user name;
//   - URL lists, each URL of them ("nats://a:4222,nats://u:PASS@b:4222");
//   - password parameters of a URL query ("?password=PASS",
//     "&sslpassword=PASS"), up to '&', '#' or a space;
//   - key=value settings whose key ends in "password" (or is "pass", "passwd"
//     or "pwd"), as in libpq conninfo ("host=db password=PASS",
//     "password = 'a quoted \' value'") or an env file ("SMTP_PASSWORD=PASS").
// Other parameters (sslkey, sslcert: file names) stay. When unsure where a
// secret ends, more is redacted, never less.
std::string RedactCredentials(std::string_view text);

// The former name of RedactCredentials (it redacts every form above).
inline std::string RedactUrlPasswords(std::string_view text) { return RedactCredentials(text); }

// Remembers secret values and removes them from any text. Not thread-safe
// while Add() runs; Apply() may be called from several threads afterwards.
class Redactor {
 public:
  // Values shorter than 4 characters are ignored: replacing them would
  // shred ordinary text and hide nothing worth hiding.
  void Add(std::string_view secret);

  // `text` with credentials (RedactCredentials) and every added secret
  // replaced by [REDACTED].
  std::string Apply(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;
};

}  // namespace giia

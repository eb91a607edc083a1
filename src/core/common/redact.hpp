#pragma once
// One redaction helper shared by config echo, error messages and logs, so a
// secret never reaches a terminal, a log line or an API error.

#include <string>
#include <string_view>
#include <vector>

namespace giia {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Replaces the password of every URL in `text` ("scheme://user:pass@host")
// with [REDACTED]; the rest of the URL stays readable.
std::string RedactUrlPasswords(std::string_view text);

// Remembers secret values and removes them from any text. Not thread-safe
// while Add() runs; Apply() may be called from several threads afterwards.
class Redactor {
 public:
  // Values shorter than 4 characters are ignored: replacing them would
  // shred ordinary text and hide nothing worth hiding.
  void Add(std::string_view secret);

  // `text` with URL passwords and every added secret replaced by [REDACTED].
  std::string Apply(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;
};

}  // namespace giia

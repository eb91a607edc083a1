#pragma once
// EMAIL_PROVIDER=smtp: one message per Send through libcurl's SMTP client
// (smtps:// is TLS from the start; smtp:// upgrades with STARTTLS when the
// server offers it, and must when a login is configured, unless
// require_tls is false: a password never goes in clear by default). Bounded by a timeout; a failure
// is kUnavailable, which the consumer retries and finally dead-letters.

#include <chrono>
#include <string>

#include "core/auth/email_verification.hpp"

namespace giia::mail {

struct SmtpOptions {
  std::string url;  // smtp://host:port or smtps://host:port (SMTP_URL)
  std::string from;
  std::string username;  // optional
  std::string password;  // optional; never logged
  std::chrono::milliseconds timeout{10000};
  // With a username or password: refuse to send over smtp:// unless STARTTLS
  // succeeds (SMTP_REQUIRE_TLS).
  bool require_tls = true;
};

class SmtpMailer final : public auth::Mailer {
 public:
  explicit SmtpMailer(SmtpOptions options) : options_(std::move(options)) {}
  Status Send(const auth::Mail& mail) override;

 private:
  SmtpOptions options_;
};

}  // namespace giia::mail

#pragma once
// The e-mail side of registration: on user.registered (consumed from
// JetStream, with the backbone's retries and dead-lettering), mint a
// verification token, store its hash, and send the link. The token itself
// never enters the outbox or the stream.

#include <chrono>
#include <string>

#include "core/auth/accounts.hpp"
#include "core/events/consumer.hpp"

namespace giia::auth {

struct Mail {
  std::string to;
  std::string subject;
  std::string text;
  std::string link;   // the verification link, also in `text`
  std::string token;  // for EMAIL_PROVIDER=file, so local users and tests can verify
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Errors: kUnavailable when the provider cannot take it now (retried).
  [[nodiscard]] virtual Status Send(const Mail& mail) = 0;
};

class VerificationMailer final : public events::EventHandler {
 public:
  // `link_base` gets "?token=<token>" appended ("http://localhost:8083/api/v1/auth/verify-email").
  VerificationMailer(AccountStore& store, Secrets& secrets, Mailer& mailer, std::string link_base,
                     std::chrono::seconds ttl)
      : store_(store),
        secrets_(secrets),
        mailer_(mailer),
        link_base_(std::move(link_base)),
        ttl_(ttl) {}
  Status Handle(const events::Event& event) override;

 private:
  AccountStore& store_;
  Secrets& secrets_;
  Mailer& mailer_;
  std::string link_base_;
  std::chrono::seconds ttl_;
};

}  // namespace giia::auth

#include "core/auth/email_verification.hpp"

namespace giia::auth {

Status VerificationMailer::Handle(const events::Event& event) {
  if (event.type != "user.registered") return Ok();  // not ours
  auto text = [&](const char* name) -> std::string {
    const events::Value* v = event.Find(name);
    if (v == nullptr || !std::holds_alternative<std::string>(*v)) return {};
    return std::get<std::string>(*v);
  };
  const std::string user = text("user_id");
  const std::string email = text("email");
  if (user.empty() || email.empty()) {
    return InvalidArgument("data.user_id", "user.registered without user_id or email");
  }
  Mail mail;
  mail.token = secrets_.NewToken();
  const auto expires = std::chrono::system_clock::now() + ttl_;
  Status stored = store_.Run([&](AccountTx& tx) -> Status {
    return tx.accounts().InsertVerification(UserId(user), secrets_.Digest(mail.token), expires);
  });
  if (!stored) return stored;
  mail.to = email;
  mail.link = link_base_ + "?token=" + mail.token;
  mail.subject = "Verify your e-mail address for GIIA";
  mail.text = "Welcome to GIIA" + (text("name").empty() ? "" : ", " + text("name")) +
              ".\n\nConfirm your e-mail address by opening this link within " +
              std::to_string(ttl_.count() / 3600) + " hours:\n\n" + mail.link +
              "\n\nIf you did not register, ignore this message.\n";
  return mailer_.Send(mail);
}

}  // namespace giia::auth

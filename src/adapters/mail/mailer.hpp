#pragma once
// E-mail delivery for EMAIL_PROVIDER=console and =file.
//   console: a short notice on a stream (to, subject; never the link, whose
//            token is a credential);
//   file:    one JSON document per message in a folder (written to a temporary
//            name, then renamed, so a reader never sees half a file), for
//            local use and tests that follow the link.

#include <filesystem>
#include <iosfwd>
#include <mutex>

#include "core/auth/email_verification.hpp"

namespace giia::mail {

class ConsoleMailer final : public auth::Mailer {
 public:
  explicit ConsoleMailer(std::ostream& out) : out_(out) {}
  Status Send(const auth::Mail& mail) override;

 private:
  std::ostream& out_;
  std::mutex mu_;
};

class FileMailer final : public auth::Mailer {
 public:
  // Errors: kInvalidArgument (field EMAIL_FILE_DIR) when the folder cannot be made.
  [[nodiscard]] static Result<std::unique_ptr<FileMailer>> Create(std::filesystem::path dir);
  // Errors: kUnavailable when the file cannot be written (retried).
  Status Send(const auth::Mail& mail) override;

 private:
  explicit FileMailer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace giia::mail

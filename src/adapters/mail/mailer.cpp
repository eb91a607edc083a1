#include "adapters/mail/mailer.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

namespace giia::mail {

Status ConsoleMailer::Send(const auth::Mail& mail) {
  std::lock_guard lock(mu_);
  out_ << "e-mail to " << mail.to << ": \"" << mail.subject
       << "\" (link withheld: set EMAIL_PROVIDER=file to follow it)" << std::endl;
  return Ok();
}

Result<std::unique_ptr<FileMailer>> FileMailer::Create(std::filesystem::path dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "EMAIL_FILE_DIR: cannot create " + dir.string() + ": " + ec.message(),
                     "EMAIL_FILE_DIR");
  }
  return std::unique_ptr<FileMailer>(new FileMailer(std::move(dir)));
}

Status FileMailer::Send(const auth::Mail& mail) {
  static std::atomic<unsigned> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string name =
      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
      std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  const nlohmann::json doc = {{"to", mail.to},
                              {"subject", mail.subject},
                              {"text", mail.text},
                              {"link", mail.link},
                              {"token", mail.token}};
  const auto tmp = dir_ / ("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump(2) << '\n';
    if (!out.flush()) {
      return MakeError(ErrorCode::kUnavailable, "cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir_ / (name + ".json"), ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot write mail: " + ec.message());
  return Ok();
}

}  // namespace giia::mail

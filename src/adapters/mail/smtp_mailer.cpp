#include "adapters/mail/smtp_mailer.hpp"

#include <curl/curl.h>

#include <cstring>
#include <ctime>

#include "core/common/time.hpp"

namespace giia::mail {
namespace {

struct Upload {
  std::string data;
  std::size_t sent = 0;
};

std::size_t Read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data.size() - up->sent);
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes of a body, not a string
  std::memcpy(buffer, up->data.data() + up->sent, n);
  up->sent += n;
  return n;
}

// Header values are ours or validated e-mail addresses; drop line breaks anyway.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

// The address of "Name <addr>" (or the whole value), for the SMTP envelope.
std::string EnvelopeAddress(const std::string& from) {
  const auto open = from.rfind('<');
  const auto close = from.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    return from.substr(open + 1, close - open - 1);
  }
  return from;
}

}  // namespace

Status SmtpMailer::Send(const auth::Mail& mail) {
  Upload up;
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  up.data = "Date: " + std::string(date) + "\r\nFrom: " + OneLine(options_.from) +
            "\r\nTo: " + OneLine(mail.to) + "\r\nSubject: " + OneLine(mail.subject) +
            "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  // Body lines end in CRLF; a line that is a lone "." would end the DATA early.
  std::string line;
  for (std::size_t i = 0; i <= mail.text.size(); ++i) {
    if (i == mail.text.size() || mail.text[i] == '\n') {
      if (!line.empty() && line.front() == '.') line.insert(line.begin(), '.');
      up.data += line + "\r\n";
      line.clear();
    } else if (mail.text[i] != '\r') {
      line += mail.text[i];
    }
  }

  CURL* curl = curl_easy_init();
  if (curl == nullptr) return MakeError(ErrorCode::kUnavailable, "cannot start libcurl");
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + OneLine(mail.to) + ">").c_str());
  const std::string from = "<" + OneLine(EnvelopeAddress(options_.from)) + ">";
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  // A login over smtp:// needs STARTTLS, or the password would go in clear
  // (libcurl then fails before AUTH when the server does not offer it).
  const bool login = !options_.username.empty() || !options_.password.empty();
  const bool must_tls = login && options_.require_tls;
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   static_cast<long>(must_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  if (login) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (code == CURLE_USE_SSL_FAILED && must_tls) {
    return MakeError(ErrorCode::kUnavailable,
                     "SMTP send refused: the server did not offer STARTTLS and a password is "
                     "configured (SMTP_REQUIRE_TLS=false would send it in clear)");
  }
  if (code != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "SMTP send failed: " + std::string(curl_easy_strerror(code)));
  }
  return Ok();
}

}  // namespace giia::mail

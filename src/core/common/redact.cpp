#include "core/common/redact.hpp"

#include <algorithm>

namespace giia {

std::string RedactUrlPasswords(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    const std::size_t authority = scheme_end + 3;
    // The userinfo ends at '@' before the next '/', '?', '#' or whitespace.
    std::size_t end = authority;
    while (end < text.size() && text[end] != '/' && text[end] != '?' && text[end] != '#' &&
           text[end] != ' ' && text[end] != '\n' && text[end] != '"' && text[end] != '\'') {
      ++end;
    }
    const std::size_t at = text.substr(authority, end - authority).rfind('@');
    const std::size_t colon = text.substr(authority, end - authority).find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out.append(text.substr(pos, authority + colon + 1 - pos));
      out.append(kRedacted);
      out.append(text.substr(authority + at, end - authority - at));
    } else {
      out.append(text.substr(pos, end - pos));
    }
    pos = end;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

void Redactor::Add(std::string_view secret) {
  if (secret.size() < 4) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  // Longest first, so a secret that contains another is removed whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Apply(std::string_view text) const {
  std::string out = RedactUrlPasswords(text);
  for (const std::string& secret : secrets_) {
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kRedacted.size())) {
      out.replace(at, secret.size(), kRedacted);
    }
  }
  return out;
}

}  // namespace giia

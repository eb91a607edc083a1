#include "core/common/redact.hpp"

#include <algorithm>
#include <cctype>

namespace giia {
namespace {

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Whether `text` at `pos` starts "scheme://" (after optional spaces).
bool StartsUrl(std::string_view text, std::size_t pos) {
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  if (pos >= text.size() || std::isalpha(static_cast<unsigned char>(text[pos])) == 0) return false;
  while (pos < text.size() && IsSchemeChar(text[pos])) ++pos;
  return text.substr(pos, 3) == "://";
}

// Pass 1: the userinfo of every URL.
std::string RedactUserinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;  // copied up to here
  std::size_t search = 0;
  while (true) {
    const std::size_t scheme_end = text.find("://", search);
    if (scheme_end == std::string_view::npos) break;
    std::size_t scheme_begin = scheme_end;
    while (scheme_begin > pos && IsSchemeChar(text[scheme_begin - 1])) --scheme_begin;
    const std::string scheme = Lower(text.substr(scheme_begin, scheme_end - scheme_begin));
    const std::size_t authority = scheme_end + 3;
    // The authority ends at the path, a space or a quote, or where the next
    // URL of a list begins. '?' and '#' do not end it: libpq and others read
    // a userinfo up to '@' or '/', so a password may hold them.
    std::size_t end = authority;
    while (end < text.size()) {
      const char c = text[end];
      if (c == '/' || IsSpace(c) || c == '"' || c == '\'' || c == '<' || c == '>') break;
      if (c == ',' && StartsUrl(text, end + 1)) break;
      ++end;
    }
    const std::string_view auth = text.substr(authority, end - authority);
    const std::size_t at = auth.rfind('@');
    if (at != std::string_view::npos && at > 0) {
      const std::string_view userinfo = auth.substr(0, at);
      const std::size_t colon = userinfo.find(':');
      const bool user_only = scheme == "postgres" || scheme == "postgresql";
      if (colon != std::string_view::npos) {
        out.append(text.substr(pos, authority + colon + 1 - pos));
        out.append(kRedacted);
        pos = authority + at;
      } else if (!user_only) {
        out.append(text.substr(pos, authority - pos));
        out.append(kRedacted);
        pos = authority + at;
      }
    }
    search = std::max(end, authority);
  }
  out.append(text.substr(pos));
  return out;
}

bool IsPasswordKey(std::string_view key) {
  const std::string k = Lower(key);
  return k.ends_with("password") || k == "pass" || k == "passwd" || k == "pwd";
}

// Pass 2: the values of password settings (URL query and key=value).
std::string RedactPasswordValues(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;  // copied up to here
  for (std::size_t eq = text.find('='); eq != std::string_view::npos; eq = text.find('=', eq + 1)) {
    if (eq < pos) continue;
    std::size_t key_end = eq;
    while (key_end > pos && (text[key_end - 1] == ' ' || text[key_end - 1] == '\t')) --key_end;
    std::size_t key_begin = key_end;
    while (key_begin > pos && IsKeyChar(text[key_begin - 1])) --key_begin;
    if (key_begin == key_end || !IsPasswordKey(text.substr(key_begin, key_end - key_begin))) {
      continue;
    }
    const bool in_query =
        key_begin > 0 && (text[key_begin - 1] == '?' || text[key_begin - 1] == '&');
    std::size_t value = eq + 1;
    if (!in_query) {
      while (value < text.size() && (text[value] == ' ' || text[value] == '\t')) ++value;
    }
    std::size_t end = value;
    if (!in_query && value < text.size() && text[value] == '\'') {
      // libpq: a single-quoted value, \' and \\ escaped. Unclosed: to the end.
      for (end = value + 1; end < text.size(); ++end) {
        if (text[end] == '\\') {
          ++end;
        } else if (text[end] == '\'') {
          ++end;
          break;
        }
      }
      end = std::min(end, text.size());
    } else {
      while (end < text.size() && !IsSpace(text[end]) &&
             !(in_query && (text[end] == '&' || text[end] == '#'))) {
        ++end;
      }
    }
    if (end == value) continue;  // "password=": nothing to hide
    out.append(text.substr(pos, value - pos));
    out.append(kRedacted);
    pos = end;
    eq = end - 1;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

std::string RedactCredentials(std::string_view text) {
  return RedactPasswordValues(RedactUserinfo(text));
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
  std::string out = RedactCredentials(text);
  for (const std::string& secret : secrets_) {
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kRedacted.size())) {
      out.replace(at, secret.size(), kRedacted);
    }
  }
  return out;
}

}  // namespace giia

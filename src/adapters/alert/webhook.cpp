#include "adapters/alert/webhook.hpp"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

namespace giia::alert {

void InitHttpClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }

void WebhookAlert::Raise(const events::DeadLetter& letter) {
  const nlohmann::json body = {{"alert", "dead_letter"},
                               {"consumer", letter.consumer},
                               {"subject", letter.original_subject},
                               {"stream", letter.stream},
                               {"stream_sequence", letter.stream_sequence},
                               {"attempts", letter.attempts},
                               {"error", letter.error},
                               {"event_type", letter.event_type},
                               {"event_id", letter.event_id},
                               {"organization", letter.organization}};
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    ++failures_;
    return;
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(text.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // safe in threads
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) {
    ++sent_;
  } else {
    ++failures_;
  }
}

}  // namespace giia::alert

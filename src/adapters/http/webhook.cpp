#include "adapters/http/webhook.hpp"

#include <nlohmann/json.hpp>

#include "adapters/http/client.hpp"

namespace giia::http {

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
  auto response =
      PostJson(url_, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), timeout_);
  if (response && response->status >= 200 && response->status < 300) {
    ++sent_;
  } else {
    ++failures_;
  }
}

}  // namespace giia::http

#pragma once
// Dead-letter alerts as an HTTP POST of a JSON document to ALERT_WEBHOOK_URL
// (libcurl). Bounded by a timeout; a failed POST is counted, never thrown.

#include <atomic>
#include <chrono>
#include <string>

#include "core/events/consumer.hpp"

namespace giia::http {

class WebhookAlert final : public events::DeadLetterAlert {
 public:
  WebhookAlert(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(2))
      : url_(std::move(url)), timeout_(timeout) {}

  // POSTs {"alert":"dead_letter","consumer":..,"subject":..,...}; waits at
  // most the timeout. Thread-safe.
  void Raise(const events::DeadLetter& letter) override;

  std::int64_t sent() const { return sent_.load(); }
  std::int64_t failures() const { return failures_.load(); }

 private:
  std::string url_;  // may carry a token: never logged
  std::chrono::milliseconds timeout_;
  std::atomic<std::int64_t> sent_{0};
  std::atomic<std::int64_t> failures_{0};
};

}  // namespace giia::http

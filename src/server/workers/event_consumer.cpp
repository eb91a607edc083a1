#include "server/workers/event_consumer.hpp"

#include <spdlog/spdlog.h>

namespace giia::server {

void LogDeadLetterAlert::Raise(const events::DeadLetter& letter) {
  log_.error(
      "dead letter: consumer {} gave up on {} (stream {} seq {}, event {} {}, organization {}) "
      "after {} attempt(s): {}",
      letter.consumer, letter.original_subject, letter.stream, letter.stream_sequence,
      letter.event_type, letter.event_id, letter.organization, letter.attempts, letter.error);
  if (next_ != nullptr) next_->Raise(letter);
}

EventConsumerWorker::EventConsumerWorker(events::MessageSource& source,
                                         events::EventConsumer& consumer,
                                         EventConsumerOptions options, spdlog::logger& log)
    : source_(source), consumer_(consumer), options_(options), log_(log) {}

EventConsumerWorker::~EventConsumerWorker() { Stop(); }

void EventConsumerWorker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void EventConsumerWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventConsumerWorker::Loop() {
  auto backoff = std::chrono::milliseconds(100);
  bool failing = false;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto batch = source_.Fetch(options_.batch, options_.fetch_wait);
    if (!batch) {
      if (!failing) log_.warn("consumer {}: {}; retrying", consumer_.name(), batch.error().message);
      failing = true;
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    failing = false;
    backoff = std::chrono::milliseconds(100);
    for (auto& message : *batch) {
      auto outcome = consumer_.Process(*message);
      if (!outcome) {
        log_.warn("consumer {}: {} seq {}: {}", consumer_.name(), message->subject(),
                  message->stream_sequence(), outcome.error().message);
      }
    }
  }
}

}  // namespace giia::server

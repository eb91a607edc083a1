#pragma once
// The background worker that feeds one consumer: fetches, processes each
// message to its end (ack, delayed retry, or dead letter), and waits out
// broker outages with backoff. Dead letters are logged as errors.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/events/consumer.hpp"

namespace spdlog {
class logger;
}

namespace giia::server {

// Logs every dead letter as an error line (the alert of last resort) and
// forwards it to `next` (a webhook, say) when set.
class LogDeadLetterAlert final : public events::DeadLetterAlert {
 public:
  LogDeadLetterAlert(spdlog::logger& log, events::DeadLetterAlert* next = nullptr)
      : log_(log), next_(next) {}
  void Raise(const events::DeadLetter& letter) override;

 private:
  spdlog::logger& log_;
  events::DeadLetterAlert* next_;
};

struct EventConsumerOptions {
  int batch = 32;
  std::chrono::milliseconds fetch_wait{1000};
  std::chrono::milliseconds max_backoff{5000};
};

class EventConsumerWorker {
 public:
  // References must outlive the worker.
  EventConsumerWorker(events::MessageSource& source, events::EventConsumer& consumer,
                      EventConsumerOptions options, spdlog::logger& log);
  ~EventConsumerWorker();  // stops
  void Start();
  // Finishes the message in hand and returns (within fetch_wait). Idempotent.
  void Stop();

 private:
  void Loop();
  events::MessageSource& source_;
  events::EventConsumer& consumer_;
  const EventConsumerOptions options_;
  spdlog::logger& log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace giia::server

#pragma once
// Consuming events: each message is decoded, validated against its schema,
// handled once per event id, and then acknowledged, retried with exponential
// backoff, or moved to the dead-letter queue. The transport (JetStream) sits
// behind the ports below.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/events/event.hpp"

namespace giia::events {

// A delivered message. Exactly one of Ack, NakWithDelay or Term ends it.
class InboundMessage {
 public:
  virtual ~InboundMessage() = default;
  virtual const std::string& subject() const = 0;
  virtual const std::string& stream() const = 0;
  virtual std::uint64_t stream_sequence() const = 0;
  virtual int delivered() const = 0;     // 1 on the first delivery
  virtual int replay_count() const = 0;  // times `giia dlq replay` sent it back; 0 if never
  // Errors: kInvalidArgument naming the attribute when it is not a giia CloudEvent.
  [[nodiscard]] virtual Result<Event> Decode() const = 0;
  [[nodiscard]] virtual Status Ack() = 0;
  [[nodiscard]] virtual Status NakWithDelay(std::chrono::milliseconds delay) = 0;
  [[nodiscard]] virtual Status Term() = 0;
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Up to `max` messages, waiting up to `wait` for the first; empty when none.
  // Errors: kUnavailable when the broker cannot be reached.
  [[nodiscard]] virtual Result<std::vector<std::unique_ptr<InboundMessage>>> Fetch(
      int max, std::chrono::milliseconds wait) = 0;
};

// Why a message was given up on; travels as headers with the dead letter.
struct DeadLetter {
  std::string consumer;
  std::string original_subject;
  std::string stream;
  std::uint64_t stream_sequence = 0;
  int attempts = 0;
  std::string error;
  std::string event_type;  // empty when the payload could not be decoded
  std::string event_id;
  std::string organization;
  int replay_count = 0;
};

// "dlq.<consumer>.<original subject>"
std::string DeadLetterSubject(const std::string& consumer, const std::string& subject);

class DeadLetterQueue {
 public:
  virtual ~DeadLetterQueue() = default;
  // Stores `original`'s payload with `letter` as headers (plus the time), and
  // returns once the broker acknowledged it. Idempotent per (consumer,
  // stream sequence).
  [[nodiscard]] virtual Status Put(const DeadLetter& letter, const InboundMessage& original) = 0;
};

// Tells a human. Implementations must not throw or block for long.
class DeadLetterAlert {
 public:
  virtual ~DeadLetterAlert() = default;
  virtual void Raise(const DeadLetter& letter) = 0;
};

// The event ids a consumer has handled, for idempotent handling.
class ProcessedEvents {
 public:
  virtual ~ProcessedEvents() = default;
  [[nodiscard]] virtual Result<bool> Seen(const std::string& consumer,
                                          const std::string& event_id) = 0;
  [[nodiscard]] virtual Status Remember(const std::string& consumer,
                                        const std::string& event_id) = 0;
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // An error with code kInvalidArgument is permanent (retrying cannot help)
  // and dead-letters at once; any other error is retried.
  [[nodiscard]] virtual Status Handle(const Event& event) = 0;
};

struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60'000};
};

enum class Outcome { kAcked, kDuplicate, kRetrying, kDeadLettered };
const char* OutcomeName(Outcome outcome);

// The delay before attempt `attempt + 1` after attempt `attempt` failed:
// initial, 2x, 4x, ... capped.
std::chrono::milliseconds BackoffAfter(int attempt, const RetryPolicy& policy);

struct ConsumerCounters {
  std::atomic<std::int64_t> acked{0};
  std::atomic<std::int64_t> duplicates{0};
  std::atomic<std::int64_t> retried{0};
  std::atomic<std::int64_t> dead_lettered{0};
};

class EventConsumer {
 public:
  // `alert` may be null. References must outlive the consumer.
  EventConsumer(std::string name, EventHandler& handler, ProcessedEvents& processed,
                DeadLetterQueue& dlq, DeadLetterAlert* alert, RetryPolicy policy)
      : name_(std::move(name)),
        handler_(handler),
        processed_(processed),
        dlq_(dlq),
        alert_(alert),
        policy_(policy) {}

  // Takes `message` to its end. When the dead-letter queue cannot store it,
  // the message is retried later instead of terminated: nothing is lost.
  // Errors: transport errors from acknowledging (the broker redelivers).
  [[nodiscard]] Result<Outcome> Process(InboundMessage& message);

  const std::string& name() const { return name_; }
  const ConsumerCounters& counters() const { return counters_; }

 private:
  Result<Outcome> GiveUp(InboundMessage& message, const DeadLetter& letter);

  std::string name_;
  EventHandler& handler_;
  ProcessedEvents& processed_;
  DeadLetterQueue& dlq_;
  DeadLetterAlert* alert_;
  RetryPolicy policy_;
  ConsumerCounters counters_;
};

}  // namespace giia::events

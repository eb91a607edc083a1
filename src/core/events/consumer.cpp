#include "core/events/consumer.hpp"

namespace giia::events {

std::string DeadLetterSubject(const std::string& consumer, const std::string& subject) {
  return "dlq." + consumer + "." + subject;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAcked: return "acked";
    case Outcome::kDuplicate: return "duplicate";
    case Outcome::kRetrying: return "retrying";
    case Outcome::kDeadLettered: return "dead-lettered";
  }
  return "acked";
}

std::chrono::milliseconds BackoffAfter(int attempt, const RetryPolicy& policy) {
  auto delay = policy.initial_backoff;
  for (int i = 1; i < attempt && delay < policy.max_backoff; ++i) delay *= 2;
  return std::min(delay, policy.max_backoff);
}

Result<Outcome> EventConsumer::Process(InboundMessage& message) {
  DeadLetter letter;
  letter.consumer = name_;
  letter.original_subject = message.subject();
  letter.stream = message.stream();
  letter.stream_sequence = message.stream_sequence();
  letter.attempts = message.delivered();
  letter.replay_count = message.replay_count();

  auto event = message.Decode();
  if (!event) {
    letter.error = "undecodable: " + event.error().message;
    return GiveUp(message, letter);
  }
  letter.event_type = event->type;
  letter.event_id = event->id;
  letter.organization = event->organization_id;
  if (auto valid = Validate(*event); !valid) {
    letter.error = "invalid: " + valid.error().message;
    return GiveUp(message, letter);
  }
  auto seen = processed_.Seen(name_, event->id);
  if (seen && *seen) {
    if (auto ok = message.Ack(); !ok) return tl::unexpected(ok.error());
    ++counters_.duplicates;
    return Outcome::kDuplicate;
  }
  // Delivered more often than allowed without ever finishing (the handler
  // crashed the process, or outlived the ack wait): stop here.
  if (message.delivered() > policy_.max_attempts) {
    letter.error =
        "delivered " + std::to_string(message.delivered()) + " times without being handled";
    return GiveUp(message, letter);
  }
  Status handled = seen ? handler_.Handle(*event) : Status(tl::unexpected(seen.error()));
  if (handled) {
    // Remember before acknowledging: a crash in between means a redelivery
    // that is recognised, not a second application.
    if (auto ok = processed_.Remember(name_, event->id); !ok) handled = ok;
  }
  if (handled) {
    if (auto ok = message.Ack(); !ok) return tl::unexpected(ok.error());
    ++counters_.acked;
    return Outcome::kAcked;
  }
  letter.error = handled.error().message;
  const bool permanent = handled.error().code == ErrorCode::kInvalidArgument;
  if (permanent || message.delivered() >= policy_.max_attempts) {
    return GiveUp(message, letter);
  }
  // A plain Nak redelivers at once and JetStream's BackOff applies only to
  // ack timeouts, so the delay is asked for explicitly.
  if (auto ok = message.NakWithDelay(BackoffAfter(message.delivered(), policy_)); !ok) {
    return tl::unexpected(ok.error());
  }
  ++counters_.retried;
  return Outcome::kRetrying;
}

Result<Outcome> EventConsumer::GiveUp(InboundMessage& message, const DeadLetter& letter) {
  if (auto stored = dlq_.Put(letter, message); !stored) {
    // Never terminate what the DLQ did not take: try again later.
    (void)message.NakWithDelay(BackoffAfter(message.delivered(), policy_));
    return tl::unexpected(stored.error());
  }
  if (auto ok = message.Term(); !ok) return tl::unexpected(ok.error());
  ++counters_.dead_lettered;
  if (alert_ != nullptr) alert_->Raise(letter);
  return Outcome::kDeadLettered;
}

}  // namespace giia::events

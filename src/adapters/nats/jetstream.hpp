#pragma once
// NATS JetStream (nats.c) behind giia types: one connection per process, the
// streams giia needs, and publishing with de-duplication ids. nats.h stays in
// the .cpp files.
//
// Thread-safety: a JetStream may be used from several threads (nats.c
// connections and contexts are thread-safe).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "core/events/consumer.hpp"
#include "core/events/dlq.hpp"
#include "core/events/relay.hpp"

namespace giia::nats {

// The servers of NATS_URL: one nats:// or tls:// URL, or a comma-separated
// list of them (a cluster's members; spaces around commas are allowed).
// Errors: kInvalidArgument (field "NATS_URL") naming the entry by position,
// with any credentials removed.
[[nodiscard]] Result<std::vector<std::string>> ParseServers(const std::string& urls);

struct NatsOptions {
  std::string url;                          // ParseServers' form: one URL or a list
  std::string name = "giia";                // shown by the server's monitoring
  std::chrono::milliseconds timeout{2000};  // connect, and every JetStream request
  // true: Connect() returns at once and the connection is made (and remade)
  // in the background, so a service starts while NATS is down.
  bool connect_in_background = false;
};

struct StreamSpec {
  std::string name;
  std::vector<std::string> subjects;
  std::chrono::seconds max_age{0};       // 0: keep until the size limit
  std::chrono::seconds duplicates{120};  // the Nats-Msg-Id de-duplication window
  std::int64_t max_bytes = -1;           // -1: no limit
  // Copies in a JetStream cluster (1-5). An update to another number makes
  // the cluster add or remove copies in place; a single server refuses > 1.
  int replicas = 1;
};

// AUTH_EVENTS (auth.>), CATALOG_EVENTS (catalog.>): 7 days, 1 GiB each;
// DLQ_EVENTS (dlq.>): 30 days, 1 GiB, limits retention so messages stay
// viewable until replayed or purged. All keep a 2-minute de-duplication window
// and `replicas` copies (NATS_STREAM_REPLICAS).
std::vector<StreamSpec> DefaultStreams(int replicas = 1);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct PubAck {
  std::string stream;
  std::uint64_t sequence = 0;
  bool duplicate = false;  // the id was seen within the window: not stored again
};

// Counters for metrics; read with Stats().
struct NatsStats {
  std::int64_t published = 0;
  std::int64_t publish_failures = 0;
  bool connected = false;
};

// A message as stored in a stream, read without consuming it.
struct StoredMessage {
  std::uint64_t sequence = 0;
  std::string subject;
  std::string data;
  Headers headers;
  std::int64_t time_ns = 0;  // when the stream stored it
  // The value of header `key`, or "" when absent.
  std::string Header(const std::string& key) const;
};

// One message of a PublishAll batch. `payload` must outlive the call.
struct OutgoingMessage {
  std::string subject;
  std::string msg_id;  // becomes the Nats-Msg-Id header
  std::string_view payload;
  Headers headers;
};

// Header names giia puts on dead letters and replays.
namespace header = events::dlq_header;

// A core NATS subscription (see JetStream::Subscribe); unsubscribes when destroyed.
class Subscription {
 public:
  using Handler = std::function<void(std::string_view subject, std::string_view data)>;
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  friend class JetStream;
  struct State;
  explicit Subscription(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class JetStream {
 public:
  // Errors: kUnavailable naming the URL when the server cannot be reached
  // (unless connect_in_background); kInvalidArgument for a malformed URL.
  [[nodiscard]] static Result<std::unique_ptr<JetStream>> Connect(const NatsOptions& options);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  bool Connected() const;
  // Waits up to `timeout` for the connection to be (re)established; true
  // when it is. Woken by nats.c's connected/reconnected callbacks.
  bool WaitUntilConnected(std::chrono::milliseconds timeout);

  // Creates each stream, or updates it to `specs` when it exists. Idempotent.
  // Errors: kUnavailable (not connected, timeout); kFailedPrecondition when
  // the server refuses the configuration, naming the stream.
  [[nodiscard]] Status EnsureStreams(std::span<const StreamSpec> specs);

  // Publishes and waits for JetStream's acknowledgement. `msg_id` becomes the
  // Nats-Msg-Id header. Fails fast (kUnavailable) while disconnected instead
  // of buffering.
  [[nodiscard]] Result<PubAck> Publish(const std::string& subject, const std::string& msg_id,
                                       std::string_view payload, const Headers& headers = {});

  // Publishes `messages` in order without waiting between them (nats.c's
  // asynchronous publish), then waits once, up to the connection's timeout,
  // for JetStream's acknowledgements. Returns one Status per message, in
  // order: Ok when the stream stored it (a duplicate of an earlier publish
  // counts as stored); the broker's error (kUnavailable for "no responders":
  // no stream takes the subject); kUnavailable when no acknowledgement came
  // in time. A message that cannot be sent stops the batch: it and every one
  // after it carry that error and are not sent. While disconnected, every
  // message is kUnavailable and nothing is sent.
  [[nodiscard]] std::vector<Status> PublishAll(std::span<const OutgoingMessage> messages);

  // The message at `sequence`; nullopt when it was deleted or never existed.
  [[nodiscard]] Result<std::optional<StoredMessage>> Get(const std::string& stream,
                                                         std::uint64_t sequence);
  // Removes each of `sequences`, sending every request before waiting for the
  // answers (one wait, not one round trip each). One Status per sequence, in
  // order: kNotFound for one that is not there; kUnavailable for one not
  // answered in time.
  [[nodiscard]] std::vector<Status> DeleteAll(const std::string& stream,
                                              std::span<const std::uint64_t> sequences);
  // Every message of the stream, in sequence order, read through an ordered
  // consumer (ephemeral, no acks: reading removes nothing) instead of one
  // request per sequence. Errors: kNotFound for an unknown stream;
  // kUnavailable when not connected or the stream stops answering.
  [[nodiscard]] Result<std::vector<StoredMessage>> ReadAll(const std::string& stream);

  // Hands every message published on `subject` (wildcards allowed) to
  // `handler`, on nats.c's delivery thread, one at a time. A JetStream
  // publish reaches core subscribers as the stream stores it; nothing is
  // acknowledged and nothing is replayed (what was published while this
  // process was away is not seen). Subscribing while disconnected is
  // allowed: nats.c subscribes once it connects, and again after every
  // reconnection. Errors: kInvalidArgument for a bad subject.
  [[nodiscard]] Result<std::unique_ptr<Subscription>> Subscribe(const std::string& subject,
                                                                Subscription::Handler handler);

  NatsStats Stats() const;
  const std::string& url() const { return url_; }

 private:
  friend class PullConsumer;
  struct Impl;
  explicit JetStream(std::unique_ptr<Impl> impl, std::string url);
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

// The relay's publisher: each outbox record to its subject, Nats-Msg-Id =
// event id, content type CloudEvents JSON. A batch goes out at once
// (JetStream::PublishAll) and the acknowledged prefix is reported.
class JetStreamPublisher final : public events::EventPublisher {
 public:
  explicit JetStreamPublisher(JetStream& js) : js_(js) {}
  Result<std::size_t> Publish(std::span<const events::OutboxRecord> records) override;

 private:
  JetStream& js_;  // not owned
};

struct ConsumerSpec {
  std::string stream;          // "AUTH_EVENTS"
  std::string durable;         // the consumer's name, also in DLQ subjects
  std::string filter_subject;  // "auth.user.registered"; empty: the whole stream
  std::chrono::seconds ack_wait{30};
};

// A durable pull consumer with explicit acks. Retries are driven by the
// application (NakWithDelay), so MaxDeliver is unlimited on the server and
// the consumer decides when to give up. Fetch from one thread at a time.
class PullConsumer final : public events::MessageSource {
 public:
  // Creates or updates the durable consumer, then binds to it.
  [[nodiscard]] static Result<std::unique_ptr<PullConsumer>> Create(JetStream& js,
                                                                    const ConsumerSpec& spec);
  ~PullConsumer() override;
  Result<std::vector<std::unique_ptr<events::InboundMessage>>> Fetch(
      int max, std::chrono::milliseconds wait) override;

 private:
  struct Sub;
  explicit PullConsumer(std::unique_ptr<Sub> sub);
  std::unique_ptr<Sub> sub_;
};

// Dead letters into DLQ_EVENTS under dlq.<consumer>.<original subject>, with
// the Giia-* headers above; Nats-Msg-Id makes a repeated Put a no-op.
class JetStreamDeadLetterQueue final : public events::DeadLetterQueue {
 public:
  explicit JetStreamDeadLetterQueue(JetStream& js) : js_(js) {}
  Status Put(const events::DeadLetter& letter, const events::InboundMessage& original) override;

 private:
  JetStream& js_;  // not owned
};

inline constexpr const char* kReplayedSubject = "dlq.replayed";

// The DLQ stream as on-call sees it (`giia dlq`). dlq.replayed audit records
// live in the same stream and are not dead letters: List() leaves them out.
class JetStreamDeadLetterStore final : public events::DeadLetterStore {
 public:
  explicit JetStreamDeadLetterStore(JetStream& js, std::string stream = "DLQ_EVENTS")
      : js_(js), stream_(std::move(stream)) {}
  Result<std::vector<events::StoredLetter>> List() override;
  Result<std::optional<events::StoredLetter>> Get(std::uint64_t sequence) override;
  std::vector<Status> Republish(std::span<const events::StoredLetter> letters) override;
  std::vector<Status> RecordReplays(std::span<const events::StoredLetter> letters,
                                    const std::string& by) override;
  std::vector<Status> Remove(std::span<const std::uint64_t> sequences) override;

 private:
  JetStream& js_;  // not owned
  std::string stream_;
};

}  // namespace giia::nats

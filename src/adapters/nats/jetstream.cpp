#include "adapters/nats/jetstream.hpp"

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "adapters/codec/cloudevents.hpp"
#include "core/common/redact.hpp"
#include "core/common/time.hpp"

namespace giia::nats {
namespace {

constexpr std::int64_t kNanos = 1'000'000'000;

bool IsConnectivity(natsStatus s) {
  return s == NATS_TIMEOUT || s == NATS_NO_SERVER || s == NATS_CONNECTION_CLOSED ||
         s == NATS_NOT_YET_CONNECTED || s == NATS_CONNECTION_DISCONNECTED ||
         s == NATS_NO_RESPONDERS || s == NATS_STALE_CONNECTION || s == NATS_IO_ERROR ||
         s == NATS_CONNECTION_AUTH_FAILED;
}

// natsStatus (and a JetStream error code) -> Error, at the adapter boundary.
Error ErrorFrom(natsStatus s, jsErrCode jerr, const std::string& what) {
  std::string text = what + ": " + natsStatus_GetText(s);
  if (jerr != 0) text += " (JetStream error " + std::to_string(static_cast<int>(jerr)) + ")";
  if (IsConnectivity(s)) return {ErrorCode::kUnavailable, text, ""};
  if (jerr != 0) return {ErrorCode::kFailedPrecondition, text, ""};
  return {ErrorCode::kInternal, text, ""};
}

// A natsOptions with the servers of `servers` set (natsOptions_SetURL takes
// one URL; a list needs natsOptions_SetServers).
void SetServers(natsOptions* opts, const std::vector<std::string>& servers) {
  std::vector<const char*> list;
  list.reserve(servers.size());
  for (const std::string& s : servers) list.push_back(s.c_str());
  natsOptions_SetServers(opts, list.data(), static_cast<int>(list.size()));
  // nats.c shuffles the list (its default), so replicas spread over the
  // cluster, and tries each member in turn on every (re)connect.
}

}  // namespace

std::vector<StreamSpec> DefaultStreams(int replicas) {
  constexpr std::int64_t kGiB = 1LL << 30;
  const auto week = std::chrono::hours(24 * 7);
  const auto month = std::chrono::hours(24 * 30);
  return {
      {"AUTH_EVENTS", {"auth.>"}, week, std::chrono::seconds(120), kGiB, replicas},
      {"CATALOG_EVENTS", {"catalog.>"}, week, std::chrono::seconds(120), kGiB, replicas},
      {"DLQ_EVENTS", {"dlq.>"}, month, std::chrono::seconds(120), kGiB, replicas},
  };
}

struct JetStream::Impl {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  std::mutex mu;
  std::condition_variable connected;  // notified by nats.c on (re)connect
  static void OnConnected(natsConnection*, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    { std::lock_guard lock(self->mu); }  // no waiter can miss the notification
    self->connected.notify_all();
  }
  std::atomic<std::int64_t> published{0};
  std::atomic<std::int64_t> failures{0};
  std::int64_t timeout_ms = 2000;  // NatsOptions::timeout
  ~Impl() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
  }
};

JetStream::JetStream(std::unique_ptr<Impl> impl, std::string url)
    : impl_(std::move(impl)), url_(std::move(url)) {}
JetStream::~JetStream() = default;

Result<std::unique_ptr<JetStream>> JetStream::Connect(const NatsOptions& options) {
  const std::string shown = RedactCredentials(options.url);
  auto servers = ParseServers(options.url);
  if (!servers) return tl::unexpected(servers.error());
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) {
    return MakeError(ErrorCode::kInternal, "cannot allocate NATS options");
  }
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
  SetServers(opts, *servers);
  natsOptions_SetName(opts, options.name.c_str());
  natsOptions_SetTimeout(opts, options.timeout.count());
  natsOptions_SetAllowReconnect(opts, true);
  natsOptions_SetMaxReconnect(opts, -1);  // forever: NATS outages are waited out
  natsOptions_SetReconnectWait(opts, 250);
  // Acks and requests go out at once instead of on the flusher's ~1 ms tick.
  natsOptions_SetSendAsap(opts, true);
  if (!options.connect_in_background) {
    // With reconnects allowed forever, nats.c's first connect also retries
    // forever. Probe once without reconnects, so an unreachable server is
    // reported within the timeout.
    natsOptions* probe_opts = nullptr;
    natsOptions_Create(&probe_opts);
    std::unique_ptr<natsOptions, void (*)(natsOptions*)> probe_owned(probe_opts,
                                                                     natsOptions_Destroy);
    SetServers(probe_opts, *servers);
    natsOptions_SetTimeout(probe_opts, options.timeout.count());
    natsOptions_SetAllowReconnect(probe_opts, false);
    natsConnection* probe = nullptr;
    const natsStatus ps = natsConnection_Connect(&probe, probe_opts);
    natsConnection_Destroy(probe);
    if (ps != NATS_OK) {
      return tl::unexpected(
          ErrorFrom(ps, static_cast<jsErrCode>(0), "cannot connect to NATS at " + shown));
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->timeout_ms = options.timeout.count();
  natsOptions_SetReconnectedCB(opts, &Impl::OnConnected, impl.get());
  if (options.connect_in_background) {
    // With a connected callback the first connect returns at once and goes
    // on in the background; without one, nats.c would block retrying.
    natsOptions_SetRetryOnFailedConnect(opts, true, &Impl::OnConnected, impl.get());
  }
  natsStatus s = natsConnection_Connect(&impl->nc, opts);
  if (s != NATS_OK && !(options.connect_in_background && s == NATS_NOT_YET_CONNECTED)) {
    return tl::unexpected(
        ErrorFrom(s, static_cast<jsErrCode>(0), "cannot connect to NATS at " + shown));
  }
  jsOptions jso;
  jsOptions_Init(&jso);
  jso.Wait = options.timeout.count();
  s = natsConnection_JetStream(&impl->js, impl->nc, &jso);
  if (s != NATS_OK) {
    return tl::unexpected(ErrorFrom(s, static_cast<jsErrCode>(0), "cannot use JetStream"));
  }
  return std::unique_ptr<JetStream>(new JetStream(std::move(impl), options.url));
}

bool JetStream::Connected() const {
  return natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED;
}

bool JetStream::WaitUntilConnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->connected.wait_for(lock, timeout, [&] { return Connected(); });
}

Status JetStream::EnsureStreams(std::span<const StreamSpec> specs) {
  if (!Connected()) {
    return MakeError(ErrorCode::kUnavailable,
                     "NATS at " + RedactCredentials(url_) + " is not connected");
  }
  for (const StreamSpec& spec : specs) {
    std::vector<const char*> subjects;
    for (const std::string& s : spec.subjects) subjects.push_back(s.c_str());
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = spec.name.c_str();
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Retention = js_LimitsPolicy;
    cfg.Storage = js_FileStorage;
    cfg.MaxAge = spec.max_age.count() * kNanos;
    cfg.Duplicates = spec.duplicates.count() * kNanos;
    cfg.MaxBytes = spec.max_bytes;
    cfg.Replicas = spec.replicas;
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&info, impl_->js, &cfg, nullptr, &jerr);
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
      // It exists with another configuration: bring it to ours.
      jerr = static_cast<jsErrCode>(0);
      s = js_UpdateStream(&info, impl_->js, &cfg, nullptr, &jerr);
    }
    if (info != nullptr) jsStreamInfo_Destroy(info);
    if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, jerr, "stream " + spec.name));
  }
  return Ok();
}

Result<PubAck> JetStream::Publish(const std::string& subject, const std::string& msg_id,
                                  std::string_view payload, const Headers& headers) {
  if (!Connected()) {
    ++impl_->failures;
    return MakeError(ErrorCode::kUnavailable,
                     "NATS at " + RedactCredentials(url_) + " is not connected");
  }
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, static_cast<jsErrCode>(0), "publish"));
  std::unique_ptr<natsMsg, void (*)(natsMsg*)> owned(msg, natsMsg_Destroy);
  for (const auto& [key, value] : headers) {
    // An empty value garbles nats.c's header block (every header is lost on
    // read): an absent header already means "none".
    if (!value.empty()) natsMsgHeader_Add(msg, key.c_str(), value.c_str());
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, impl_->js, msg, &po, &jerr);
  if (s != NATS_OK) {
    ++impl_->failures;
    return tl::unexpected(ErrorFrom(s, jerr, "publish to " + subject));
  }
  PubAck out{ack->Stream != nullptr ? ack->Stream : "", ack->Sequence, ack->Duplicate};
  jsPubAck_Destroy(ack);
  ++impl_->published;
  return out;
}

NatsStats JetStream::Stats() const {
  return {impl_->published.load(), impl_->failures.load(), Connected()};
}

namespace {

// The acknowledgements of one PublishAll. nats.c calls OnAck on its reply
// subscription's thread, once per message that the library took, with that
// message (which the handler then owns).
struct AckCollector {
  std::mutex mu;
  std::unordered_map<natsMsg*, std::size_t> in_flight;  // message -> position in the batch
  std::vector<Status> results;

  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<AckCollector*>(closure);
    {
      std::lock_guard lock(self->mu);
      // Erased before the message is destroyed: a later message of the batch
      // may be allocated at the same address.
      if (auto it = self->in_flight.find(msg); it != self->in_flight.end()) {
        if (pa != nullptr) {
          self->results[it->second] = Ok();
        } else if (pae != nullptr) {
          std::string what = std::string("publish to ") + natsMsg_GetSubject(msg);
          if (pae->ErrText != nullptr && pae->ErrText[0] != '\0') {
            what += std::string(" (") + pae->ErrText + ")";
          }
          self->results[it->second] = tl::unexpected(ErrorFrom(pae->Err, pae->ErrCode, what));
        }
        self->in_flight.erase(it);
      }
    }
    natsMsg_Destroy(msg);
  }
};

}  // namespace

std::vector<Status> JetStream::PublishAll(std::span<const OutgoingMessage> messages) {
  const auto fail_all = [&](std::size_t from, std::vector<Status>& results, const Error& e) {
    for (std::size_t i = from; i < results.size(); ++i) results[i] = tl::unexpected(e);
    impl_->failures += static_cast<std::int64_t>(results.size() - from);
  };
  std::vector<Status> results(messages.size(), Ok());
  if (messages.empty()) return results;
  if (!Connected()) {
    fail_all(
        0, results,
        {ErrorCode::kUnavailable, "NATS at " + RedactCredentials(url_) + " is not connected", ""});
    return results;
  }
  AckCollector acks;
  acks.results.assign(
      messages.size(),
      MakeError(ErrorCode::kUnavailable, "publish: no acknowledgement from JetStream within " +
                                             std::to_string(impl_->timeout_ms) + " ms"));
  // A context of its own per batch: nats.c keeps the ack handler and the
  // pending count per context, so js_PublishAsyncComplete below waits for
  // this batch only, whatever other threads publish on the connection.
  jsOptions jso;
  jsOptions_Init(&jso);
  jso.Wait = impl_->timeout_ms;
  jso.PublishAsync.AckHandler = &AckCollector::OnAck;
  jso.PublishAsync.AckHandlerClosure = &acks;
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, impl_->nc, &jso); s != NATS_OK) {
    fail_all(0, results, ErrorFrom(s, static_cast<jsErrCode>(0), "cannot use JetStream"));
    return results;
  }
  std::size_t sent = 0;
  std::optional<Error> send_error;
  for (; sent < messages.size(); ++sent) {
    const OutgoingMessage& m = messages[sent];
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.payload.data(),
                                  static_cast<int>(m.payload.size()));
    if (s != NATS_OK) {
      send_error = ErrorFrom(s, static_cast<jsErrCode>(0), "publish to " + m.subject);
      break;
    }
    for (const auto& [key, value] : m.headers) {
      // An empty value garbles nats.c's header block (see Publish).
      if (!value.empty()) natsMsgHeader_Add(msg, key.c_str(), value.c_str());
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = m.msg_id.c_str();
    natsMsg* const key = msg;
    {
      // Registered before publishing: the ack can arrive before the call returns.
      std::lock_guard lock(acks.mu);
      acks.in_flight[key] = sent;
    }
    s = js_PublishMsgAsync(js, &msg, &po);  // on success nats.c owns it and clears `msg`
    if (s != NATS_OK) {
      {
        std::lock_guard lock(acks.mu);
        acks.in_flight.erase(key);
      }
      natsMsg_Destroy(msg);
      send_error = ErrorFrom(s, static_cast<jsErrCode>(0), "publish to " + m.subject);
      break;
    }
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = impl_->timeout_ms;
  if (js_PublishAsyncComplete(js, &wait) != NATS_OK) {
    // Take back the unanswered messages, so that nats.c drops their late
    // acks, then wait for a handler that may be running right now (it still
    // counts as pending): none may run once `acks` is gone.
    natsMsgList unanswered{};
    if (js_PublishAsyncGetPendingList(&unanswered, js) == NATS_OK) natsMsgList_Destroy(&unanswered);
    js_PublishAsyncComplete(js, nullptr);
  }
  jsCtx_Destroy(js);
  std::lock_guard lock(acks.mu);  // the handlers are done; this orders their writes before ours
  for (std::size_t i = 0; i < sent; ++i) {
    results[i] = acks.results[i];
    if (results[i]) {
      ++impl_->published;
    } else {
      ++impl_->failures;
    }
  }
  if (send_error) fail_all(sent, results, *send_error);
  return results;
}

Result<std::size_t> JetStreamPublisher::Publish(std::span<const events::OutboxRecord> records) {
  // The relay marks the acknowledged prefix as sent and retries the rest.
  return events::PublishInWaves(records, [this](std::span<const events::OutboxRecord> wave) {
    std::vector<OutgoingMessage> messages;
    messages.reserve(wave.size());
    for (const events::OutboxRecord& r : wave) {
      messages.push_back(
          {r.subject, r.event_id, r.payload, {{"Content-Type", "application/cloudevents+json"}}});
    }
    return js_.PublishAll(messages);
  });
}

}  // namespace giia::nats

// ---------------------------------------------------------------------------
// Reading and deleting stored messages (giia dlq).

namespace giia::nats {
namespace {

Headers HeadersOf(natsMsg* msg) {
  Headers out;
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) != NATS_OK) return out;
  for (int i = 0; i < count; ++i) {
    const char** values = nullptr;
    int n = 0;
    if (natsMsgHeader_Values(msg, keys[i], &values, &n) == NATS_OK) {
      for (int j = 0; j < n; ++j) out.emplace_back(keys[i], values[j]);
      free(values);
    }
  }
  free(keys);
  return out;
}

std::string UtcNow() { return Rfc3339(std::chrono::system_clock::now()); }

}  // namespace

std::string StoredMessage::Header(const std::string& key) const {
  for (const auto& [k, v] : headers) {
    if (k == key) return v;
  }
  return "";
}

Result<std::optional<StoredMessage>> JetStream::Get(const std::string& stream,
                                                    std::uint64_t sequence) {
  natsMsg* msg = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetMsg(&msg, impl_->js, stream.c_str(), sequence, nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) return std::optional<StoredMessage>();
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, jerr, "reading " + stream));
  StoredMessage m;
  m.sequence = sequence;
  m.subject = natsMsg_GetSubject(msg);
  m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  m.headers = HeadersOf(msg);
  m.time_ns = natsMsg_GetTime(msg);
  natsMsg_Destroy(msg);
  return std::optional<StoredMessage>(std::move(m));
}

std::vector<Status> JetStream::DeleteAll(const std::string& stream,
                                         std::span<const std::uint64_t> sequences) {
  const std::string what = "deleting from " + stream;
  std::vector<Status> results(
      sequences.size(),
      MakeError(ErrorCode::kUnavailable,
                what + ": no answer within " + std::to_string(impl_->timeout_ms) + " ms"));
  if (sequences.empty()) return results;
  if (!Connected()) {
    const Error down{ErrorCode::kUnavailable,
                     "NATS at " + RedactCredentials(url_) + " is not connected", ""};
    for (Status& r : results) r = tl::unexpected(down);
    return results;
  }
  // nats.c has no asynchronous js_DeleteMsg: these are its requests, sent all
  // at once, with the answers read back from one inbox. Each reply subject
  // ends in the request's position.
  natsInbox* inbox = nullptr;
  natsSubscription* sub = nullptr;
  natsStatus s = natsInbox_Create(&inbox);
  const std::string prefix = s == NATS_OK ? std::string(inbox) + "." : "";
  natsInbox_Destroy(inbox);
  if (s == NATS_OK) s = natsConnection_SubscribeSync(&sub, impl_->nc, (prefix + "*").c_str());
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, -1, -1);  // all may wait unread
  std::optional<Error> send_error;
  if (s != NATS_OK) send_error = ErrorFrom(s, static_cast<jsErrCode>(0), what);
  std::size_t sent = 0;
  const std::string subject = "$JS.API.STREAM.MSG.DELETE." + stream;
  while (!send_error && sent < sequences.size()) {
    // no_erase as js_DeleteMsg: mark deleted, do not overwrite the bytes.
    const std::string body = "{\"seq\":" + std::to_string(sequences[sent]) + ",\"no_erase\":true}";
    s = natsConnection_PublishRequest(impl_->nc, subject.c_str(),
                                      (prefix + std::to_string(sent)).c_str(), body.data(),
                                      static_cast<int>(body.size()));
    if (s != NATS_OK) {
      send_error = ErrorFrom(s, static_cast<jsErrCode>(0), what);
    } else {
      ++sent;
    }
  }
  // What was not sent fails with the reason; the rest wait for their answers.
  for (std::size_t i = sent; send_error && i < results.size(); ++i) {
    results[i] = tl::unexpected(*send_error);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(impl_->timeout_ms);
  for (std::size_t answered = 0; sub != nullptr && answered < sent;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    natsMsg* reply = nullptr;
    if (left.count() <= 0 ||
        natsSubscription_NextMsg(&reply, sub, std::max<std::int64_t>(left.count(), 1)) != NATS_OK) {
      break;  // the rest keep "no answer"
    }
    std::unique_ptr<natsMsg, void (*)(natsMsg*)> owned(reply, natsMsg_Destroy);
    const std::string_view reply_to = natsMsg_GetSubject(reply);
    const std::size_t i = std::strtoull(reply_to.substr(prefix.size()).data(), nullptr, 10);
    if (i >= sent) continue;
    ++answered;
    const auto answer = nlohmann::json::parse(
        std::string_view(natsMsg_GetData(reply),
                         static_cast<std::size_t>(natsMsg_GetDataLength(reply))),
        nullptr, false);
    if (answer.is_object() && answer.value("success", false)) {
      results[i] = Ok();
    } else if (answer.is_object() && answer.contains("error")) {
      const int code = answer["error"].value("err_code", 0);
      const std::string text = answer["error"].value("description", std::string("refused"));
      // nats-server 2.9 reports a message already deleted as 10057 "no
      // message found" (a generic delete failure) rather than 10043.
      const bool gone = code == JSSequenceNotFoundErr || code == JSNoMessageFoundErr ||
                        (code == JSStreamMsgDeleteFailed && text == "no message found");
      results[i] =
          gone ? MakeError(ErrorCode::kNotFound, "message " + std::to_string(sequences[i]) +
                                                     " is not in " + stream + " (" + text + ")")
               : MakeError(ErrorCode::kFailedPrecondition,
                           what + ": " + text + " (JetStream error " + std::to_string(code) + ")");
    } else {
      // An empty status reply: nobody answers for the stream (no JetStream).
      results[i] = MakeError(ErrorCode::kUnavailable, what + ": no responders");
    }
  }
  if (sub != nullptr) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  return results;
}

Result<std::vector<StoredMessage>> JetStream::ReadAll(const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, impl_->js, stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) {
    if (jerr == JSStreamNotFoundErr || s == NATS_NOT_FOUND) {
      return MakeError(ErrorCode::kNotFound, "stream " + stream + " does not exist");
    }
    return tl::unexpected(ErrorFrom(s, jerr, "stream " + stream));
  }
  const std::uint64_t messages = si->State.Msgs;
  // The consumer's filter: the stream's subject when it has one (nats.c
  // 3.4 wants a subject to subscribe to); otherwise none, the whole stream.
  const std::string filter =
      si->Config != nullptr && si->Config->SubjectsLen == 1 ? si->Config->Subjects[0] : "";
  jsStreamInfo_Destroy(si);
  std::vector<StoredMessage> out;
  if (messages == 0) return out;
  out.reserve(messages);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;  // ephemeral, in order, no acks: the stream is only read
  natsSubscription* sub = nullptr;
  s = js_SubscribeSync(&sub, impl_->js, filter.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, jerr, "reading " + stream));
  std::unique_ptr<natsSubscription, void (*)(natsSubscription*)> owned_sub(
      sub, natsSubscription_Destroy);
  while (true) {
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub, impl_->timeout_ms);
    if (s != NATS_OK) {
      natsSubscription_Unsubscribe(sub);
      return tl::unexpected(ErrorFrom(s, static_cast<jsErrCode>(0), "reading " + stream));
    }
    std::unique_ptr<natsMsg, void (*)(natsMsg*)> owned(msg, natsMsg_Destroy);
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) continue;
    StoredMessage m;
    m.sequence = meta->Sequence.Stream;
    m.time_ns = meta->Timestamp;
    const std::uint64_t pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    m.subject = natsMsg_GetSubject(msg);
    m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    m.headers = HeadersOf(msg);
    out.push_back(std::move(m));
    if (pending == 0) break;  // the last message stored when it was delivered
  }
  natsSubscription_Unsubscribe(sub);  // the server removes the ephemeral consumer
  return out;
}

// ---------------------------------------------------------------------------
// Consuming.

namespace {

// One fetched message; owns the natsMsg until it is acknowledged.
class NatsInbound final : public events::InboundMessage {
 public:
  NatsInbound(natsMsg* msg, std::string stream) : msg_(msg), stream_(std::move(stream)) {
    subject_ = natsMsg_GetSubject(msg);
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      sequence_ = meta->Sequence.Stream;
      delivered_ = static_cast<int>(meta->NumDelivered);
      jsMsgMetaData_Destroy(meta);
    }
    const char* replays = nullptr;
    if (natsMsgHeader_Get(msg, header::kReplayCount, &replays) == NATS_OK && replays != nullptr) {
      replay_count_ = events::ReadLetterCount(replays);
    }
  }
  ~NatsInbound() override { natsMsg_Destroy(msg_); }

  const std::string& subject() const override { return subject_; }
  const std::string& stream() const override { return stream_; }
  std::uint64_t stream_sequence() const override { return sequence_; }
  int delivered() const override { return delivered_; }
  int replay_count() const override { return replay_count_; }
  Result<events::Event> Decode() const override {
    return codec::DecodeCloudEvent(std::string_view(
        natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_))));
  }
  Status Ack() override { return Check(natsMsg_Ack(msg_, nullptr), "ack"); }
  Status NakWithDelay(std::chrono::milliseconds delay) override {
    return Check(natsMsg_NakWithDelay(msg_, delay.count(), nullptr), "nak");  // ms, not ns
  }
  Status Term() override { return Check(natsMsg_Term(msg_, nullptr), "term"); }
  std::string_view data() const {
    return {natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_))};
  }

 private:
  static Status Check(natsStatus s, const char* what) {
    if (s == NATS_OK) return Ok();
    return tl::unexpected(ErrorFrom(s, static_cast<jsErrCode>(0), what));
  }
  natsMsg* msg_;
  std::string stream_;
  std::string subject_;
  std::uint64_t sequence_ = 0;
  int delivered_ = 1;
  int replay_count_ = 0;
};

}  // namespace

struct PullConsumer::Sub {
  natsSubscription* sub = nullptr;
  std::string stream;
  ~Sub() {
    if (sub != nullptr) natsSubscription_Destroy(sub);
  }
};

PullConsumer::PullConsumer(std::unique_ptr<Sub> sub) : sub_(std::move(sub)) {}
PullConsumer::~PullConsumer() = default;

Result<std::unique_ptr<PullConsumer>> PullConsumer::Create(JetStream& js,
                                                           const ConsumerSpec& spec) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = spec.durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = spec.ack_wait.count() * kNanos;
  cc.MaxDeliver = -1;
  if (!spec.filter_subject.empty()) cc.FilterSubject = spec.filter_subject.c_str();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, js.impl_->js, spec.stream.c_str(), &cc, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSConsumerNameExistErr) {
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateConsumer(&ci, js.impl_->js, spec.stream.c_str(), &cc, nullptr, &jerr);
  }
  if (ci != nullptr) jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, jerr, "consumer " + spec.durable));
  auto sub = std::make_unique<Sub>();
  sub->stream = spec.stream;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = spec.stream.c_str();
  so.Consumer = spec.durable.c_str();
  s = js_PullSubscribe(&sub->sub, js.impl_->js, spec.filter_subject.c_str(), spec.durable.c_str(),
                       nullptr, &so, &jerr);
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, jerr, "binding to " + spec.durable));
  return std::unique_ptr<PullConsumer>(new PullConsumer(std::move(sub)));
}

struct Subscription::State {
  natsSubscription* sub = nullptr;
  Handler handler;
  std::mutex mu;
  std::condition_variable cv;
  bool complete = false;  // nats.c will not call OnMessage again
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    const auto* self = static_cast<const State*>(closure);
    const char* data = natsMsg_GetData(msg);
    self->handler(natsMsg_GetSubject(msg),
                  std::string_view(data != nullptr ? data : "",
                                   static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    natsMsg_Destroy(msg);
  }
  static void OnComplete(void* closure) {
    auto* self = static_cast<State*>(closure);
    std::lock_guard lock(self->mu);
    self->complete = true;
    self->cv.notify_all();
  }
};

Subscription::Subscription(std::unique_ptr<State> state) : state_(std::move(state)) {}

Subscription::~Subscription() {
  // The delivery thread may be inside the handler right now: wait for nats.c
  // to say it is done with it before the handler (and what it uses) goes.
  natsSubscription_Unsubscribe(state_->sub);
  std::unique_lock lock(state_->mu);
  const bool done =
      state_->cv.wait_for(lock, std::chrono::seconds(10), [this] { return state_->complete; });
  lock.unlock();
  natsSubscription_Destroy(state_->sub);
  if (!done) (void)state_.release();  // never freed under a handler that may still run
}

Result<std::unique_ptr<Subscription>> JetStream::Subscribe(const std::string& subject,
                                                           Subscription::Handler handler) {
  auto state = std::make_unique<Subscription::State>();
  state->handler = std::move(handler);
  natsStatus s = natsConnection_Subscribe(&state->sub, impl_->nc, subject.c_str(),
                                          &Subscription::State::OnMessage, state.get());
  if (s == NATS_OK) {
    s = natsSubscription_SetOnCompleteCB(state->sub, &Subscription::State::OnComplete, state.get());
    if (s != NATS_OK) {
      natsSubscription_Unsubscribe(state->sub);
      natsSubscription_Destroy(state->sub);
      (void)state.release();  // a handler may still run: never freed
    }
  }
  if (s != NATS_OK) {
    return tl::unexpected(ErrorFrom(s, static_cast<jsErrCode>(0), "subscribe to " + subject));
  }
  return std::unique_ptr<Subscription>(new Subscription(std::move(state)));
}

Result<std::vector<std::unique_ptr<events::InboundMessage>>> PullConsumer::Fetch(
    int max, std::chrono::milliseconds wait) {
  natsMsgList list{};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = natsSubscription_Fetch(&list, sub_->sub, max, wait.count(), &jerr);
  std::vector<std::unique_ptr<events::InboundMessage>> out;
  if (s == NATS_TIMEOUT) return out;
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, jerr, "fetching"));
  for (int i = 0; i < list.Count; ++i) {
    out.push_back(std::make_unique<NatsInbound>(list.Msgs[i], sub_->stream));
    list.Msgs[i] = nullptr;  // owned by NatsInbound now
  }
  natsMsgList_Destroy(&list);
  return out;
}

Status JetStreamDeadLetterQueue::Put(const events::DeadLetter& letter,
                                     const events::InboundMessage& original) {
  const auto& inbound = static_cast<const NatsInbound&>(original);
  const Headers headers = {
      {header::kOriginalSubject, letter.original_subject},
      {header::kOriginalStream, letter.stream},
      {header::kOriginalSequence, std::to_string(letter.stream_sequence)},
      {header::kConsumer, letter.consumer},
      {header::kAttempts, std::to_string(letter.attempts)},
      {header::kLastError, letter.error},
      {header::kFailedAt, UtcNow()},
      {header::kEventType, letter.event_type},
      {header::kEventId, letter.event_id},
      {header::kOrganization, letter.organization},
      {header::kReplayCount, std::to_string(letter.replay_count)},
  };
  // One dead letter per consumer, delivery and replay generation.
  const std::string id =
      "dlq:" + letter.consumer + ":" + letter.stream + ":" + std::to_string(letter.stream_sequence);
  auto ack = js_.Publish(events::DeadLetterSubject(letter.consumer, letter.original_subject), id,
                         inbound.data(), headers);
  if (!ack) return tl::unexpected(ack.error());
  return Ok();
}

}  // namespace giia::nats

// ---------------------------------------------------------------------------
// The DLQ as on-call sees it.

namespace giia::nats {
namespace {

events::StoredLetter LetterFrom(StoredMessage m) {
  events::StoredLetter s = events::ReadLetterHeaders(std::move(m.headers));
  s.sequence = m.sequence;
  s.subject = m.subject;
  s.payload = std::move(m.data);
  return s;
}

}  // namespace

Result<std::vector<events::StoredLetter>> JetStreamDeadLetterStore::List() {
  auto stored = js_.ReadAll(stream_);
  if (!stored) return tl::unexpected(stored.error());
  std::vector<events::StoredLetter> out;
  out.reserve(stored->size());
  for (StoredMessage& m : *stored) {
    if (m.subject != kReplayedSubject) out.push_back(LetterFrom(std::move(m)));
  }
  return out;
}

Result<std::optional<events::StoredLetter>> JetStreamDeadLetterStore::Get(std::uint64_t sequence) {
  auto m = js_.Get(stream_, sequence);
  if (!m) return tl::unexpected(m.error());
  if (!m->has_value() || (*m)->subject == kReplayedSubject) {
    return std::optional<events::StoredLetter>();
  }
  return std::optional<events::StoredLetter>(LetterFrom(std::move(**m)));
}

std::vector<Status> JetStreamDeadLetterStore::Republish(
    std::span<const events::StoredLetter> letters) {
  std::vector<OutgoingMessage> messages;
  messages.reserve(letters.size());
  for (const events::StoredLetter& s : letters) {
    const int replay_count = s.letter.replay_count + 1;
    // A new id per replay generation: JetStream accepts it even within the
    // de-duplication window of the original, and drops a repeat of this replay.
    const std::string base =
        s.letter.event_id.empty() ? "dlq-seq-" + std::to_string(s.sequence) : s.letter.event_id;
    messages.push_back({s.letter.original_subject,
                        base + ":replay:" + std::to_string(replay_count),
                        s.payload,
                        {{"Content-Type", "application/cloudevents+json"},
                         {header::kReplayCount, std::to_string(replay_count)}}});
  }
  return js_.PublishAll(messages);
}

std::vector<Status> JetStreamDeadLetterStore::Remove(std::span<const std::uint64_t> sequences) {
  return js_.DeleteAll(stream_, sequences);
}

std::vector<Status> JetStreamDeadLetterStore::RecordReplays(
    std::span<const events::StoredLetter> letters, const std::string& by) {
  std::vector<OutgoingMessage> messages;
  messages.reserve(letters.size());
  for (const events::StoredLetter& s : letters) {
    const std::string replay_count = std::to_string(s.letter.replay_count + 1);
    messages.push_back({kReplayedSubject,
                        "dlq-replayed:" + std::to_string(s.sequence) + ":" + replay_count,
                        "",
                        {{"Giia-Replayed-Sequence", std::to_string(s.sequence)},
                         {header::kOriginalSubject, s.letter.original_subject},
                         {header::kConsumer, s.letter.consumer},
                         {header::kEventId, s.letter.event_id},
                         {header::kReplayCount, replay_count},
                         {"Giia-Replayed-By", by},
                         {header::kFailedAt, s.failed_at}}});
  }
  return js_.PublishAll(messages);
}

}  // namespace giia::nats

#include "adapters/nats/jetstream.hpp"

#include <nats/nats.h>

#include <atomic>

#include "core/common/redact.hpp"

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

}  // namespace

std::vector<StreamSpec> DefaultStreams() {
  constexpr std::int64_t kGiB = 1LL << 30;
  const auto week = std::chrono::hours(24 * 7);
  const auto month = std::chrono::hours(24 * 30);
  return {
      {"AUTH_EVENTS", {"auth.>"}, week, std::chrono::seconds(120), kGiB},
      {"CATALOG_EVENTS", {"catalog.>"}, week, std::chrono::seconds(120), kGiB},
      {"DLQ_EVENTS", {"dlq.>"}, month, std::chrono::seconds(120), kGiB},
  };
}

struct JetStream::Impl {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  std::atomic<std::int64_t> published{0};
  std::atomic<std::int64_t> failures{0};
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
  const std::string shown = RedactUrlPasswords(options.url);
  if (options.url.rfind("nats://", 0) != 0 && options.url.rfind("tls://", 0) != 0) {
    return InvalidArgument("NATS_URL", "\"" + shown + "\" is not a nats:// URL");
  }
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) {
    return MakeError(ErrorCode::kInternal, "cannot allocate NATS options");
  }
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
  natsOptions_SetURL(opts, options.url.c_str());
  natsOptions_SetName(opts, options.name.c_str());
  natsOptions_SetTimeout(opts, options.timeout.count());
  natsOptions_SetAllowReconnect(opts, true);
  natsOptions_SetMaxReconnect(opts, -1);  // forever: NATS outages are waited out
  natsOptions_SetReconnectWait(opts, 250);
  // Acks and requests go out at once instead of on the flusher's ~1 ms tick.
  natsOptions_SetSendAsap(opts, true);
  if (options.connect_in_background) {
    // With a connected callback the first connect returns at once and goes
    // on in the background; without one, nats.c would block retrying.
    natsOptions_SetRetryOnFailedConnect(
        opts, true, [](natsConnection*, void*) {}, nullptr);
  }
  if (!options.connect_in_background) {
    // With reconnects allowed forever, nats.c's first connect also retries
    // forever. Probe once without reconnects, so an unreachable server is
    // reported within the timeout.
    natsOptions* probe_opts = nullptr;
    natsOptions_Create(&probe_opts);
    std::unique_ptr<natsOptions, void (*)(natsOptions*)> probe_owned(probe_opts,
                                                                     natsOptions_Destroy);
    natsOptions_SetURL(probe_opts, options.url.c_str());
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

Status JetStream::EnsureStreams(std::span<const StreamSpec> specs) {
  if (!Connected()) {
    return MakeError(ErrorCode::kUnavailable,
                     "NATS at " + RedactUrlPasswords(url_) + " is not connected");
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
                     "NATS at " + RedactUrlPasswords(url_) + " is not connected");
  }
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK) return tl::unexpected(ErrorFrom(s, static_cast<jsErrCode>(0), "publish"));
  std::unique_ptr<natsMsg, void (*)(natsMsg*)> owned(msg, natsMsg_Destroy);
  for (const auto& [key, value] : headers) natsMsgHeader_Add(msg, key.c_str(), value.c_str());
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

Result<std::size_t> JetStreamPublisher::Publish(std::span<const events::OutboxRecord> records) {
  const Headers headers = {{"Content-Type", "application/cloudevents+json"}};
  std::size_t acked = 0;
  for (const events::OutboxRecord& r : records) {
    auto ack = js_.Publish(r.subject, r.event_id, r.payload, headers);
    if (!ack) {
      if (acked == 0) return tl::unexpected(ack.error());
      break;  // the relay marks the acknowledged prefix and retries the rest
    }
    ++acked;
  }
  return acked;
}

}  // namespace giia::nats

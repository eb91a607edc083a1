#include "adapters/nats/probe.hpp"

#include "core/common/redact.hpp"

namespace giia::nats {

Status NatsProbe::Check(std::chrono::milliseconds timeout) {
  NatsOptions options;
  options.url = url_;
  options.name = "giia-probe";
  options.timeout = timeout;
  auto js = JetStream::Connect(options);
  if (!js) return tl::unexpected(js.error());
  return Ok();
}

Status LiveNatsProbe::Check(std::chrono::milliseconds) {
  if (js_.Connected()) return Ok();
  return MakeError(ErrorCode::kUnavailable,
                   "NATS at " + RedactCredentials(js_.url()) + " is not connected");
}

}  // namespace giia::nats

#include "adapters/redis/probe.hpp"

#include <hiredis/hiredis.h>

#include <memory>

namespace giia::redis {

Result<RedisAddress> ParseRedisUrl(const std::string& url) {
  if (url.rfind("redis://", 0) != 0) {
    return InvalidArgument("REDIS_URL", "REDIS_URL must start with redis://");
  }
  std::string rest = url.substr(8);
  rest = rest.substr(0, rest.find('/'));
  RedisAddress a;
  if (const std::size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string user_info = rest.substr(0, at);
    const std::size_t colon = user_info.find(':');
    a.password = colon == std::string::npos ? user_info : user_info.substr(colon + 1);
    rest = rest.substr(at + 1);
  }
  const std::size_t colon = rest.rfind(':');
  a.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
        port.size() > 5) {
      return InvalidArgument("REDIS_URL", "REDIS_URL has a port that is not a number");
    }
    a.port = std::stoi(port);
  }
  if (a.host.empty()) return InvalidArgument("REDIS_URL", "REDIS_URL names no host");
  return a;
}

Status RedisProbe::Check(std::chrono::milliseconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  const std::string where = "Redis at " + address_.host + ":" + std::to_string(address_.port);
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(
      redisConnectWithTimeout(address_.host.c_str(), address_.port, tv), redisFree);
  if (!c || c->err != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     where + ": " + (c ? c->errstr : std::string("out of memory")));
  }
  redisSetTimeout(c.get(), tv);
  auto command = [&](const char* fmt, const char* arg) {
    return std::unique_ptr<redisReply, void (*)(void*)>(
        static_cast<redisReply*>(arg ? redisCommand(c.get(), fmt, arg)
                                     : redisCommand(c.get(), fmt)),
        freeReplyObject);
  };
  if (!address_.password.empty()) {
    auto auth = command("AUTH %s", address_.password.c_str());
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
      return MakeError(ErrorCode::kUnavailable, where + ": authentication failed");
    }
  }
  auto pong = command("PING", nullptr);
  if (!pong) return MakeError(ErrorCode::kUnavailable, where + ": " + c->errstr);
  if (pong->type != REDIS_REPLY_STATUS || std::string(pong->str, pong->len) != "PONG") {
    return MakeError(ErrorCode::kUnavailable, where + " did not answer PING with PONG");
  }
  return Ok();
}

}  // namespace giia::redis

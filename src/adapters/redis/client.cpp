#include "adapters/redis/client.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace giia::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

std::string Where(const RedisAddress& address) {
  return "Redis at " + address.host + ":" + std::to_string(address.port);
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default: out.type = RedisReply::Type::kNil; break;
  }
  return out;
}

// Error replies that mean "the server cannot serve right now" rather than
// "this command is wrong".
bool TransientErrorReply(const std::string& text) {
  for (const char* prefix :
       {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOAUTH", "READONLY", "OOM"}) {
    if (text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

Error ReplyError(const std::string& where, const std::string& command, const std::string& text) {
  return Error{TransientErrorReply(text) ? ErrorCode::kUnavailable : ErrorCode::kInternal,
               where + " refused " + command + ": " + text,
               {}};
}

std::chrono::milliseconds Backoff::Next() {
  current_ = current_.count() == 0 ? initial_ : std::min(current_ * 2, max_);
  return current_;
}

// --- RedisConnection -------------------------------------------------------

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const RedisOptions& options) {
  const std::string where = Where(options.address);
  redisContext* c = redisConnectWithTimeout(options.address.host.c_str(), options.address.port,
                                            ToTimeval(options.connect_timeout));
  if (c == nullptr) return MakeError(ErrorCode::kUnavailable, where + ": out of memory");
  if (c->err != 0) {
    std::string message = where + ": " + c->errstr;
    redisFree(c);
    return MakeError(ErrorCode::kUnavailable, std::move(message));
  }
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c, where, options.command_timeout));
  redisEnableKeepAlive(c);  // best effort: notices a vanished peer on idle subscriber sockets
  if (redisSetTimeout(c, ToTimeval(options.command_timeout)) != REDIS_OK) {
    return tl::unexpected(conn->ConnectionError("setting the socket timeout"));
  }
  if (!options.address.password.empty()) {
    auto auth = conn->Command({"AUTH", options.address.password});
    if (!auth) {
      if (!conn->Healthy()) return tl::unexpected(conn->ConnectionError("authenticating"));
      // The reply text (e.g. WRONGPASS ...) never echoes the password.
      return MakeError(ErrorCode::kUnavailable, where + ": authentication failed");
    }
  }
  return conn;
}

RedisConnection::~RedisConnection() { redisFree(ctx_); }

bool RedisConnection::Healthy() const { return ctx_->err == 0; }

bool RedisConnection::CheckAlive() const {
  if (!Healthy()) return false;
  if (ctx_->reader != nullptr && ctx_->reader->len > ctx_->reader->pos) return false;
  char byte;
  const ssize_t n = recv(ctx_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // -1/EAGAIN: open and quiet. 0: the server closed it. >0: unexpected data.
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int RedisConnection::fd() const { return ctx_->fd; }

Error RedisConnection::ConnectionError(const std::string& during) const {
  std::string what = ctx_->errstr;
  if (ctx_->err == REDIS_ERR_IO && what.find("temporarily unavailable") != std::string::npos) {
    what = "no answer within " + std::to_string(timeout_.count()) + " ms";
  } else if (ctx_->err == 0) {
    what = "connection error";
  }
  return Error{ErrorCode::kUnavailable, where_ + ": " + what + " (" + during + ")", {}};
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string>& args) {
  auto replies = Pipeline({args});
  if (!replies) return tl::unexpected(replies.error());
  RedisReply reply = std::move(replies->front());
  if (reply.type == RedisReply::Type::kError) {
    return tl::unexpected(ReplyError(where_, args.front(), reply.str));
  }
  return reply;
}

namespace {

int Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data());
}

}  // namespace

Result<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (!Healthy()) return tl::unexpected(ConnectionError("reusing a broken connection"));
  for (const auto& args : commands) {
    if (args.empty()) return MakeError(ErrorCode::kInternal, "an empty Redis command");
    if (Append(ctx_, args) != REDIS_OK) return tl::unexpected(ConnectionError("sending"));
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    // The first call writes the whole pipeline, then each reads one reply.
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      if (ctx_->err == 0) {  // cannot happen with a blocking context; keep it unusable anyway
        ctx_->err = REDIS_ERR_OTHER;
        std::snprintf(ctx_->errstr, sizeof(ctx_->errstr), "%s", "no reply");
      }
      return tl::unexpected(ConnectionError("waiting for " + commands[i].front()));
    }
    replies.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return replies;
}

Status RedisConnection::Send(const std::vector<std::string>& args) {
  if (!Healthy()) return tl::unexpected(ConnectionError("reusing a broken connection"));
  if (args.empty()) return MakeError(ErrorCode::kInternal, "an empty Redis command");
  if (Append(ctx_, args) != REDIS_OK) return tl::unexpected(ConnectionError("sending"));
  int done = 0;
  do {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      return tl::unexpected(ConnectionError("sending " + args.front()));
    }
  } while (done == 0);
  return Ok();
}

Result<std::optional<RedisReply>> RedisConnection::BufferedReply() {
  if (!Healthy()) return tl::unexpected(ConnectionError("reusing a broken connection"));
  void* raw = nullptr;
  if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) {
    return tl::unexpected(ConnectionError("parsing a reply"));
  }
  if (raw == nullptr) return std::optional<RedisReply>();
  RedisReply reply = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return std::optional<RedisReply>(std::move(reply));
}

Status RedisConnection::ReadOnce() {
  if (!Healthy()) return tl::unexpected(ConnectionError("reusing a broken connection"));
  if (redisBufferRead(ctx_) != REDIS_OK) return tl::unexpected(ConnectionError("reading"));
  return Ok();
}

// --- RedisClient ------------------------------------------------------------

Result<std::unique_ptr<RedisClient>> RedisClient::Create(RedisOptions options) {
  if (options.pool_size < 1) return InvalidArgument("REDIS_POOL_SIZE", "must be at least 1");
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return InvalidArgument("REDIS_TIMEOUT", "Redis timeouts must be positive");
  }
  if (options.initial_backoff.count() <= 0 || options.max_backoff < options.initial_backoff) {
    return InvalidArgument("REDIS_BACKOFF",
                           "the Redis backoff must be positive and max >= initial");
  }
  if (options.address.host.empty()) return InvalidArgument("REDIS_URL", "REDIS_URL names no host");
  return std::unique_ptr<RedisClient>(new RedisClient(std::move(options)));
}

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)),
      where_(Where(options_.address)),
      backoff_(options_.initial_backoff, options_.max_backoff) {}

RedisClient::~RedisClient() = default;

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  auto conn = Acquire();
  if (!conn) return tl::unexpected(conn.error());
  auto reply = (*conn)->Command(args);
  Release(std::move(*conn));
  return reply;
}

Result<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  auto conn = Acquire();
  if (!conn) return tl::unexpected(conn.error());
  auto replies = (*conn)->Pipeline(commands);
  Release(std::move(*conn));
  return replies;
}

Result<std::unique_ptr<RedisConnection>> RedisClient::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.command_timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<RedisConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->CheckAlive()) return conn;
      --open_;
      ++counters_.discarded_total;
      lock.unlock();
      conn.reset();  // closing touches the socket: not under the lock
      lock.lock();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now < retry_at_) {
      ++counters_.fast_failures_total;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now);
      return MakeError(ErrorCode::kUnavailable, last_error_ + "; not retrying for another " +
                                                    std::to_string(left.count()) + " ms");
    }
    if (open_ < options_.pool_size) {
      ++open_;  // reserve the slot, then connect without holding the lock
      lock.unlock();
      auto conn = RedisConnection::Open(options_);
      lock.lock();
      if (!conn) {
        --open_;
        RecordFailure(conn.error());
        return tl::unexpected(conn.error());
      }
      backoff_.Reset();
      retry_at_ = {};
      ++counters_.opened_total;
      return std::move(*conn);
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      return MakeError(ErrorCode::kUnavailable,
                       "no connection to " + where_ + " became free within " +
                           std::to_string(options_.command_timeout.count()) + " ms (pool of " +
                           std::to_string(options_.pool_size) + ")");
    }
  }
}

void RedisClient::Release(std::unique_ptr<RedisConnection> conn) {
  std::unique_lock lock(mu_);
  if (conn->Healthy()) {
    idle_.push_back(std::move(conn));
    returned_.notify_one();
    return;
  }
  --open_;
  ++counters_.discarded_total;
  RecordFailure(conn->ConnectionError("a pooled connection failed"));
  lock.unlock();
  conn.reset();
}

void RedisClient::RecordFailure(const Error& error) {
  const auto now = std::chrono::steady_clock::now();
  last_error_ = error.message;
  // Concurrent failures of one outage extend nothing: only a failure after
  // the backoff ran out doubles it.
  if (now >= retry_at_) retry_at_ = now + backoff_.Next();
  returned_.notify_all();  // waiters re-check: they now fail fast
}

RedisClientStats RedisClient::Stats() const {
  std::lock_guard lock(mu_);
  RedisClientStats s = counters_;
  s.open = open_;
  s.idle = static_cast<int>(idle_.size());
  return s;
}

}  // namespace giia::redis

#pragma once
// A small, bounded pool of blocking hiredis connections to one Redis, shared
// by the Redis adapters (permission cache, rate limiter).
//
// Failure model: a connection that saw an I/O, protocol or timeout error is
// discarded, never reused; an idle one is checked (a non-blocking peek, no
// round trip) before it is handed out, so connections the server closed
// (a restart) are dropped unused. After a failed connect or a connection
// error (a command timeout included), the client stops dialling for a
// backoff (initial_backoff, doubling up to max_backoff, reset by the next
// successful connect): while Redis is down every call then fails in
// microseconds with kUnavailable instead of costing a connect timeout each.
// Idle connections that are still alive stay usable meanwhile. The first
// call after the backoff dials again, so the client recovers by itself.
// Error messages name host:port, never the password.
//
// Thread-safe: callers on many threads share one RedisClient.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/probe.hpp"
#include "core/common/result.hpp"

struct redisContext;

namespace giia::redis {

struct RedisOptions {
  RedisAddress address;                             // from ParseRedisUrl(REDIS_URL)
  int pool_size = 10;                               // REDIS_POOL_SIZE: open connections, at most
  std::chrono::milliseconds connect_timeout{250};   // per connect (and AUTH)
  std::chrono::milliseconds command_timeout{250};   // per round trip; also the pool wait
  std::string key_prefix = "giia:";                 // REDIS_KEY_PREFIX: before keys and channels
  std::chrono::milliseconds initial_backoff{1000};  // no dialling this long after a failure
  std::chrono::milliseconds max_backoff{5000};      // the backoff doubles up to this
};

// One RESP2 reply. Error replies nested in an array (EXEC) are kError.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray
};

// The Error for an error reply `text` to `command`: kUnavailable when the
// server cannot serve now (LOADING, BUSY, NOAUTH, READONLY, OOM, ...), else
// kInternal (a wrong command or a key of the wrong type: a bug).
Error ReplyError(const std::string& where, const std::string& command, const std::string& text);

// An open, authenticated blocking connection (RAII over redisContext).
// Not thread-safe; used by one thread at a time.
class RedisConnection {
 public:
  // Connects within connect_timeout, sets command_timeout as the socket
  // timeout, and AUTHs when a password is set.
  // Errors: kUnavailable naming host:port.
  [[nodiscard]] static Result<std::unique_ptr<RedisConnection>> Open(const RedisOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends every command in one write and reads one reply per command (one
  // round trip). A top-level error reply of a single command becomes an
  // Error (kInternal, or kUnavailable for LOADING/BUSY/MASTERDOWN/...); in a
  // pipeline error replies come back as kError elements.
  // Errors: kUnavailable (connection broken or timed out: the connection is
  // then unusable, see Healthy()).
  [[nodiscard]] Result<RedisReply> Command(const std::vector<std::string>& args);
  [[nodiscard]] Result<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // False after a connection-level error: the connection must be closed.
  bool Healthy() const;
  // Healthy, nothing unread, and the server has not closed the socket
  // (a non-blocking peek, no round trip).
  bool CheckAlive() const;
  // For a subscriber, which waits with poll() itself: Send writes one
  // command without reading; BufferedReply returns a reply already read
  // (no I/O; nullopt when none is complete); ReadOnce does one read() and
  // should follow poll() saying fd() is readable.
  // Errors: kUnavailable (the connection is then unusable).
  [[nodiscard]] Status Send(const std::vector<std::string>& args);
  [[nodiscard]] Result<std::optional<RedisReply>> BufferedReply();
  [[nodiscard]] Status ReadOnce();
  int fd() const;
  // "Redis at host:port"
  const std::string& where() const { return where_; }
  // An Error for the current connection-level failure.
  Error ConnectionError(const std::string& during) const;

 private:
  RedisConnection(redisContext* ctx, std::string where, std::chrono::milliseconds timeout)
      : ctx_(ctx), where_(std::move(where)), timeout_(timeout) {}
  redisContext* ctx_;
  std::string where_;
  std::chrono::milliseconds timeout_;
};

// The backoff schedule shared by the pool and the invalidation listener.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max) {}
  // The delay to wait after one more consecutive failure.
  std::chrono::milliseconds Next();
  void Reset() { current_ = std::chrono::milliseconds(0); }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_{0};
};

struct RedisClientStats {
  int open = 0;
  int idle = 0;
  std::int64_t opened_total = 0;
  std::int64_t discarded_total = 0;
  std::int64_t fast_failures_total = 0;  // calls refused during a backoff
};

class RedisClient {
 public:
  // No I/O: connections open on first use.
  // Errors: kInvalidArgument (pool_size < 1, a timeout or backoff <= 0).
  [[nodiscard]] static Result<std::unique_ptr<RedisClient>> Create(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command (args[0] is its name; arguments are binary-safe) on a pooled
  // connection. Errors: kUnavailable (unreachable, in backoff, broken
  // connection, or no connection free within command_timeout), kInternal (an
  // error reply such as WRONGTYPE).
  [[nodiscard]] Result<RedisReply> Command(const std::vector<std::string>& args);
  // Several commands in one round trip on one connection (e.g. MULTI..EXEC).
  // Errors: as Command, but error replies come back as kError elements.
  [[nodiscard]] Result<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  const RedisOptions& options() const { return options_; }
  // "Redis at host:port"
  const std::string& where() const { return where_; }
  RedisClientStats Stats() const;

 private:
  explicit RedisClient(RedisOptions options);
  Result<std::unique_ptr<RedisConnection>> Acquire();
  void Release(std::unique_ptr<RedisConnection> conn);
  void RecordFailure(const Error& error);  // starts or extends the backoff; needs mu_

  const RedisOptions options_;
  const std::string where_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_
  int open_ = 0;                                        // guarded by mu_; idle + leased + opening
  std::chrono::steady_clock::time_point retry_at_{};    // guarded by mu_; no dialling before
  Backoff backoff_;                                     // guarded by mu_
  std::string last_error_;                              // guarded by mu_
  RedisClientStats counters_;                           // guarded by mu_; the *_total fields
};

}  // namespace giia::redis

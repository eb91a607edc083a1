#include "adapters/redis/permission_cache.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace giia::redis {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every field: a hit must answer token-version and status checks as the
// database would.
std::string Encode(const auth::ResolvedPermissions& value) {
  return nlohmann::json{
      {"r", value.roles}, {"p", value.permissions}, {"v", value.token_version}, {"a", value.active}}
      .dump();
}

bool DecodeStrings(const nlohmann::json& j, std::vector<std::string>& out) {
  if (!j.is_array()) return false;
  out.clear();
  out.reserve(j.size());
  for (const auto& item : j) {
    if (!item.is_string()) return false;
    out.push_back(item.get<std::string>());
  }
  return true;
}

std::optional<auth::ResolvedPermissions> Decode(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("r") || !j.contains("p")) return std::nullopt;
  // An entry without the token version or status (written before they were
  // stored) is a miss, never an inactive user with version 0.
  if (!j.contains("v") || !j["v"].is_number_integer() || !j.contains("a") || !j["a"].is_boolean()) {
    return std::nullopt;
  }
  auth::ResolvedPermissions value;
  if (!DecodeStrings(j["r"], value.roles) || !DecodeStrings(j["p"], value.permissions)) {
    return std::nullopt;
  }
  value.token_version = j["v"].get<std::int64_t>();
  value.active = j["a"].get<bool>();
  return value;
}

Status CheckReplies(const std::vector<RedisReply>& replies, const std::vector<std::string>& names,
                    const std::string& where) {
  for (std::size_t i = 0; i < replies.size() && i < names.size(); ++i) {
    if (replies[i].type == RedisReply::Type::kError) {
      return tl::unexpected(ReplyError(where, names[i], replies[i].str));
    }
  }
  return Ok();
}

milliseconds Left(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

}  // namespace

std::string InvalidationChannel(const std::string& key_prefix) {
  return key_prefix + "auth:perm:invalidate";
}

// --- RedisPermissionCache ---------------------------------------------------

std::string RedisPermissionCache::KeyFor(const OrganizationId& organization,
                                         const UserId& user) const {
  return client_.options().key_prefix + "auth:perm:v1:" + organization.value() + ":" + user.value();
}

Result<std::optional<auth::ResolvedPermissions>> RedisPermissionCache::Get(
    const OrganizationId& organization, const UserId& user) {
  const std::string key = KeyFor(organization, user);
  // A pipeline of one, to see an error reply: WRONGTYPE (a key of another
  // kind under our name) is as malformed as a value that does not decode.
  auto replies = client_.Pipeline({{"GET", key}});
  if (!replies) return tl::unexpected(replies.error());
  const RedisReply& reply = replies->front();
  if (reply.type == RedisReply::Type::kNil) return std::optional<auth::ResolvedPermissions>();
  if (reply.type == RedisReply::Type::kError && reply.str.rfind("WRONGTYPE", 0) != 0) {
    return tl::unexpected(ReplyError(client_.where(), "GET", reply.str));
  }
  std::optional<auth::ResolvedPermissions> value;
  if (reply.type == RedisReply::Type::kString) value = Decode(reply.str);
  if (!value) {
    // Best effort: a failure here only means the next Get misses again.
    [[maybe_unused]] auto deleted = client_.Command({"DEL", key});
  }
  return value;
}

Status RedisPermissionCache::Put(const OrganizationId& organization, const UserId& user,
                                 const auth::ResolvedPermissions& value, std::chrono::seconds ttl) {
  if (ttl.count() < 1) return InvalidArgument("ttl", "the cache TTL must be at least 1 s");
  auto reply = client_.Command(
      {"SET", KeyFor(organization, user), Encode(value), "EX", std::to_string(ttl.count())});
  if (!reply) return tl::unexpected(reply.error());
  return Ok();
}

Status RedisPermissionCache::Invalidate(const OrganizationId& organization, const UserId& user) {
  auto replies = client_.Pipeline({{"DEL", KeyFor(organization, user)},
                                   {"PUBLISH", InvalidationChannel(client_.options().key_prefix),
                                    organization.value() + " " + user.value()}});
  if (!replies) return tl::unexpected(replies.error());
  return CheckReplies(*replies, {"DEL", "PUBLISH"}, client_.where());
}

// --- InvalidationListener ---------------------------------------------------

InvalidationListener::InvalidationListener(RedisOptions options, Callback on_invalidate,
                                           std::chrono::milliseconds ping_interval)
    : options_(std::move(options)),
      channel_(InvalidationChannel(options_.key_prefix)),
      on_invalidate_(std::move(on_invalidate)),
      ping_interval_(ping_interval) {}

InvalidationListener::~InvalidationListener() { Stop(); }

Status InvalidationListener::Start() {
  if (thread_.joinable()) {
    return MakeError(ErrorCode::kFailedPrecondition, "the invalidation listener already runs");
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return MakeError(ErrorCode::kInternal, "cannot create the listener's wake-up pipe");
  }
  wake_read_ = fds[0];
  wake_write_ = fds[1];
  stopping_ = false;
  {
    std::lock_guard lock(mu_);
    first_attempt_.reset();
  }
  thread_ = std::thread([this] { Run(); });
  // The first attempt is one connect plus one round trip; allow a margin.
  const auto wait = options_.connect_timeout + 2 * options_.command_timeout + milliseconds(100);
  std::unique_lock lock(mu_);
  if (!first_attempt_done_.wait_for(lock, wait, [&] { return first_attempt_.has_value(); })) {
    return MakeError(ErrorCode::kUnavailable, "not yet subscribed to " + channel_ +
                                                  " on Redis at " + options_.address.host + ":" +
                                                  std::to_string(options_.address.port));
  }
  return *first_attempt_;
}

void InvalidationListener::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = write(wake_write_, &byte, 1);
  thread_.join();
  close(wake_read_);
  close(wake_write_);
  wake_read_ = wake_write_ = -1;
  subscribed_ = false;
}

void InvalidationListener::FinishFirstAttempt(const Status& result) {
  {
    std::lock_guard lock(mu_);
    if (first_attempt_) return;
    first_attempt_ = result;
  }
  first_attempt_done_.notify_all();
}

void InvalidationListener::Deliver(const Invalidation& what) {
  try {
    on_invalidate_(what);
  } catch (...) {  // the callback's problem; the listener keeps listening
  }
}

bool InvalidationListener::Pause(milliseconds timeout) {
  pollfd pfd{wake_read_, POLLIN, 0};
  const auto deadline = Clock::now() + timeout;
  while (!stopping_) {
    const auto left = Left(deadline);
    if (left.count() == 0) break;
    poll(&pfd, 1, static_cast<int>(left.count()));
  }
  return stopping_;
}

Result<bool> InvalidationListener::WaitReadable(RedisConnection& conn, milliseconds timeout) {
  pollfd pfds[2] = {{conn.fd(), POLLIN, 0}, {wake_read_, POLLIN, 0}};
  const int rc = poll(pfds, 2, static_cast<int>(timeout.count()));
  if (rc <= 0 || stopping_) return false;  // timeout, EINTR or stop
  if ((pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) return false;
  if (auto read = conn.ReadOnce(); !read) return tl::unexpected(read.error());
  return true;
}

Status InvalidationListener::Subscribe(RedisConnection& conn) {
  if (auto sent = conn.Send({"SUBSCRIBE", channel_}); !sent) return sent;
  const auto deadline = Clock::now() + options_.command_timeout;
  for (;;) {
    auto reply = conn.BufferedReply();
    if (!reply) return tl::unexpected(reply.error());
    if (*reply) {
      const RedisReply& r = **reply;
      if (r.type == RedisReply::Type::kArray && !r.elements.empty() &&
          r.elements[0].str == "subscribe") {
        return Ok();
      }
      return MakeError(ErrorCode::kUnavailable,
                       conn.where() + " refused SUBSCRIBE " + channel_ +
                           (r.type == RedisReply::Type::kError ? ": " + r.str : ""));
    }
    if (stopping_) return MakeError(ErrorCode::kUnavailable, "stopping");
    const auto left = Left(deadline);
    if (left.count() == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       conn.where() + ": no answer to SUBSCRIBE within " +
                           std::to_string(options_.command_timeout.count()) + " ms");
    }
    if (auto read = WaitReadable(conn, left); !read) return tl::unexpected(read.error());
  }
}

Status InvalidationListener::Listen(RedisConnection& conn) {
  auto last_heard = Clock::now();
  std::optional<Clock::time_point> ping_deadline;
  while (!stopping_) {
    // Everything already read first: one read() may carry many messages.
    for (;;) {
      auto reply = conn.BufferedReply();
      if (!reply) return tl::unexpected(reply.error());
      if (!*reply) break;
      last_heard = Clock::now();
      ping_deadline.reset();
      const RedisReply& r = **reply;
      if (r.type != RedisReply::Type::kArray || r.elements.size() != 3 ||
          r.elements[0].str != "message") {
        continue;  // the PING's "pong", a subscribe confirmation
      }
      const std::string& text = r.elements[2].str;
      const std::size_t space = text.find(' ');
      if (space == 0 || space == std::string::npos || space + 1 == text.size()) {
        Deliver(std::nullopt);  // cannot tell what to drop: drop everything
      } else {
        Deliver(
            std::make_pair(OrganizationId(text.substr(0, space)), UserId(text.substr(space + 1))));
      }
    }
    const auto now = Clock::now();
    if (ping_deadline && now >= *ping_deadline) {
      return MakeError(ErrorCode::kUnavailable,
                       conn.where() + ": no answer to PING within " +
                           std::to_string(options_.command_timeout.count()) + " ms");
    }
    if (!ping_deadline && now >= last_heard + ping_interval_) {
      if (auto sent = conn.Send({"PING"}); !sent) return sent;
      ping_deadline = now + options_.command_timeout;
    }
    const auto until = ping_deadline ? *ping_deadline : last_heard + ping_interval_;
    if (auto read = WaitReadable(conn, std::max(milliseconds(1), Left(until))); !read) {
      return tl::unexpected(read.error());
    }
  }
  return Ok();
}

void InvalidationListener::Run() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  bool missed = false;  // a time of not being subscribed lies behind us
  while (!stopping_) {
    auto conn = RedisConnection::Open(options_);
    Status subscribed = Ok();
    if (conn) {
      subscribed = Subscribe(**conn);
    } else {
      subscribed = tl::unexpected(conn.error());
    }
    if (stopping_) break;
    if (!subscribed) {
      FinishFirstAttempt(subscribed);
      missed = true;
      if (Pause(backoff.Next())) break;
      continue;
    }
    subscribed_ = true;
    ++subscriptions_;
    FinishFirstAttempt(Ok());
    if (missed) Deliver(std::nullopt);
    missed = true;  // from now on, any reconnect follows a lost connection
    const auto since = Clock::now();
    [[maybe_unused]] Status lost = Listen(**conn);
    subscribed_ = false;
    conn->reset();
    if (stopping_) break;
    // Reconnect at once after a long-lived subscription (Redis restarted);
    // back off when subscriptions keep dying young, so nothing spins.
    if (Clock::now() - since >= options_.max_backoff) {
      backoff.Reset();
    } else if (Pause(backoff.Next())) {
      break;
    }
  }
  subscribed_ = false;
  FinishFirstAttempt(MakeError(ErrorCode::kUnavailable, "the invalidation listener stopped"));
}

}  // namespace giia::redis

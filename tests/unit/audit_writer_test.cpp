// The audit writer against fake stores: one entry whose data the store
// refuses never blocks the others; a store that is down loses nothing.
#include "server/workers/audit_writer.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "core/auth/service.hpp"
#include "core/common/text.hpp"
#include "support/poll.hpp"

using namespace giia;
using namespace giia::auth;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<spdlog::logger> NullLog() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// Refuses, as PostgreSQL does, a batch holding an entry whose resource_id is
// "bad" (kInvalidArgument); is down (kUnavailable) for the calls listed in
// `down_at` (0-based call numbers).
class PickyAuditStore final : public AuditStore {
 public:
  std::vector<int> down_at;
  Status Append(const std::vector<AuditEntry>& batch) override {
    std::lock_guard lock(mu_);
    const int call = calls_++;
    if (std::find(down_at.begin(), down_at.end(), call) != down_at.end()) {
      return MakeError(ErrorCode::kUnavailable, "database down");
    }
    for (const AuditEntry& e : batch) {
      if (e.resource_id == "bad") {
        return MakeError(ErrorCode::kInvalidArgument, "value too long (SQLSTATE 22001)");
      }
    }
    stored_.insert(stored_.end(), batch.begin(), batch.end());
    return Ok();
  }
  std::vector<std::string> Ids() {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const AuditEntry& e : stored_) ids.push_back(e.resource_id);
    return ids;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<AuditEntry> stored() {
    std::lock_guard lock(mu_);
    return stored_;
  }

 private:
  std::mutex mu_;
  int calls_ = 0;
  std::vector<AuditEntry> stored_;
};

AuditEntry Entry(const std::string& id) {
  AuditEntry e;
  e.action = "login";
  e.resource = "user";
  e.result = "success";
  e.resource_id = id;
  return e;
}

std::vector<std::string> Range(int from, int to, const std::string& except = "") {
  std::vector<std::string> ids;
  for (int i = from; i < to; ++i) {
    if (std::to_string(i) != except) ids.push_back(std::to_string(i));
  }
  return ids;
}

}  // namespace

TEST_CASE("One entry the store refuses is dropped and counted, and the others are written",
          "[audit]") {
  PickyAuditStore store;
  auto log = NullLog();
  server::AuditWriter writer(store, {.batch_size = 10, .max_queue = 1000, .flush_every = 20ms},
                             *log);
  writer.Start();
  for (int i = 0; i < 10; ++i) writer.Record(Entry(i == 4 ? "bad" : std::to_string(i)));
  REQUIRE(giia::testing::Eventually([&] { return writer.written() == 9; }));
  CHECK(writer.rejected() == 1);
  CHECK(store.Ids() == Range(0, 10, "4"));  // in order, each once
  CHECK(store.calls() <= 10);               // halving: about 2 log2(10) calls, not one per entry
  // The writer goes on with what comes next.
  for (int i = 10; i < 25; ++i) writer.Record(Entry(std::to_string(i)));
  REQUIRE(giia::testing::Eventually([&] { return writer.written() == 24; }));
  CHECK(writer.Stop(5s) == 0);
  CHECK(writer.rejected() == 1);
  CHECK(writer.dropped() == 0);
  std::vector<std::string> want = Range(0, 10, "4");
  for (const std::string& id : Range(10, 25)) want.push_back(id);
  CHECK(store.Ids() == want);
}

TEST_CASE("Several refused entries in one batch, found by Stop's drain as well", "[audit]") {
  PickyAuditStore store;
  auto log = NullLog();
  server::AuditWriter writer(store, {.batch_size = 64, .max_queue = 1000}, *log);  // not started
  std::vector<std::string> want;
  for (int i = 0; i < 50; ++i) {
    const bool bad = i == 0 || i == 17 || i == 18 || i == 49;
    writer.Record(Entry(bad ? "bad" : std::to_string(i)));
    if (!bad) want.push_back(std::to_string(i));
  }
  CHECK(writer.Stop(5s) == 0);
  CHECK(writer.rejected() == 4);
  CHECK(writer.written() == 46);
  CHECK(store.Ids() == want);
}

TEST_CASE("A store that is down keeps the batch, even in the middle of a split", "[audit]") {
  PickyAuditStore store;
  // Down at the first call, then at the third (the left half of the split
  // that the bad entry caused), then once more.
  store.down_at = {0, 2, 5};
  auto log = NullLog();
  server::AuditWriter writer(store, {.batch_size = 8, .max_queue = 1000, .flush_every = 20ms},
                             *log);
  writer.Start();
  for (int i = 0; i < 8; ++i) writer.Record(Entry(i == 6 ? "bad" : std::to_string(i)));
  REQUIRE(giia::testing::Eventually([&] { return writer.written() == 7; }));
  CHECK(writer.rejected() == 1);
  CHECK(writer.Stop(5s) == 0);
  CHECK(writer.dropped() == 0);
  CHECK(store.Ids() == Range(0, 8, "6"));
}

TEST_CASE("A store that stays down loses nothing and rejects nothing", "[audit]") {
  PickyAuditStore store;
  for (int i = 0; i < 1000; ++i) store.down_at.push_back(i);
  auto log = NullLog();
  server::AuditWriter writer(store, {.batch_size = 5, .max_queue = 1000, .flush_every = 20ms},
                             *log);
  writer.Start();
  for (int i = 0; i < 12; ++i) writer.Record(Entry(std::to_string(i)));
  REQUIRE(giia::testing::Eventually([&] { return store.calls() >= 3; }));  // retried
  CHECK(writer.Stop(200ms) == 12);  // all still queued when the deadline passed
  CHECK(writer.rejected() == 0);
  CHECK(writer.dropped() == 0);
  CHECK(writer.written() == 0);
}

TEST_CASE("Record makes request text valid UTF-8 and bounded before queueing it", "[audit]") {
  // A store as strict as PostgreSQL about encoding and NUL.
  class StrictStore final : public AuditStore {
   public:
    std::vector<AuditEntry> stored;
    Status Append(const std::vector<AuditEntry>& batch) override {
      for (const AuditEntry& e : batch) {
        for (const std::string* s : {&e.user_agent, &e.request_id, &e.ip_address, &e.action}) {
          if (!IsValidUtf8(*s)) return MakeError(ErrorCode::kInvalidArgument, "bad encoding");
        }
        for (const auto& [k, v] : e.metadata) {
          if (!IsValidUtf8(k) || !IsValidUtf8(v)) {
            return MakeError(ErrorCode::kInvalidArgument, "bad encoding");
          }
        }
      }
      stored.insert(stored.end(), batch.begin(), batch.end());
      return Ok();
    }
  } store;
  auto log = NullLog();
  server::AuditWriter writer(store, {}, *log);
  AuditEntry e = Entry("1");
  e.user_agent = std::string(499, 'u') + "\xE2\x82\xAC" + std::string(100, 'v');  // cut mid-char
  e.request_id = std::string("r\xFF", 2);
  e.ip_address = std::string("1.2.3.4\0", 8);
  e.metadata = {{"email", std::string("a\0@\xC3", 4)}, {"reason", std::string(5000, 'x')}};
  writer.Record(e);
  CHECK(writer.Stop(5s) == 0);
  CHECK(writer.rejected() == 0);
  REQUIRE(store.stored.size() == 1);
  const AuditEntry& got = store.stored[0];
  CHECK(got.user_agent == std::string(499, 'u'));
  CHECK(got.request_id == "r\xEF\xBF\xBD");
  CHECK(got.ip_address == "1.2.3.4\xEF\xBF\xBD");
  CHECK(got.metadata[0].second == "a\xEF\xBF\xBD@\xEF\xBF\xBD");
  CHECK(got.metadata[1].second.size() == kAuditMetadataValueBytes);
}

TEST_CASE("StorableAuditEntry bounds every text field to its column", "[audit]") {
  AuditEntry e;
  const std::string big(5000, 'a');
  e.action = e.resource = e.resource_id = e.result = e.ip_address = e.user_agent = e.request_id =
      big;
  e.organization_id = "00000000-0000-0000-0000-000000000001";
  e.metadata = {{big, big}};
  const AuditEntry s = StorableAuditEntry(e);
  CHECK(s.action.size() == kAuditActionBytes);
  CHECK(s.resource.size() == kAuditResourceBytes);
  CHECK(s.resource_id.size() == kAuditResourceIdBytes);
  CHECK(s.result.size() == kAuditResultBytes);
  CHECK(s.ip_address.size() == kAuditIpAddressBytes);
  CHECK(s.user_agent.size() == kAuditUserAgentBytes);
  CHECK(s.request_id.size() == kAuditRequestIdBytes);
  CHECK(s.metadata[0].first.size() == kAuditMetadataKeyBytes);
  CHECK(s.metadata[0].second.size() == kAuditMetadataValueBytes);
  CHECK(s.organization_id == e.organization_id);

  RequestInfo info{.request_id = big, .ip_address = "::1\xFF", .user_agent = "%\xFF" + big};
  const RequestInfo r = StorableRequestInfo(info);
  CHECK(r.request_id.size() == kAuditRequestIdBytes);
  CHECK(r.ip_address == "::1\xEF\xBF\xBD");
  CHECK(r.user_agent.size() <= kAuditUserAgentBytes);
  CHECK(
      r.user_agent.starts_with("%\xEF\xBF\xBD"
                               "aaa"));
}

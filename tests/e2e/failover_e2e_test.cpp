// The PostgreSQL failover drill: `giia serve catalog` on a multi-host
// DATABASE_URL (a primary and its synchronous streaming standby, libpq's
// target_session_attrs=read-write) under a write load; the primary crashes,
// the standby is promoted a moment later. The catalog must follow the new
// primary by itself, fail calls only while there is none (UNAVAILABLE, in
// time), lose no acknowledged write, and publish each committed event once.

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "adapters/codec/cloudevents.hpp"
#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"
#include "e2e/support/pg_cluster.hpp"
#include "support/nats_server.hpp"
#include "support/poll.hpp"

namespace pb = giia::catalog::v1;
using giia::testing::AuthServer;
using giia::testing::CatalogServer;
using giia::testing::CatalogServerOptions;
using giia::testing::Eventually;
using giia::testing::PgCluster;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kCallDeadline = 3s;

struct Answer {
  Clock::time_point started;
  Clock::time_point finished;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;
  std::string product_id;  // when OK
};

// Client threads creating products over gRPC until stopped; every answer kept.
class WriteLoad {
 public:
  WriteLoad(CatalogServer& catalog, const std::string& token, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, &catalog, token, t] {
        auto stub = catalog.Stub();
        for (int i = 0; !stop_; ++i) {
          pb::CreateProductRequest req;
          req.set_sku("FO-" + std::to_string(t) + "-" + std::to_string(i));
          req.set_name("Failover widget");
          req.set_category("drill");
          req.set_standard_cost(1.5);
          pb::CreateProductResponse res;
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
          ctx.AddMetadata("authorization", "Bearer " + token);
          Answer a;
          a.started = Clock::now();
          const grpc::Status st = stub->CreateProduct(&ctx, req, &res);
          a.finished = Clock::now();
          a.code = st.error_code();
          a.message = st.error_message();
          if (st.ok()) a.product_id = res.product().id();
          std::lock_guard lock(mu_);
          answers_.push_back(std::move(a));
        }
      });
    }
  }
  ~WriteLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::vector<Answer> answers() {
    std::lock_guard lock(mu_);
    return answers_;
  }
  // True when an answer finished OK after `since`.
  bool OkSince(Clock::time_point since, Clock::time_point* at = nullptr) {
    std::lock_guard lock(mu_);
    for (const Answer& a : answers_) {
      if (a.code == grpc::StatusCode::OK && a.finished > since) {
        if (at != nullptr) *at = a.finished;
        return true;
      }
    }
    return false;
  }
  std::size_t oks() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const Answer& a : answers_) n += a.code == grpc::StatusCode::OK;
    return n;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Answer> answers_;
  std::vector<std::thread> threads_;
};

// GET /health/live every 50 ms; remembers every answer that was not 200.
class LivenessWatch {
 public:
  explicit LivenessWatch(int port)
      : thread_([this, port] {
          httplib::Client client("127.0.0.1", port);
          client.set_connection_timeout(1s);
          client.set_read_timeout(2s);
          while (!stop_) {
            auto res = client.Get("/health/live");
            const int status = res ? res->status : 0;
            if (status != 200) {
              std::lock_guard lock(mu_);
              bad_.push_back(status);
            }
            ++probes_;
            std::this_thread::sleep_for(50ms);  // the probing rate, not a wait for a state
          }
        }) {}
  ~LivenessWatch() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<int> bad() {
    std::lock_guard lock(mu_);
    return bad_;
  }
  int probes() const { return probes_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> probes_{0};
  std::mutex mu_;
  std::vector<int> bad_;
  std::thread thread_;
};

long long Ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

TEST_CASE(
    "PostgreSQL failover: the catalog follows the promoted standby, loses no acknowledged "
    "write and publishes each event once",
    "[replicas]") {
  const auto test_start = Clock::now();
  PgCluster cluster;
  AuthServer auth;
  CatalogServerOptions options;
  // Short connect timeout: calls while no primary exists fail fast.
  options.extra_env = {{"DATABASE_URL", cluster.Url()}, {"DATABASE_CONNECT_TIMEOUT", "1s"}};
  CatalogServer catalog(auth, options);
  const nlohmann::json admin = auth.RegisterAdmin("fran@failover.example", "Failover Ltd");
  const std::string token = admin["access_token"];
  const std::string org = admin["user"]["organization_id"];

  LivenessWatch live(catalog.http_port());
  WriteLoad load(catalog, token, 3);
  REQUIRE(Eventually([&] { return load.oks() >= 20; }, 20s));

  const auto crash = Clock::now();
  cluster.CrashPrimary();
  const auto crashed = Clock::now();
  // The scenario: no primary at all for 300 ms (not a wait for a state).
  std::this_thread::sleep_for(300ms);
  const auto promote = Clock::now();
  cluster.PromoteStandby();
  const auto promoted = Clock::now();
  Clock::time_point first_ok{};
  INFO("no call succeeded after the promotion");
  REQUIRE(Eventually([&] { return load.OkSince(promoted, &first_ok); }, 10s, 5ms));
  // The load goes on against the new primary for 100 more acknowledged writes.
  const std::size_t after_promotion = load.oks();
  REQUIRE(Eventually([&] { return load.oks() >= after_promotion + 100; }, 20s));
  load.Stop();
  live.Stop();

  const std::vector<Answer> answers = load.answers();
  std::size_t ok = 0, unavailable = 0;
  std::set<std::string> acknowledged;
  for (const Answer& a : answers) {
    INFO("a call answered " << a.code << " " << a.message << " after " << Ms(a.finished - a.started)
                            << " ms, started " << Ms(a.started - crash) << " ms after the crash");
    CHECK((a.code == grpc::StatusCode::OK || a.code == grpc::StatusCode::UNAVAILABLE));
    CHECK(a.finished - a.started < kCallDeadline);
    if (a.code == grpc::StatusCode::OK) {
      ++ok;
      acknowledged.insert(a.product_id);
    } else {
      ++unavailable;
      // Failures only while there is no primary: a call that started before
      // the crash ran into it; one that started once the promotion returned
      // (with 1 s for the new primary to accept read-write sessions) must not fail.
      CHECK(a.finished >= crash);
      CHECK(a.started < promoted + 1s);
    }
  }
  WARN("failover drill: crash took "
       << Ms(crashed - crash) << " ms, promotion " << Ms(promoted - promote) << " ms; first OK "
       << Ms(first_ok - promoted) << " ms after the promotion, " << Ms(first_ok - crash)
       << " ms after the crash; calls: " << ok << " OK, " << unavailable << " UNAVAILABLE");
  CHECK(unavailable > 0);  // the drill did hit the gap
  CHECK(live.probes() > 0);
  INFO("answers of /health/live other than 200 (0: none)");
  for (int status : live.bad()) CHECK(status == 200);

  // Every acknowledged product is on the new primary.
  auto db = cluster.ConnectStandby();
  auto rows =
      db->Exec("SELECT id::text FROM catalog.products WHERE organization_id = $1::uuid", {org});
  REQUIRE(rows);
  std::set<std::string> stored;
  for (std::size_t i = 0; i < rows->size(); ++i) stored.insert(rows->Text(i, 0));
  for (const std::string& id : acknowledged) {
    INFO("product " << id << " answered OK");
    CHECK(stored.count(id) == 1);
  }

  // Each stored product's creation event reaches CATALOG_EVENTS exactly once,
  // and no event of a product that does not exist does.
  const std::string nats_url = auth.env().at("NATS_URL");
  std::map<std::string, int> copies_by_event;     // CloudEvent id -> copies
  std::map<std::string, int> created_by_product;  // aggregate id -> product.created events
  auto read = [&] {
    copies_by_event.clear();
    created_by_product.clear();
    for (const auto& m : giia::testing::ReadStream(nats_url, "CATALOG_EVENTS")) {
      auto event = giia::codec::DecodeCloudEvent(m.data);
      REQUIRE(event);
      ++copies_by_event[event->id];
      if (event->type == "product.created") ++created_by_product[event->aggregate_id];
    }
  };
  const bool all_there = Eventually(
      [&] {
        read();
        for (const std::string& id : stored) {
          if (created_by_product.count(id) == 0) return false;
        }
        return true;
      },
      10s, 100ms);
  CHECK(all_there);
  for (const std::string& id : stored) {
    INFO("product " << id);
    CHECK(created_by_product[id] == 1);
  }
  for (const auto& [product, copies] : created_by_product) {
    INFO("event of product " << product);
    CHECK(stored.count(product) == 1);
  }
  for (const auto& [event, copies] : copies_by_event) {
    INFO("event " << event);
    CHECK(copies == 1);
  }

  const giia::testing::ProcessResult stopped = catalog.Stop();
  INFO(stopped.err);
  CHECK(stopped.exit_code == 0);  // it never exited before, and it stops cleanly
  WARN("failover drill took " << Ms(Clock::now() - test_start) << " ms");
}

// The catalog's client of auth against real replicas that misbehave: one
// hung (SIGSTOP, its connections stay open), one draining (SIGTERM), and
// auth gone altogether and back. Each catalog call here asks auth (the
// permission cache keeps a decision 1 ms), unless the test says otherwise.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"
#include "support/poll.hpp"
#include "support/test_database.hpp"

namespace pb = giia::catalog::v1;
using giia::testing::AuthReplica;
using giia::testing::AuthServer;
using giia::testing::CatalogServer;
using giia::testing::Eventually;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The value of `name{replica="<replica>"}` (or of `name` without labels when
// `replica` is empty) in the catalog's /metrics; -1 when it is not there.
double Metric(CatalogServer& catalog, const std::string& name, const std::string& replica = "") {
  const std::string page = catalog.Get("/metrics", "").raw;
  const std::string series = replica.empty() ? name : name + "{replica=\"" + replica + "\"}";
  const std::size_t at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + series.size() + 2));
}

// Threads calling ListProducts on the catalog until stopped, each call with
// a 10 s deadline of the test's own, so that a call the catalog lets hang
// shows as slow rather than as the test's timeout.
class CallLoad {
 public:
  CallLoad(const std::string& address, const std::string& token, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, address, token] {
        auto stub = pb::CatalogService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
        while (!stop_.load()) {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + 10s);
          ctx.AddMetadata("authorization", "Bearer " + token);
          pb::ListProductsRequest request;
          request.set_page_size(1);
          pb::ListProductsResponse response;
          const auto start = std::chrono::steady_clock::now();
          const grpc::Status status = stub->ListProducts(&ctx, request, &response);
          const auto took = std::chrono::steady_clock::now() - start;
          std::lock_guard lock(mu_);
          latencies_.push_back(took);
          if (!status.ok()) failures_.push_back(status.error_message());
        }
      });
    }
  }
  ~CallLoad() { Stop(); }
  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t calls() const {
    std::lock_guard lock(mu_);
    return latencies_.size();
  }
  std::vector<std::string> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }
  std::chrono::milliseconds Percentile(double p) const {
    std::lock_guard lock(mu_);
    std::vector<std::chrono::steady_clock::duration> sorted = latencies_;
    std::sort(sorted.begin(), sorted.end());
    if (sorted.empty()) return {};
    const auto at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return std::chrono::duration_cast<std::chrono::milliseconds>(sorted[at]);
  }

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::chrono::steady_clock::duration> latencies_;  // guarded by mu_
  std::vector<std::string> failures_;                           // guarded by mu_
  std::vector<std::thread> threads_;
};

giia::testing::ProcessEnv TwoReplicas(AuthServer& auth, AuthReplica& two) {
  return {{"AUTH_GRPC_ADDR", auth.grpc_address() + ", " + two.grpc_address()},
          {"AUTH_GRPC_TIMEOUT", "2s"},
          {"AUTH_GRPC_ATTEMPT_TIMEOUT", "500ms"}};
}

}  // namespace

TEST_CASE(
    "One of two auth replicas hung by SIGSTOP costs the catalog no failed call, its p99 stays "
    "under the deadline and the hung replica is left alone once its breaker opened",
    "[auth-client]") {
  AuthServer auth;
  AuthReplica two(auth);
  CatalogServer catalog(auth, {.permission_cache_ttl = "1ms", .extra_env = TwoReplicas(auth, two)});
  const std::string token = auth.RegisterAdmin("hung@client.example", "Hung Co")["access_token"];

  // Both replicas answer the catalog.
  {
    CallLoad warm(catalog.grpc_address(), token, 2);
    REQUIRE(Eventually([&] {
      return Metric(catalog, "giia_auth_client_attempts_total", auth.grpc_address()) > 0 &&
             Metric(catalog, "giia_auth_client_attempts_total", two.grpc_address()) > 0;
    }));
    warm.Stop();
    REQUIRE(warm.failures().empty());
  }

  REQUIRE(::kill(two.pid(), SIGSTOP) == 0);
  const double before = Metric(catalog, "giia_auth_client_attempts_total", two.grpc_address());
  const auto since = std::chrono::steady_clock::now();
  // At least 300 calls, and long enough for several half-open probes.
  CallLoad load(catalog.grpc_address(), token, 3);
  REQUIRE(Eventually(
      [&] { return load.calls() >= 300 && std::chrono::steady_clock::now() - since >= 3s; }, 60s));
  load.Stop();
  const auto lasted = std::chrono::steady_clock::now() - since;

  // Not one call failed: those that met the hung replica were retried on
  // the other within their deadline (2 s) ...
  const auto failures = load.failures();
  CAPTURE(failures.size(), load.calls());
  for (const std::string& f : failures) CHECK(f.empty());
  CHECK(load.Percentile(0.99) < 2s);
  // ... and the breaker opened: after its 3 failures the hung replica got
  // only the half-open probes, one per cooldown (500 ms), plus the calls
  // each thread had already sent it.
  CHECK(Metric(catalog, "giia_auth_client_breaker_opened_total", two.grpc_address()) >= 1);
  const double sent =
      Metric(catalog, "giia_auth_client_attempts_total", two.grpc_address()) - before;
  const double probes = std::chrono::duration<double>(lasted).count() / 0.5 + 1;
  CAPTURE(sent, probes);
  CHECK(sent <= 3 + 3 + probes);
  CHECK(Metric(catalog, "giia_auth_client_retries_total") >= 1);
  REQUIRE(::kill(two.pid(), SIGCONT) == 0);
}

TEST_CASE(
    "A draining auth replica gets no new calls from the catalog, and no catalog call fails "
    "while it drains and exits",
    "[auth-client]") {
  AuthServer auth;
  AuthReplica two(auth);
  CatalogServer catalog(auth, {.permission_cache_ttl = "1ms", .extra_env = TwoReplicas(auth, two)});
  const std::string token = auth.RegisterAdmin("drain@client.example", "Drain Co")["access_token"];

  CallLoad load(catalog.grpc_address(), token, 3);
  REQUIRE(Eventually(
      [&] { return Metric(catalog, "giia_auth_client_attempts_total", two.grpc_address()) > 0; }));
  const giia::testing::ProcessResult drained = two.Stop(SIGTERM);
  INFO(drained.err);
  REQUIRE(drained.exit_code == 0);
  const double after_exit = Metric(catalog, "giia_auth_client_attempts_total", two.grpc_address());
  const std::size_t at_exit = load.calls();
  REQUIRE(Eventually([&] { return load.calls() >= at_exit + 200; }, 60s));
  load.Stop();

  const auto failures = load.failures();
  CAPTURE(failures.size(), load.calls());
  for (const std::string& f : failures) CHECK(f.empty());
  // Gone is gone: not one more attempt on it.
  CHECK(Metric(catalog, "giia_auth_client_attempts_total", two.grpc_address()) == after_exit);
  // It said NOT_SERVING before it stopped taking calls: at most the calls
  // already on their way (one per thread) met its shutdown.
  CHECK(Metric(catalog, "giia_auth_client_failures_total", two.grpc_address()) <= 3);
}

TEST_CASE(
    "Auth down altogether: cached decisions serve until their TTL, then the catalog fails closed "
    "at once, and is back within a second of auth returning",
    "[auth-client]") {
  AuthServer auth;
  CatalogServer catalog(auth, {.permission_cache_ttl = "3s"});
  json admin = auth.RegisterAdmin("down@client.example", "Down Co");
  const std::string cached = admin["access_token"];
  const std::string uncached =
      auth.CreateAndLogin(cached, "viewer@client.example", "Viewer")["access_token"];
  // Every auth event about these users (registration, logins) reached the
  // catalog first: one arriving later would drop the decision kept below.
  REQUIRE(Eventually([&] {
    return giia::testing::Scalar(auth.db().sql(),
                                 "SELECT count(*) FROM auth.outbox WHERE published_at IS NULL") ==
           "0";
  }));
  // The decision is kept from some moment within this call for its TTL.
  const auto cached_at = std::chrono::steady_clock::now();
  REQUIRE(catalog.Get("/api/v1/products", cached).status == 200);

  catalog.auth_proxy().Cut();
  // The cached decision answers; the uncached caller is refused as soon as
  // the catalog sees auth gone, without waiting for its 5 s deadline.
  CHECK(catalog.Get("/api/v1/products", cached).status == 200);
  REQUIRE(Eventually([&] { return catalog.Get("/api/v1/products", uncached).status == 503; }));
  const auto start = std::chrono::steady_clock::now();
  const giia::testing::HttpReply refused = catalog.Get("/api/v1/products", uncached);
  CHECK(refused.status == 503);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK(Metric(catalog, "giia_auth_client_refused_total") >= 1);

  // Fail closed once the TTL is over.
  REQUIRE(Eventually([&] { return catalog.Get("/api/v1/products", cached).status == 503; }, 10s));
  CHECK(std::chrono::steady_clock::now() - cached_at >= 3s);

  catalog.auth_proxy().Restore();
  const auto restored = std::chrono::steady_clock::now();
  REQUIRE(Eventually([&] { return catalog.Get("/api/v1/products", uncached).status == 200; }, 10s,
                     10ms));
  const auto back = std::chrono::steady_clock::now() - restored;
  CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(back).count());
  CHECK(back < 1s);
}

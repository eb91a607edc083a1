// The production shapes giia scales out to, as drills against real servers:
// NATS_URL listing a cluster's members, a 3-node JetStream cluster with R3
// streams losing the node that leads a stream, two replicas of each service
// on shared servers, and a catalog SIGKILLed in the middle of a burst.

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"
#include "e2e/support/nats_cluster.hpp"
#include "support/poll.hpp"

namespace pb = giia::catalog::v1;
using giia::testing::AuthReplica;
using giia::testing::AuthServer;
using giia::testing::CatalogServer;
using giia::testing::Eventually;
using giia::testing::FreePort;
using giia::testing::HttpReply;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Writers over gRPC, round robin over `addresses`: each creates a product,
// then renames it (two events of one aggregate, in that order), until
// stopped. Every answer is recorded.
class WriteLoad {
 public:
  WriteLoad(const std::vector<std::string>& addresses, const std::string& token, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, addresses, token, t] { Write(addresses, token, t); });
    }
  }
  ~WriteLoad() { Stop(); }
  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int created() const { return created_count_.load(); }
  // Product ids whose create answered OK, and those whose rename did too.
  std::set<std::string> created_ids() const {
    std::lock_guard lock(mu_);
    return created_;
  }
  std::set<std::string> renamed_ids() const {
    std::lock_guard lock(mu_);
    return renamed_;
  }
  // Status code -> how many calls ended with it (OK calls are not counted).
  std::map<int, int> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }
  std::chrono::milliseconds slowest() const {
    std::lock_guard lock(mu_);
    return slowest_;
  }

 private:
  void Write(const std::vector<std::string>& addresses, const std::string& token, int thread) {
    std::vector<std::unique_ptr<pb::CatalogService::Stub>> stubs;
    for (const std::string& a : addresses) {
      stubs.push_back(
          pb::CatalogService::NewStub(grpc::CreateChannel(a, grpc::InsecureChannelCredentials())));
    }
    for (int i = 0; !stop_.load(); ++i) {
      pb::CatalogService::Stub& stub = *stubs[static_cast<std::size_t>(i) % stubs.size()];
      pb::CreateProductRequest create;
      create.set_sku("LOAD-" + std::to_string(thread) + "-" + std::to_string(i));
      create.set_name("Load");
      pb::CreateProductResponse made;
      if (!Call([&](grpc::ClientContext& ctx) { return stub.CreateProduct(&ctx, create, &made); },
                token)) {
        continue;
      }
      {
        std::lock_guard lock(mu_);
        created_.insert(made.product().id());
      }
      ++created_count_;
      pb::UpdateProductRequest rename;
      rename.set_id(made.product().id());
      rename.set_version(made.product().version());
      rename.set_name("Renamed");
      pb::UpdateProductResponse renamed;
      if (Call([&](grpc::ClientContext& ctx) { return stub.UpdateProduct(&ctx, rename, &renamed); },
               token)) {
        std::lock_guard lock(mu_);
        renamed_.insert(made.product().id());
      }
    }
  }

  template <typename F>
  bool Call(F&& rpc, const std::string& token) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    ctx.AddMetadata("authorization", "Bearer " + token);
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status status = rpc(ctx);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::lock_guard lock(mu_);
    slowest_ = std::max(slowest_, took);
    if (!status.ok()) ++failures_[status.error_code()];
    return status.ok();
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> created_count_{0};
  mutable std::mutex mu_;
  std::set<std::string> created_;
  std::set<std::string> renamed_;
  std::map<int, int> failures_;
  std::chrono::milliseconds slowest_{0};
  std::vector<std::thread> threads_;
};

// Each product's event types in CATALOG_EVENTS, in stream order, read from
// the servers of `urls`. `duplicates` counts CloudEvent ids seen twice.
struct StreamEvents {
  std::map<std::string, std::vector<std::string>> by_product;
  int duplicates = 0;
};

// nullopt while the stream does not answer.
std::optional<StreamEvents> ReadCatalogEvents(const std::string& urls) {
  auto messages = giia::testing::TryReadStream(urls, "CATALOG_EVENTS");
  if (!messages) return std::nullopt;
  StreamEvents out;
  std::set<std::string> ids;
  for (const auto& m : *messages) {
    const json ce = json::parse(m.data);
    if (!ids.insert(ce["id"].get<std::string>()).second) ++out.duplicates;
    if (ce["data"].contains("product_id")) {
      out.by_product[ce["data"]["product_id"].get<std::string>()].push_back(ce["type"]);
    }
  }
  return out;
}

// How many products have events; -1 while the stream does not answer.
int Products(const std::optional<StreamEvents>& events) {
  return events ? static_cast<int>(events->by_product.size()) : -1;
}

// Every created product has "product.created" first, then "product.updated"
// when its rename was acknowledged; nothing twice.
bool AllDelivered(const std::optional<StreamEvents>& read, StreamEvents& events,
                  const std::set<std::string>& created, const std::set<std::string>& renamed) {
  if (!read) return false;
  events = *read;
  for (const std::string& id : created) {
    auto it = events.by_product.find(id);
    if (it == events.by_product.end()) return false;
    if (renamed.count(id) != 0 && it->second.size() < 2) return false;
  }
  return true;
}

void CheckOrderAndOnce(const StreamEvents& events, const std::set<std::string>& renamed) {
  CHECK(events.duplicates == 0);
  for (const auto& [id, types] : events.by_product) {
    CAPTURE(id);
    REQUIRE_FALSE(types.empty());
    CHECK(types.front() == "product.created");
    CHECK(types.size() <= 2);
    if (renamed.count(id) != 0) CHECK(types.size() == 2);
    if (types.size() == 2) CHECK(types[1] == "product.updated");
  }
}

json ReadyBody(int http_port) {
  httplib::Client client("127.0.0.1", http_port);
  auto res = client.Get("/health/ready");
  if (!res) return json();
  return json::parse(res->body, nullptr, false);
}

}  // namespace

TEST_CASE("NATS_URL lists a cluster's members: giia uses the one that answers, says when none does",
          "[replicas]") {
  AuthServer auth;
  // Two members nothing listens on, around the one that answers.
  const std::string dead = "nats://127.0.0.1:" + std::to_string(FreePort());
  const std::string also_dead = "nats://127.0.0.1:" + std::to_string(FreePort());
  CatalogServer catalog(
      auth, {.extra_env = {{"NATS_URL", dead + ", " + auth.nats().url() + "," + also_dead}}});
  json admin = auth.RegisterAdmin("list@nats.example", "List Co");
  const std::string token = admin["access_token"];
  REQUIRE(catalog.Post("/api/v1/products", {{"sku", "L-1"}, {"name", "Listed"}}, token).status ==
          201);
  // The event went out through the member that answers.
  CHECK(Eventually([&] { return Products(ReadCatalogEvents(auth.nats().url())) == 1; }));
  CHECK(ReadyBody(catalog.http_port())["checks"]["nats"]["status"] == "up");

  // No member answers: readiness says so (degraded, still 200: the API
  // works and events wait in the outbox), then recovers by itself.
  auth.nats().Stop();
  CHECK(Eventually([&] {
    const json body = ReadyBody(catalog.http_port());
    return body.is_object() && body["checks"]["nats"]["status"] == "down" &&
           body["status"] == "degraded";
  }));
  CHECK(catalog.Get("/health/ready", "").status == 200);
  REQUIRE(catalog.Post("/api/v1/products", {{"sku", "L-2"}, {"name", "Waits"}}, token).status ==
          201);
  auth.nats().Start();
  CHECK(Eventually(
      [&] { return ReadyBody(catalog.http_port())["checks"]["nats"]["status"] == "up"; }, 15s));
  CHECK(Eventually([&] { return Products(ReadCatalogEvents(auth.nats().url())) == 2; }, 15s));

  // A malformed list stops `serve` before it opens a port, naming the entry.
  giia::testing::ProcessEnv env = catalog.env();
  env["NATS_URL"] = auth.nats().url() + ",nats//other:4222";
  giia::testing::ProcessResult refused = giia::testing::RunGiia({"serve", "catalog"}, env);
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("NATS_URL") != std::string::npos);
  CHECK(refused.err.find("entry 2 \"nats//other:4222\" is not a nats:// or tls:// URL") !=
        std::string::npos);
}

TEST_CASE(
    "R3 streams on a 3-node JetStream cluster survive the death of CATALOG_EVENTS' leader "
    "under a write load, every call answers OK and every event is stored within 10 s",
    "[replicas][nats]") {
  giia::testing::NatsCluster cluster(3);
  AuthServer auth({.extra_env = {{"NATS_URL", cluster.urls()}, {"NATS_STREAM_REPLICAS", "3"}}});
  CatalogServer catalog(auth);
  for (const char* stream : {"AUTH_EVENTS", "CATALOG_EVENTS", "DLQ_EVENTS"}) {
    CAPTURE(stream);
    CHECK(Eventually([&] { return cluster.StreamReplicas(stream) == 3; }, 20s));
    CHECK(Eventually([&] { return !cluster.StreamLeader(stream).empty(); }, 20s));
  }
  // Registration goes through AUTH_EVENTS (the verification e-mail's consumer).
  json admin = auth.RegisterAdmin("r3@cluster.example", "Cluster Co");
  const std::string token = admin["access_token"];

  WriteLoad load({catalog.grpc_address()}, token, 3);
  REQUIRE(Eventually([&] { return load.created() >= 20; }, 30s));
  const std::string leader = cluster.StreamLeader("CATALOG_EVENTS");
  REQUIRE_FALSE(leader.empty());
  const int victim = cluster.IndexOf(leader);
  REQUIRE(victim >= 0);
  cluster.Kill(victim);
  const auto killed_at = std::chrono::steady_clock::now();
  const int at_kill = load.created();
  // The load goes on for 5 s while the survivors elect a new leader (the
  // scenario's own length, not a wait for something: NATS 2.9 elects within
  // 4-9 s of losing a leader).
  REQUIRE(Eventually(
      [&] {
        return load.created() >= at_kill + 60 && std::chrono::steady_clock::now() - killed_at > 5s;
      },
      30s));
  load.Stop();
  for (const auto& [code, count] : load.failures()) {
    CAPTURE(code, count, load.slowest().count());
    CHECK(count == 0);
  }

  const auto created = load.created_ids();
  const auto renamed = load.renamed_ids();
  const auto stopped = std::chrono::steady_clock::now();
  StreamEvents events;
  const bool delivered = Eventually(
      [&] {
        return AllDelivered(ReadCatalogEvents(cluster.running_urls()), events, created, renamed);
      },
      10s, 100ms);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - stopped);
  if (!delivered) {
    std::string log;  // without the access log's fast lines
    std::istringstream lines(catalog.Stop().err + auth.Stop().err);
    for (std::string line; std::getline(lines, line);) {
      const auto ms = line.find("ms request_id");
      const auto space = line.rfind(' ', ms);
      const bool slow = ms != std::string::npos && std::stod(line.substr(space + 1)) > 500;
      if (line.find(" grpc /") == std::string::npos || slow) log += line + "\n";
    }
    auto last = giia::testing::TryReadStream(cluster.running_urls(), "CATALOG_EVENTS");
    FAIL("a read now finds " << (last ? std::to_string(last->size()) : "no answer")
                             << " messages; only " << events.by_product.size() << " of "
                             << created.size() << " products' events "
                             << "within " << took.count() << " ms; the catalog's log ends:\n"
                             << log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  }
  WARN("all " << created.size() << " products' events stored " << took.count()
              << " ms after the load stopped");
  CheckOrderAndOnce(events, renamed);
  CHECK_FALSE(cluster.running(victim));  // all of it without the dead node
  const std::string new_leader = cluster.StreamLeader("CATALOG_EVENTS");
  CHECK_FALSE(new_leader.empty());
  CHECK(new_leader != leader);
}

TEST_CASE(
    "Two auth and two catalog replicas: a role revoked through one auth replica is refused "
    "by the other and by both catalogs within a second",
    "[replicas]") {
  AuthServer auth;
  AuthReplica auth_two(auth);
  CatalogServer one(auth, {.permission_cache_ttl = "10m"});
  CatalogServer two(auth, {.permission_cache_ttl = "10m"});
  json admin = auth.RegisterAdmin("root@replicas.example", "Replica Co");
  const std::string admin_token = admin["access_token"];
  json manager = auth.CreateAndLogin(admin_token, "mia@replicas.example", "Manager");
  const std::string token = manager["access_token"];
  const std::string user_id = manager["user"]["id"];
  // Every replica grants it now, and keeps the decision.
  REQUIRE(auth.Get("/api/v1/users", token).status == 200);
  REQUIRE(auth_two.Get("/api/v1/users", token).status == 200);
  for (CatalogServer* c : {&one, &two}) {
    REQUIRE(c->Post("/api/v1/products",
                    {{"sku", "PRE-" + std::to_string(c->http_port())}, {"name", "Before"}}, token)
                .status == 201);
  }

  HttpReply revoked = auth_two.Delete("/api/v1/users/" + user_id + "/roles/Manager", admin_token);
  INFO(revoked.raw);
  REQUIRE(revoked.status / 100 == 2);
  const auto since = std::chrono::steady_clock::now();
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        1s - (std::chrono::steady_clock::now() - since));
  };
  CHECK(Eventually([&] { return auth.Get("/api/v1/users", token).status == 403; }, left(), 5ms));
  for (CatalogServer* c : {&one, &two}) {
    CHECK(Eventually(
        [&] {
          return c->Post("/api/v1/products",
                         {{"sku", "POST-" + std::to_string(c->http_port())}, {"name", "After"}},
                         token)
                     .status == 403;
        },
        left(), 5ms));
  }
  CHECK(std::chrono::steady_clock::now() - since < 1s);
  CHECK(auth_two.Get("/api/v1/users", token).status == 403);
}

TEST_CASE(
    "A catalog SIGKILLed mid-burst loses no acknowledged write: the other replica's relay "
    "publishes what it left, each event once and in order",
    "[replicas]") {
  AuthServer auth;
  CatalogServer one(auth);
  CatalogServer two(auth);
  json admin = auth.RegisterAdmin("kill@replicas.example", "Kill Co");
  const std::string token = admin["access_token"];

  // Both replicas take writes, and both relays publish.
  WriteLoad load({one.grpc_address(), two.grpc_address()}, token, 4);
  REQUIRE(Eventually([&] { return load.created() >= 40; }, 30s));
  one.Stop(SIGKILL);
  const int at_kill = load.created();
  REQUIRE(Eventually([&] { return load.created() >= at_kill + 40; }, 30s));
  load.Stop();
  // Calls to the dead replica fail as UNAVAILABLE, nothing else, none hangs.
  for (const auto& [code, count] : load.failures()) {
    CAPTURE(code, count);
    CHECK(code == grpc::StatusCode::UNAVAILABLE);
  }
  CHECK(load.slowest() < 5s);

  const auto created = load.created_ids();
  const auto renamed = load.renamed_ids();
  // Every acknowledged write is stored ...
  std::string list;
  for (const std::string& id : created) list += (list.empty() ? "'" : ",'") + id + "'";
  CHECK(giia::testing::Scalar(auth.db().sql(),
                              "SELECT count(*) FROM catalog.products WHERE id IN (" + list + ")") ==
        std::to_string(created.size()));
  // ... and published once, in order, by the replica that lives.
  StreamEvents events;
  CHECK(Eventually(
      [&] { return AllDelivered(ReadCatalogEvents(auth.nats().url()), events, created, renamed); },
      10s, 100ms));
  CheckOrderAndOnce(events, renamed);
  // The rows are marked once JetStream acknowledged their batch: a moment
  // after the stream holds them.
  CHECK(Eventually([&] {
    return giia::testing::Scalar(
               auth.db().sql(), "SELECT count(*) FROM catalog.outbox WHERE published_at IS NULL") ==
           "0";
  }));
}

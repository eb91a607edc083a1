// The metrics exposition, checked by Prometheus' own promtool.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "server/metrics/event_metrics.hpp"
#include "server/metrics/registry.hpp"
#include "support/process.hpp"

using namespace giia;
using namespace giia::server::metrics;

namespace {

struct Backlog final : events::OutboxSource {
  Result<Batch> RelayBatch(std::size_t, const PublishFn&) override { return Batch{}; }
  Result<std::int64_t> Purge(std::chrono::seconds) override { return 0; }
  Result<events::OutboxSource::Backlog> Pending() override {
    return events::OutboxSource::Backlog{7, 12.5};
  }
};
struct NoPublisher final : events::EventPublisher {
  Result<std::size_t> Publish(std::span<const events::OutboxRecord>) override { return 0; }
};
struct NoSignal final : events::OutboxSignal {
  void Wait(std::chrono::milliseconds) override {}
  void Notify() override {}
  void Interrupt() override {}
};
struct NoHandler final : events::EventHandler {
  Status Handle(const events::Event&) override { return Ok(); }
};
struct NoProcessed final : events::ProcessedEvents {
  Result<bool> Seen(const std::string&, const std::string&) override { return false; }
  Status Remember(const std::string&, const std::string&) override { return Ok(); }
};
struct NoDlq final : events::DeadLetterQueue {
  Status Put(const events::DeadLetter&, const events::InboundMessage&) override { return Ok(); }
};

}  // namespace

TEST_CASE("The metrics exposition passes promtool check metrics", "[metrics]") {
  Registry registry;
  registry.GetCounter("http_requests_total", "HTTP requests.", {{"code", "200"}, {"path", "/a\"b"}})
      .Inc(3);
  registry.GetGauge("giia_db_pool_in_use", "Connections in use.").Set(2);
  auto& h = registry.GetHistogram("grpc_server_handling_seconds", "RPC latency.",
                                  DefaultLatencyBuckets(), {{"grpc_method", "Login"}});
  h.Observe(0.0007);
  h.Observe(0.2);
  h.Observe(42);

  Backlog outbox;
  NoPublisher publisher;
  NoSignal signal;
  spdlog::logger log("test");
  server::OutboxRelayWorker relay(outbox, publisher, signal, {}, log);
  RegisterRelayMetrics(registry, "auth", relay, outbox);
  NoHandler handler;
  NoProcessed processed;
  NoDlq dlq;
  events::EventConsumer consumer("mailer", handler, processed, dlq, nullptr, {});
  RegisterConsumerMetrics(registry, consumer);

  const std::string text = registry.Render();
  CHECK_THAT(text, Catch::Contains("# TYPE grpc_server_handling_seconds histogram"));
  CHECK_THAT(
      text,
      Catch::Contains("grpc_server_handling_seconds_bucket{grpc_method=\"Login\",le=\"0.001\"} 1"));
  CHECK_THAT(text, Catch::Contains(
                       "grpc_server_handling_seconds_bucket{grpc_method=\"Login\",le=\"+Inf\"} 3"));
  CHECK_THAT(text, Catch::Contains("grpc_server_handling_seconds_count{grpc_method=\"Login\"} 3"));
  CHECK_THAT(text, Catch::Contains("path=\"/a\\\"b\""));
  CHECK_THAT(text, Catch::Contains("giia_outbox_pending_events{service=\"auth\"} 7"));
  CHECK_THAT(text,
             Catch::Contains("giia_outbox_oldest_pending_age_seconds{service=\"auth\"} 12.5"));
  CHECK_THAT(text,
             Catch::Contains(
                 "giia_events_consumed_total{consumer=\"mailer\",outcome=\"dead_lettered\"} 0"));

  const char* promtool = "/usr/bin/promtool";
  if (access(promtool, X_OK) != 0) FAIL("promtool is not installed (Debian package prometheus)");
  auto checked = giia::testing::Process(promtool, {"check", "metrics"}, {}, text).Wait();
  INFO(checked.out << checked.err << "\n" << text);
  CHECK(checked.exit_code == 0);
  CHECK(checked.err.empty());
}

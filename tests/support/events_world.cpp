#include "support/events_world.hpp"

#include <catch2/catch.hpp>

#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"

namespace giia::testing {

EventsWorld::EventsWorld() : pool(db.MakePool(4)) {
  pg::PgMigrationStore store(*pool);
  auto up = migrate::Migrator(store, migrate::ForService(pg::EmbeddedMigrations().value(), "auth"))
                .Up(std::nullopt, false);
  REQUIRE(up);
  REQUIRE_FALSE(up->error);
  js = Connect();
  auto streams = nats::DefaultStreams();
  REQUIRE(js->EnsureStreams(streams));
}

std::unique_ptr<nats::JetStream> EventsWorld::Connect(bool background) const {
  nats::NatsOptions options;
  options.url = nats.url();
  options.connect_in_background = background;
  auto connected = nats::JetStream::Connect(options);
  REQUIRE(connected);
  return std::move(*connected);
}

}  // namespace giia::testing

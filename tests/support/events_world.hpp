#pragma once
// One events test's world: a fresh database with the auth schema migrated,
// a nats-server of its own, and a JetStream connection with giia's streams.

#include <memory>

#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/pool.hpp"
#include "support/nats_server.hpp"
#include "support/test_database.hpp"

namespace giia::testing {

struct EventsWorld {
  TestDatabase db;
  NatsServer nats;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<nats::JetStream> js;

  EventsWorld();
  // Another connection to this world's NATS (`background`: connect later).
  std::unique_ptr<nats::JetStream> Connect(bool background = false) const;
};

}  // namespace giia::testing

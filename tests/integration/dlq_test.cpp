// The dead-letter store on a real nats-server: a replay of more letters than
// one batch. `giia dlq` itself: tests/e2e/dlq_e2e_test.cpp.
#include "core/events/dlq.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "adapters/nats/jetstream.hpp"
#include "support/events_world.hpp"
#include "support/nats_server.hpp"

using namespace giia;
using giia::testing::ReadStream;

TEST_CASE("A replay of more letters than a batch republishes, records and removes every one",
          "[dlq][nats]") {
  giia::testing::EventsWorld w;
  // Dead letters as the consumer's DeadLetterQueue writes them.
  constexpr int kLetters = 1203;
  std::vector<std::string> payloads, ids;
  std::vector<nats::OutgoingMessage> letters;
  for (int i = 0; i < kLetters; ++i) {
    payloads.push_back("{\"n\":" + std::to_string(i) + "}");
    ids.push_back("evt-" + std::to_string(i));
  }
  for (int i = 0; i < kLetters; ++i) {
    letters.push_back({events::DeadLetterSubject("mailer", "auth.user.registered"),
                       "dlq:mailer:AUTH_EVENTS:" + std::to_string(i + 1),
                       payloads[static_cast<std::size_t>(i)],
                       {{nats::header::kOriginalSubject, "auth.user.registered"},
                        {nats::header::kConsumer, "mailer"},
                        {nats::header::kEventId, ids[static_cast<std::size_t>(i)]},
                        {nats::header::kReplayCount, "0"}}});
  }
  for (const Status& ok : w.js->PublishAll(letters)) REQUIRE(ok);

  nats::JetStreamDeadLetterStore store(*w.js);
  auto listed = store.List();
  REQUIRE(listed);
  REQUIRE(listed->size() == kLetters);
  CHECK(listed->front().letter.event_id == "evt-0");
  CHECK(listed->back().payload == payloads.back());
  CHECK(store.List()->size() == kLetters);  // reading consumed nothing

  events::ReplayOptions options;
  options.by = "test@host";
  auto report = events::ReplayDeadLetters(store).Run({}, options);
  REQUIRE(report);
  CHECK(report->failed.empty());
  CHECK(report->replayed.size() == kLetters);
  CHECK(store.List()->empty());
  auto replayed = ReadStream(w.nats.url(), "AUTH_EVENTS");
  REQUIRE(replayed.size() == kLetters);
  for (std::size_t i = 0; i < replayed.size(); ++i) {
    REQUIRE(replayed[i].data == payloads[i]);  // in the DLQ's order
    REQUIRE(replayed[i].headers["Nats-Msg-Id"] == ids[i] + ":replay:1");
  }
  CHECK(ReadStream(w.nats.url(), "DLQ_EVENTS").size() == kLetters);  // the dlq.replayed records

  // Deleting again: each one reports that it is gone.
  std::vector<std::uint64_t> gone = {1, 2};
  for (const Status& r : w.js->DeleteAll("DLQ_EVENTS", gone)) {
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().code == ErrorCode::kNotFound);
  }
}

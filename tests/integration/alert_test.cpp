// The dead-letter webhook against a real HTTP listener on a free port.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>

#include "adapters/http/client.hpp"
#include "adapters/http/webhook.hpp"
#include "support/net.hpp"

using namespace giia;

namespace {

events::DeadLetter Letter() {
  events::DeadLetter l;
  l.consumer = "mailer";
  l.original_subject = "auth.user.registered";
  l.stream = "AUTH_EVENTS";
  l.stream_sequence = 7;
  l.attempts = 3;
  l.error = "smtp refused";
  l.event_type = "user.registered";
  l.organization = "org-1";
  return l;
}

}  // namespace

TEST_CASE("A dead letter is POSTed to the alert webhook as JSON", "[dlq][http]") {
  http::InitHttpClient();
  giia::testing::TcpListener server;
  auto request = std::async(std::launch::async, [&] { return server.AnswerHttp("200 OK"); });
  http::WebhookAlert webhook("http://127.0.0.1:" + std::to_string(server.port()) + "/hook");
  webhook.Raise(Letter());
  const std::string got = request.get();
  CHECK_THAT(got, Catch::StartsWith("POST /hook HTTP/1.1"));
  CHECK_THAT(got, Catch::Contains("Content-Type: application/json"));
  auto body = nlohmann::json::parse(got.substr(got.find("\r\n\r\n") + 4));
  CHECK(body["alert"] == "dead_letter");
  CHECK(body["consumer"] == "mailer");
  CHECK(body["subject"] == "auth.user.registered");
  CHECK(body["attempts"] == 3);
  CHECK(webhook.sent() == 1);
}

TEST_CASE("A webhook that fails or is down is counted, within the timeout", "[dlq][http]") {
  http::InitHttpClient();
  giia::testing::TcpListener server;
  auto request = std::async(std::launch::async, [&] { return server.AnswerHttp("500 Oops"); });
  http::WebhookAlert failing("http://127.0.0.1:" + std::to_string(server.port()) + "/hook");
  failing.Raise(Letter());
  request.get();
  CHECK(failing.failures() == 1);

  const int closed = giia::testing::ClosedPort();
  http::WebhookAlert down("http://127.0.0.1:" + std::to_string(closed) + "/hook",
                          std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  down.Raise(Letter());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(down.failures() == 1);
}

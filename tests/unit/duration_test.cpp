#include "core/common/duration.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using giia::FormatDuration;
using giia::ParseDuration;

TEST_CASE("ParseDuration reads the units operators write", "[common]") {
  CHECK(ParseDuration("30s").value() == 30s);
  CHECK(ParseDuration("15m").value() == 15min);
  CHECK(ParseDuration("24h").value() == 24h);
  CHECK(ParseDuration("250ms").value() == 250ms);
  CHECK(ParseDuration("1h30m").value() == 90min);
  CHECK(ParseDuration("2d").value() == 48h);
  CHECK(ParseDuration("0").value() == 0ms);
  CHECK(ParseDuration("0s").value() == 0ms);
}

TEST_CASE("ParseDuration refuses what is not a duration, saying why", "[common]") {
  for (const char* bad : {"", "30", "s", "-5s", "5 s", "1.5s", "5x", "10sec", "ms5"}) {
    INFO(bad);
    auto d = ParseDuration(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == giia::ErrorCode::kInvalidArgument);
    CHECK_FALSE(d.error().message.empty());
  }
  auto huge = ParseDuration("99999999999999h");
  REQUIRE_FALSE(huge);
  CHECK_THAT(huge.error().message, Catch::Contains("too long"));
}

TEST_CASE("FormatDuration writes what ParseDuration reads back", "[common]") {
  CHECK(FormatDuration(90min) == "1h30m");
  CHECK(FormatDuration(0ms) == "0s");
  CHECK(FormatDuration(1500ms) == "1s500ms");
  for (std::chrono::milliseconds d :
       std::initializer_list<std::chrono::milliseconds>{1ms, 59s, 61min, 25h, 1234567ms}) {
    CHECK(ParseDuration(FormatDuration(d)).value() == d);
  }
}

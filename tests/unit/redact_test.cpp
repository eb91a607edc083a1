#include "core/common/redact.hpp"

#include <catch2/catch.hpp>

using giia::Redactor;
using giia::RedactUrlPasswords;

TEST_CASE("URL passwords are redacted, the rest of the URL stays", "[unit][redact]") {
  CHECK(RedactUrlPasswords("postgres://giia:s3cret@db:5432/giia") ==
        "postgres://giia:[REDACTED]@db:5432/giia");
  CHECK(RedactUrlPasswords("url=redis://:pw@host:6379 and nats://n:p@x:4222/") ==
        "url=redis://:[REDACTED]@host:6379 and nats://n:[REDACTED]@x:4222/");
  CHECK(RedactUrlPasswords("postgres://giia@db/giia") == "postgres://giia@db/giia");
  CHECK(RedactUrlPasswords("no url here: a:b@c") == "no url here: a:b@c");
  CHECK(RedactUrlPasswords("http://host:8080/path") == "http://host:8080/path");
}

TEST_CASE("The redactor removes every added secret wherever it appears", "[unit][redact]") {
  Redactor r;
  r.Add("hunter2-long-secret");
  r.Add("abc");  // too short to redact safely: ignored
  CHECK(r.Apply("token hunter2-long-secret twice hunter2-long-secret") ==
        "token [REDACTED] twice [REDACTED]");
  CHECK(r.Apply("abc stays") == "abc stays");
}

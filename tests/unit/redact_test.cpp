#include "core/common/redact.hpp"

#include <catch2/catch.hpp>

using giia::RedactCredentials;
using giia::Redactor;

TEST_CASE("URL passwords are redacted, the rest of the URL stays", "[common]") {
  CHECK(RedactCredentials("postgres://giia:s3cret@db:5432/giia") ==
        "postgres://giia:[REDACTED]@db:5432/giia");
  CHECK(RedactCredentials("postgresql://giia:s3cret@db/giia?sslmode=require") ==
        "postgresql://giia:[REDACTED]@db/giia?sslmode=require");
  CHECK(RedactCredentials("url=redis://:pw@host:6379 and nats://n:p@x:4222/") ==
        "url=redis://:[REDACTED]@host:6379 and nats://n:[REDACTED]@x:4222/");
  CHECK(RedactCredentials("rediss://default:pw@cache:6380/0") ==
        "rediss://default:[REDACTED]@cache:6380/0");
  CHECK(RedactCredentials("tls://u:pw@nats:4222") == "tls://u:[REDACTED]@nats:4222");
  CHECK(RedactCredentials("postgres://giia@db/giia") == "postgres://giia@db/giia");
  CHECK(RedactCredentials("no url here: a:b@c") == "no url here: a:b@c");
  CHECK(RedactCredentials("http://host:8080/path") == "http://host:8080/path");
  CHECK(RedactCredentials("http://host/users/a@b.c") == "http://host/users/a@b.c");
  // A password holding '@', '?' or '#' (libpq reads the userinfo up to '@' or '/').
  CHECK(RedactCredentials("postgres://giia:p@ss?w#rd@db/giia") ==
        "postgres://giia:[REDACTED]@db/giia");
  // Quoted in an error message.
  CHECK(RedactCredentials("\"redis://u:pw@host\" is not valid") ==
        "\"redis://u:[REDACTED]@host\" is not valid");
}

TEST_CASE("A lone userinfo is a password or a token except for PostgreSQL", "[common]") {
  CHECK(RedactCredentials("redis://PASSWORD1@cache:6379") == "redis://[REDACTED]@cache:6379");
  CHECK(RedactCredentials("rediss://PASSWORD1@cache:6379") == "rediss://[REDACTED]@cache:6379");
  CHECK(RedactCredentials("nats://TOKEN123@nats:4222") == "nats://[REDACTED]@nats:4222");
  CHECK(RedactCredentials("tls://TOKEN123@nats:4222") == "tls://[REDACTED]@nats:4222");
  CHECK(RedactCredentials("https://ghp_TOKEN@example.com/hook") ==
        "https://[REDACTED]@example.com/hook");
  CHECK(RedactCredentials("POSTGRESQL://giia@db/giia") == "POSTGRESQL://giia@db/giia");
}

TEST_CASE("Every URL of a list is redacted", "[common]") {
  CHECK(RedactCredentials("nats://a:4222,nats://u:p@b:4222") ==
        "nats://a:4222,nats://u:[REDACTED]@b:4222");
  CHECK(RedactCredentials("nats://u:p@a:4222, nats://TOKEN@b:4222,tls://c") ==
        "nats://u:[REDACTED]@a:4222, nats://[REDACTED]@b:4222,tls://c");
  // Hosts without a scheme after the first: more is hidden, never less.
  const std::string many = RedactCredentials("nats://u:p1@a:4222,v:p2@b:4222");
  CHECK(many.find("p1") == std::string::npos);
  CHECK(many.find("p2") == std::string::npos);
  // A comma inside a password is not a list.
  CHECK(RedactCredentials("redis://:pa,ss@host") == "redis://:[REDACTED]@host");
}

TEST_CASE("Password parameters of a URL query are redacted, others stay", "[common]") {
  CHECK(RedactCredentials("postgres://db/giia?user=giia&password=s3cret&sslmode=require") ==
        "postgres://db/giia?user=giia&password=[REDACTED]&sslmode=require");
  CHECK(RedactCredentials("postgres://giia@db/giia?password=s3cret") ==
        "postgres://giia@db/giia?password=[REDACTED]");
  CHECK(RedactCredentials("postgres://db/giia?sslkey=/k.pem&sslpassword=kp#frag") ==
        "postgres://db/giia?sslkey=/k.pem&sslpassword=[REDACTED]#frag");
  CHECK(RedactCredentials("redis://cache:6379/0?PASSWORD=a=b c") ==
        "redis://cache:6379/0?PASSWORD=[REDACTED] c");
  CHECK(RedactCredentials("postgres://db/giia?password=&user=x") ==
        "postgres://db/giia?password=&user=x");
  CHECK(RedactCredentials("postgres://db/giia?sslcert=/c.pem&sslkey=/k.pem") ==
        "postgres://db/giia?sslcert=/c.pem&sslkey=/k.pem");
}

TEST_CASE("key=value conninfo and env-file passwords are redacted, quoted ones whole", "[common]") {
  CHECK(RedactCredentials("host=db user=giia password=s3cret dbname=giia") ==
        "host=db user=giia password=[REDACTED] dbname=giia");
  CHECK(RedactCredentials("host=db password = s3cret dbname=giia") ==
        "host=db password = [REDACTED] dbname=giia");
  CHECK(RedactCredentials("host=db password='two words \\' and more' dbname=giia") ==
        "host=db password=[REDACTED] dbname=giia");
  CHECK(RedactCredentials("password='unclosed and long") == "password=[REDACTED]");
  CHECK(RedactCredentials("sslpassword=kp sslkey=/k.pem") ==
        "sslpassword=[REDACTED] sslkey=/k.pem");
  CHECK(RedactCredentials("SMTP_PASSWORD=hunter22\nX=1") == "SMTP_PASSWORD=[REDACTED]\nX=1");
  CHECK(RedactCredentials("pass=a passwd=b pwd=c") ==
        "pass=[REDACTED] passwd=[REDACTED] pwd=[REDACTED]");
  CHECK(RedactCredentials("passport=ok compass=ok") == "passport=ok compass=ok");
  CHECK(RedactCredentials("a password must be 8 characters") == "a password must be 8 characters");
}

TEST_CASE("The redactor removes every added secret wherever it appears", "[common]") {
  Redactor r;
  r.Add("hunter2-long-secret");
  r.Add("abc");  // too short to redact safely: ignored
  CHECK(r.Apply("token hunter2-long-secret twice hunter2-long-secret") ==
        "token [REDACTED] twice [REDACTED]");
  CHECK(r.Apply("abc stays") == "abc stays");
  CHECK(r.Apply("nats://TOKEN123@x") == "nats://[REDACTED]@x");
  // The old name redacts every form too (other code still calls it).
  CHECK(giia::RedactUrlPasswords("redis://PASSWORD1@h") == "redis://[REDACTED]@h");
}

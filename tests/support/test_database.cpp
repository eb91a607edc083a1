#include "support/test_database.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>

namespace giia::testing {
namespace {

std::unique_ptr<pg::Connection> Connect(const std::string& url) {
  pg::ConnectOptions options;
  options.url = url;
  options.application_name = "giia-tests";
  auto conn = pg::Connection::Open(options);
  if (!conn) FAIL("cannot connect to the test PostgreSQL: " << conn.error().message);
  return std::move(*conn);
}

// The URL with its database path replaced by `db`.
std::string WithDatabase(const std::string& url, const std::string& db) {
  const std::size_t authority = url.find("://") + 3;
  const std::size_t slash = url.find('/', authority);
  const std::size_t query = url.find('?', authority);
  std::string base = url.substr(0, slash == std::string::npos ? query : slash);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + db + rest;
}

}  // namespace

std::string ServerUrl() {
  const char* url = std::getenv("GIIA_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    FAIL("GIIA_TEST_DATABASE_URL is not set: run the integration tests through scripts/test.sh");
  }
  return url;
}

TestDatabase::TestDatabase() {
  std::random_device rd;
  name_ = "giia_test_" + std::to_string(rd()) + std::to_string(rd() % 100000);
  auto admin = Connect(ServerUrl());
  auto created = admin->Exec("CREATE DATABASE " + name_);  // name is ours: digits only
  if (!created) FAIL("CREATE DATABASE failed: " << created.error().message);
  url_ = WithDatabase(ServerUrl(), name_);
}

TestDatabase::~TestDatabase() {
  conn_.reset();
  pg::ConnectOptions options;
  options.url = ServerUrl();
  if (auto admin = pg::Connection::Open(options)) {
    (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
}

pg::Connection& TestDatabase::sql() {
  if (!conn_ || !conn_->Healthy()) conn_ = Connect(url_);
  return *conn_;
}

std::unique_ptr<pg::Pool> TestDatabase::MakePool(int size) const {
  pg::PoolOptions options;
  options.connect.url = url_;
  options.connect.connect_timeout = std::chrono::seconds(5);
  options.max_size = size;
  options.acquire_timeout = std::chrono::seconds(5);
  return std::move(pg::Pool::Create(options).value());
}

std::unique_ptr<pg::AsyncPool> TestDatabase::MakeAsyncPool(int size) const {
  pg::AsyncPoolOptions options;
  options.connect.url = url_;
  options.connect.connect_timeout = std::chrono::seconds(5);
  options.max_size = size;
  return std::move(pg::AsyncPool::Create(options).value());
}

std::string Scalar(pg::Connection& conn, const std::string& sql) {
  auto rows = conn.Exec(sql);
  if (!rows) FAIL("query failed: " << sql << ": " << rows.error().message);
  if (rows->empty() || rows->IsNull(0, 0)) return "";
  return rows->Text(0, 0);
}

}  // namespace giia::testing

#pragma once
// A fresh, empty PostgreSQL database per test, created on the server that
// GIIA_TEST_DATABASE_URL names and dropped when the test ends. Tests share no
// state. The integration tests fail loudly when the variable is missing.

#include <memory>
#include <string>

#include "adapters/postgres/async_pool.hpp"
#include "adapters/postgres/connection.hpp"
#include "adapters/postgres/pool.hpp"

namespace giia::testing {

// The server URL; fails the test when GIIA_TEST_DATABASE_URL is not set.
std::string ServerUrl();

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // A direct connection to this database, for arranging and checking.
  pg::Connection& sql();
  // A pool over this database.
  std::unique_ptr<pg::Pool> MakePool(int size = 2) const;
  // An asynchronous pool over this database.
  std::unique_ptr<pg::AsyncPool> MakeAsyncPool(int size = 1) const;

 private:
  std::string name_;
  std::string url_;
  std::unique_ptr<pg::Connection> conn_;
};

// Runs `sql` (one statement, no parameters) and returns the first column of
// the first row, or "" when there is none. Fails the test on error.
std::string Scalar(pg::Connection& conn, const std::string& sql);

}  // namespace giia::testing

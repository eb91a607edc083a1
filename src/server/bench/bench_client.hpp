#pragma once
// The gRPC side of `giia bench`: --connections channels to each service it
// talks to (never shared between them, so N channels are N connections), the
// scenario calls as a bench::Caller, and the calls that --login and --setup
// make (Login, CreateProduct, ListProducts). gRPC types stay in the .cpp.

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/bench/runner.hpp"
#include "core/bench/scenario.hpp"
#include "core/common/result.hpp"

namespace giia::server::bench {

using giia::bench::Service;

struct Targets {
  std::string auth;     // HOST:PORT (--auth)
  std::string catalog;  // HOST:PORT (--catalog)
};

struct Transport {
  std::string ca_pem;  // TLS trusting these roots when set (--cacert); plaintext otherwise
  int connections = 1;
  std::chrono::milliseconds timeout{20000};  // every call's deadline (--timeout)
};

struct Tokens {
  std::string access;
  std::string refresh;
};

// What the scenario calls need, prepared before the load.
struct Prepared {
  std::string token;                     // an access token (--token, --login or --setup)
  std::string email;                     // login and refresh
  std::string password;                  // likewise
  std::vector<std::string> product_ids;  // get-product
  std::vector<std::string> user_ids;     // check-permission-cold asks about these in turn
  std::vector<std::string> user_emails;  // login rotates over these when given
  int product_pages = 1;                 // list-products walks pages 1..this
  std::string run_id;                    // makes create-product SKUs unique
};

// Words in the names of the products --setup creates; search-products asks for them.
std::span<const char* const> SearchTerms();

class BenchClient {
 public:
  // Opens the channels to `services` and waits up to `connect_timeout` for
  // each to connect. Errors: kUnavailable naming HOST:PORT and its flag.
  [[nodiscard]] static Result<std::unique_ptr<BenchClient>> Connect(
      const Targets& targets, const Transport& transport, std::span<const Service> services,
      std::chrono::milliseconds connect_timeout);
  ~BenchClient();

  // Errors: the RPC's status as a giia Error (kUnauthenticated for a wrong
  // password, kUnavailable when auth is down, ...), the message naming the RPC.
  [[nodiscard]] Result<Tokens> Login(const std::string& email, const std::string& password);
  // Creates `count` products with SKUs PREFIX-0000.. on `parallel` threads;
  // their ids, in SKU order.
  [[nodiscard]] Result<std::vector<std::string>> CreateProducts(const std::string& token,
                                                                const std::string& prefix,
                                                                int count, int parallel);
  // Up to `max` ids of the caller's organization's products, and how many
  // there are in all.
  [[nodiscard]] Result<std::pair<std::vector<std::string>, std::int64_t>> ListProductIds(
      const std::string& token, int max);

  // The calls of `parts` (one scenario, or a --mix) for `workers` workers;
  // health goes to `health_service`. A part that refreshes logs in once per
  // worker first, so that every worker rotates its own session.
  // Errors: as Login.
  [[nodiscard]] Result<std::unique_ptr<giia::bench::Caller>> MakeCaller(
      std::span<const giia::bench::MixPart> parts, const Prepared& prepared, int workers,
      Service health_service);

  struct Impl;  // the channels and stubs; defined in the .cpp

 private:
  explicit BenchClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace giia::server::bench

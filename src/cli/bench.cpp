// giia bench: load for giia's own gRPC APIs, in the manner of ghz (target,
// scenario, -c, --connections, -n or -z, warm-up, timeout, TLS, a bearer
// token; a summary, histogram, percentiles and status and error
// distributions as text, json or csv) plus what ghz lacks: --rate for an
// open loop whose latencies count from when each call was due, HDR-style
// percentiles, --login, --setup (an organization, admin, products and a pool
// of users of its own, removed afterwards), --with-baseline (the health RPC
// under the same load) and --compare / --fail-if, which exit 3 on a
// regression.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <fstream>
#include <sstream>

#include "adapters/crypto/secrets.hpp"
#include "cli/bench_report.hpp"
#include "cli/bench_setup.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/secret_input.hpp"
#include "core/bench/fail_if.hpp"
#include "core/bench/scenario.hpp"
#include "core/common/duration.hpp"
#include "server/bench/bench_client.hpp"

namespace giia::cli {
namespace {

using bench::MixPart;
using bench::ScenarioInfo;
using bench::Service;
using server::bench::BenchClient;
using server::bench::Prepared;

constexpr int kDefaultRequests = 200;  // ghz's -n
constexpr int kSetupParallel = 4;      // CreateProduct calls in flight during --setup
constexpr int kMaxProductIds = 1000;   // get-product without --setup cycles through these
constexpr int kDefaultUsers = 2000;    // --setup's pool for check-permission-cold

struct BenchOptions {
  std::string scenario;
  std::string auth = "127.0.0.1:9091";
  std::string catalog = "127.0.0.1:9092";
  std::string health_target = "auth";
  int concurrency = 50;
  int connections = 1;
  std::uint64_t requests = 0;
  std::string duration;
  double rate = 0;
  std::string warmup;
  std::string timeout = "20s";
  std::string connect_timeout = "10s";
  bool insecure = false;
  std::string cacert;
  std::string token;
  std::string login;
  bool setup = false;
  bool keep = false;
  int products = 1000;
  int users = 0;  // --users; 0: kDefaultUsers when the scenario needs a pool, else none
  std::string database_url;
  std::string mix;
  bool with_baseline = false;
  std::string output = "text";
  std::string compare;
  std::string fail_if;
};

// Everything checked before anything is attempted.
struct Plan {
  const ScenarioInfo* scenario = nullptr;
  std::vector<MixPart> parts;  // the scenario alone, or the --mix
  ScenarioInfo need;           // what the parts need, together
  bench::RunPlan run;
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds connect_timeout{0};
  std::string ca_pem;
  std::string token;  // --token or GIIA_BENCH_TOKEN
  std::vector<bench::Condition> conditions;
  std::string fail_if;  // the expression judged: --fail-if, or the default of --compare
  std::optional<bench::Summary> previous;
  BenchSettings settings;
};

tl::unexpected<Error> Usage(const std::string& flag, const std::string& message) {
  return InvalidArgument(flag, message);
}

bool ReadsCatalog(std::span<const MixPart> parts) {
  for (const MixPart& p : parts) {
    const std::string_view n = p.scenario->name;
    if (n == "get-product" || n == "list-products" || n == "search-products") return true;
  }
  return false;
}

Result<std::chrono::milliseconds> PositiveDuration(const std::string& flag,
                                                   const std::string& text) {
  auto d = ParseDuration(text);
  if (!d || d->count() == 0) {
    return Usage(flag, flag + " \"" + text + "\" must be a duration above 0, such as 30s");
  }
  return *d;
}

Status ParseScenario(const BenchOptions& o, Plan& plan) {
  plan.scenario = bench::FindScenario(o.scenario);
  if (plan.scenario == nullptr) {
    return Usage("--scenario",
                 "--scenario \"" + o.scenario + "\" is not one of " + bench::ScenarioList());
  }
  if (!o.mix.empty() && o.scenario != "mix") {
    return Usage("--mix", "--mix goes with --scenario mix");
  }
  if (o.scenario != "mix") {
    plan.parts = {MixPart{plan.scenario, 1}};
  } else {
    auto parts = bench::ParseMix(o.mix.empty() ? bench::kDefaultMix : o.mix);
    if (!parts) return tl::unexpected(parts.error());
    plan.parts = std::move(*parts);
  }
  plan.need = bench::Requirements(plan.parts);
  return Ok();
}

Status ParseWarmup(const std::string& text, bench::RunPlan& run) {
  if (text.empty()) return Ok();
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    run.warmup_requests = std::stoull(text.substr(0, 18));
    return Ok();
  }
  auto d = ParseDuration(text);
  if (!d) {
    return Usage("--warmup", "--warmup \"" + text +
                                 "\" is neither a number of calls (100) nor a duration (5s)");
  }
  run.warmup_duration = *d;
  return Ok();
}

Status ParseLoad(const BenchOptions& o, Plan& plan) {
  bench::Load& load = plan.run.load;
  load.concurrency = o.concurrency;
  load.rate = o.rate;
  load.requests = o.requests;
  if (!o.duration.empty()) {
    auto d = PositiveDuration("-z", o.duration);
    if (!d) return tl::unexpected(d.error());
    load.duration = *d;
  } else if (load.requests == 0) {
    load.requests = kDefaultRequests;
  }
  if (auto ok = ParseWarmup(o.warmup, plan.run); !ok) return ok;
  auto timeout = PositiveDuration("--timeout", o.timeout);
  if (!timeout) return tl::unexpected(timeout.error());
  plan.timeout = *timeout;
  auto connect = PositiveDuration("--connect-timeout", o.connect_timeout);
  if (!connect) return tl::unexpected(connect.error());
  plan.connect_timeout = *connect;
  return Ok();
}

Status ParseTransport(const BenchOptions& o, Plan& plan) {
  if (o.cacert.empty()) return Ok();
  std::ifstream in(o.cacert);
  if (!in) return Usage("--cacert", "--cacert " + o.cacert + ": cannot read the file");
  std::stringstream pem;
  pem << in.rdbuf();
  plan.ca_pem = pem.str();
  return Ok();
}

Status ParseJudging(const BenchOptions& o, Plan& plan) {
  plan.fail_if = !o.fail_if.empty()   ? o.fail_if
                 : !o.compare.empty() ? bench::kDefaultCompareRule
                                      : "";
  if (!plan.fail_if.empty()) {
    auto conditions = bench::ParseFailIf(plan.fail_if);
    if (!conditions) return tl::unexpected(conditions.error());
    plan.conditions = std::move(*conditions);
  }
  if (bench::NeedsPrevious(plan.conditions) && o.compare.empty()) {
    return Usage("--fail-if", "--fail-if \"" + plan.fail_if +
                                  "\" has relative limits (such as +10%); add --compare FILE");
  }
  if (!o.compare.empty()) {
    auto previous = ReadBenchJson(o.compare);
    if (!previous) return tl::unexpected(previous.error());
    plan.previous = *previous;
  }
  return Ok();
}

// Who the calls are made as: --token (or GIIA_BENCH_TOKEN), --login or --setup.
Status CheckCredentials(const BenchOptions& o, CommandEnv& env, Plan& plan) {
  plan.token = o.token;
  if (plan.token.empty() && o.login.empty() && !o.setup) {
    if (auto it = env.env.find("GIIA_BENCH_TOKEN"); it != env.env.end()) plan.token = it->second;
  }
  if (!plan.token.empty()) env.redactor.Add(plan.token);
  const std::string name(plan.scenario->name);
  if (plan.need.needs_password && o.login.empty() && !o.setup) {
    return Usage("--login", name + " logs in: add --login EMAIL (the password from " +
                                "GIIA_BENCH_PASSWORD or standard input) or --setup");
  }
  if (plan.need.needs_users && !o.setup) {
    return Usage("--setup", name + " asks about a fresh user each call: add --setup, which " +
                                "creates a pool of them (--users N, default " +
                                std::to_string(kDefaultUsers) + ")");
  }
  if (plan.need.needs_token && plan.token.empty() && o.login.empty() && !o.setup) {
    return Usage("--token", name + " calls as a user: add --token TOKEN (or GIIA_BENCH_TOKEN), " +
                                "--login EMAIL or --setup");
  }
  return Ok();
}

BenchSettings Settings(const BenchOptions& o, const Plan& plan) {
  BenchSettings s;
  s.concurrency = o.concurrency;
  s.connections = o.connections;
  s.requests = plan.run.load.requests;
  s.duration_s = static_cast<double>(plan.run.load.duration.count()) / 1e9;
  s.rate = o.rate;
  s.warmup_requests = plan.run.warmup_requests;
  s.warmup_s = static_cast<double>(plan.run.warmup_duration.count()) / 1e9;
  s.timeout_s = static_cast<double>(plan.timeout.count()) / 1e3;
  s.tls = !plan.ca_pem.empty();
  s.mix = o.scenario == "mix" ? (o.mix.empty() ? bench::kDefaultMix : o.mix) : "";
  return s;
}

Result<Plan> MakePlan(const BenchOptions& o, CommandEnv& env) {
  Plan plan;
  for (auto step : {ParseScenario, ParseLoad, ParseTransport, ParseJudging}) {
    if (auto ok = step(o, plan); !ok) return tl::unexpected(ok.error());
  }
  if (auto ok = CheckCredentials(o, env, plan); !ok) return tl::unexpected(ok.error());
  plan.settings = Settings(o, plan);
  return plan;
}

// How many users --setup adds to its organization: --users, or the default
// when a scenario asks about them; none otherwise.
int PoolSize(const BenchOptions& o, const Plan& plan) {
  if (o.users > 0) return o.users;
  return plan.need.needs_users ? kDefaultUsers : 0;
}

// A pool smaller than the calls makes the later calls about users already
// cached: say so (not an error; a -z run cannot know its count ahead).
void WarnSmallPool(const BenchOptions& o, const Plan& plan, CommandEnv& env) {
  if (!plan.need.needs_users) return;
  const auto users = static_cast<std::uint64_t>(PoolSize(o, plan));
  const bench::RunPlan& run = plan.run;
  const std::string advice = "; raise --users for cold calls only";
  if (run.load.requests > 0 && run.load.requests + run.warmup_requests > users) {
    env.output.err << "giia: warning: " << run.load.requests + run.warmup_requests
                   << " calls (warm-up included) over " << users << " users: the calls after the "
                   << users << "th ask about users already cached" << advice << "\n";
  } else if (run.load.requests == 0) {
    env.output.err << "giia: warning: -z runs until the time is up; calls after the first " << users
                   << " ask about users already cached" << advice << " or use -n\n";
  }
}

// The service the health RPC goes to: the scenario's own (a baseline), or
// --health-target for the health scenario itself.
Service HealthService(const BenchOptions& o, const Plan& plan) {
  if (o.scenario == "health") {
    return o.health_target == "catalog" ? Service::kCatalog : Service::kAuth;
  }
  return plan.parts.front().scenario->service;
}

std::vector<Service> ServicesNeeded(const BenchOptions& o, const Plan& plan) {
  std::vector<Service> services;
  for (const MixPart& p : plan.parts) services.push_back(p.scenario->service);
  services.push_back(HealthService(o, plan));
  if (plan.need.needs_password || !o.login.empty() || o.setup) services.push_back(Service::kAuth);
  if (o.setup && ReadsCatalog(plan.parts)) services.push_back(Service::kCatalog);
  return services;
}

// --setup's rows: created before the run, removed when this ends (unless --keep).
class SetupScope {
 public:
  SetupScope(CommandEnv& env, bool keep) : env_(env), keep_(keep) {}
  ~SetupScope() { Finish(); }

  Status Create(const BenchOptions& o, int users) {
    Env flags, names;
    if (!o.database_url.empty()) {
      flags["DATABASE_URL"] = o.database_url;
      names["DATABASE_URL"] = "--database-url";
      env_.redactor.Add(o.database_url);
    }
    const std::vector<std::string> required = {"DATABASE_URL"};
    loaded_ = env_.Load("auth", flags, names, required);
    if (!loaded_) return MakeError(ErrorCode::kInvalidArgument, "", "--database-url");
    auto pool = OpenCommandPool(*loaded_, "giia-bench");
    if (!pool) return tl::unexpected(pool.error());
    pool_ = std::move(*pool);
    auto account = CreateBenchAccount(*pool_, loaded_->config, env_.redactor);
    if (!account) return Explained(account.error());
    account_ = std::move(*account);
    if (users > 0) {
      if (auto ok = CreateBenchUsers(*pool_, *account_, users); !ok) return Explained(ok.error());
    }
    report_.organization_id = account_->organization_id;
    report_.users = static_cast<int>(account_->user_ids.size());
    report_.email = account_->email;
    report_.kept = keep_;
    return Ok();
  }

  Status AnalyzeProducts() { return pg::AnalyzeBenchProducts(*pool_); }

  // Removes the rows (once); false when that failed, with the error printed.
  bool Finish() {
    if (!account_ || done_) return true;
    done_ = true;
    if (keep_) return true;
    auto purged = pg::PurgeBenchOrganization(*pool_, account_->organization_id);
    if (!purged) {
      env_.output.Error("--setup could not remove organization " + account_->organization_id +
                        ": " + purged.error().message);
      return false;
    }
    report_.removed = true;
    report_.rows_removed = purged->product_suppliers + purged->products + purged->suppliers +
                           purged->buffer_profiles + purged->users + purged->organizations;
    return true;
  }

  const BenchAccount* account() const { return account_ ? &*account_ : nullptr; }
  SetupReport& report() { return report_; }

 private:
  tl::unexpected<Error> Explained(Error e) const {
    if (e.code == ErrorCode::kUnavailable) {
      e.message += "; check " + loaded_->Value("DATABASE_URL").Describe();
    }
    return tl::unexpected(e);
  }

  CommandEnv& env_;
  bool keep_;
  std::optional<LoadedConfig> loaded_;
  std::unique_ptr<pg::Pool> pool_;
  std::optional<BenchAccount> account_;
  SetupReport report_;
  bool done_ = false;
};

std::string RandomRunId() {
  crypto::SodiumSecrets secrets;
  std::string id = secrets.NewUuid();
  return id.substr(0, 8);
}

// The token, e-mail, password and products the calls need.
Result<Prepared> Prepare(const BenchOptions& o, const Plan& plan, BenchClient& client,
                         SetupScope& setup, CommandEnv& env) {
  Prepared p;
  p.token = plan.token;
  p.run_id = RandomRunId();
  if (const BenchAccount* a = setup.account()) {
    p.email = a->email;
    p.password = a->password;
    p.user_ids = a->user_ids;
    p.user_emails = a->user_emails;
  } else if (!o.login.empty()) {
    auto password = ReadSecret(env, "GIIA_BENCH_PASSWORD", "Password for " + o.login);
    if (!password || password->empty()) {
      return Usage("GIIA_BENCH_PASSWORD",
                   "--login needs a password: set GIIA_BENCH_PASSWORD or "
                   "write it on standard input");
    }
    p.email = o.login;
    p.password = std::move(*password);
  }
  if (!p.email.empty()) {
    auto tokens = client.Login(p.email, p.password);
    if (!tokens) return tl::unexpected(tokens.error());
    p.token = tokens->access;
    env.redactor.Add(p.token);
  }
  if (setup.account() && ReadsCatalog(plan.parts)) {
    auto ids = client.CreateProducts(p.token, "BENCH-" + p.run_id, o.products, kSetupParallel);
    if (!ids) return tl::unexpected(ids.error());
    p.product_ids = std::move(*ids);
    if (auto ok = setup.AnalyzeProducts(); !ok) return tl::unexpected(ok.error());
    setup.report().products = o.products;
    p.product_pages = std::clamp((o.products + 19) / 20, 1, 50);
  } else if (ReadsCatalog(plan.parts)) {
    auto listed = client.ListProductIds(p.token, kMaxProductIds);
    if (!listed) return tl::unexpected(listed.error());
    p.product_ids = std::move(listed->first);
    p.product_pages = static_cast<int>(std::clamp<std::int64_t>((listed->second + 19) / 20, 1, 50));
  }
  if (plan.need.needs_products && p.product_ids.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "get-product needs products and the organization has none; add --setup");
  }
  return p;
}

std::string Address(const BenchOptions& o, Service s) {
  return s == Service::kAuth ? o.auth : o.catalog;
}

std::atomic<bool> interrupted{false};

// While it lives, the first Ctrl-C (SIGINT) ends the load early: calls in
// flight finish, the result so far is reported and --setup's rows are
// removed. A second Ctrl-C stops the process at once.
class InterruptScope {
 public:
  InterruptScope() {
    interrupted = false;  // one scope per process; not reentrant
    struct sigaction action {};
    action.sa_handler = [](int) { interrupted = true; };
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &saved_);
  }
  ~InterruptScope() { ::sigaction(SIGINT, &saved_, nullptr); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction saved_ {};
};

// HOST:PORT of every server the parts call, once each.
std::string TargetList(const BenchOptions& o, std::span<const MixPart> parts, Service health) {
  std::string out;
  for (const MixPart& p : parts) {
    const bool is_health = p.scenario->name == "health";
    const std::string address = Address(o, is_health ? health : p.scenario->service);
    if (out.find(address) == std::string::npos) out += (out.empty() ? "" : ", ") + address;
  }
  return out;
}

Result<BenchRun> Measure(const BenchOptions& o, const Plan& plan, BenchClient& client,
                         std::span<const MixPart> parts, const Prepared& prepared, Service health,
                         bool mix) {
  auto caller = client.MakeCaller(parts, prepared, plan.run.load.concurrency, health);
  if (!caller) return tl::unexpected(caller.error());
  BenchRun run;
  run.scenario = mix ? "mix" : std::string(parts.front().scenario->name);
  run.rpc = mix ? "mix of " + plan.settings.mix : std::string(parts.front().scenario->rpc);
  run.target = TargetList(o, parts, health);
  run.result = bench::Run(plan.run, **caller, bench::SteadyClock(), &interrupted);
  run.summary = bench::Summarize(run.result);
  return run;
}

void Judge(const Plan& plan, BenchReport& report, CommandEnv& env) {
  if (plan.conditions.empty()) return;
  auto verdict = bench::Evaluate(plan.conditions, report.run.summary,
                                 plan.previous ? &*plan.previous : nullptr);
  if (!verdict) return env.Fail(verdict.error(), true);
  report.verdict = std::move(*verdict);
  if (report.verdict->passed()) return;
  std::string met;
  for (const bench::Violation& v : report.verdict->violations) {
    met += (met.empty() ? "" : "; ") + v.Describe();
  }
  env.output.Error("--fail-if \"" + plan.fail_if + "\": " + met);
  env.exit_code = ExitCode::kFailed;
}

void Render(const BenchOptions& o, const BenchReport& report, CommandEnv& env) {
  std::ostringstream out;
  if (o.output == "json") {
    out << ToJson(report) << "\n";
  } else if (o.output == "csv") {
    WriteCsv(out, report);
  } else {
    WriteText(out, report);
  }
  std::string text = out.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  env.output.Line(text);
}

// Connects, sets up, measures (the baseline first), cleans up, judges.
Status Execute(const BenchOptions& o, const Plan& plan, CommandEnv& env, BenchReport& report) {
  server::bench::Transport transport{plan.ca_pem, o.connections, plan.timeout};
  auto client = BenchClient::Connect({o.auth, o.catalog}, transport, ServicesNeeded(o, plan),
                                     plan.connect_timeout);
  if (!client) return tl::unexpected(client.error());
  SetupScope setup(env, o.keep);
  if (o.setup) {
    if (auto ok = setup.Create(o, PoolSize(o, plan)); !ok) return ok;
  }
  auto prepared = Prepare(o, plan, **client, setup, env);
  if (!prepared) return tl::unexpected(prepared.error());
  const Service health = HealthService(o, plan);
  const InterruptScope scope;
  if (o.with_baseline) {
    const MixPart baseline[] = {{bench::FindScenario("health"), 1}};
    auto run = Measure(o, plan, **client, baseline, *prepared, health, false);
    if (!run) return tl::unexpected(run.error());
    report.baseline = std::move(*run);
  }
  auto run = Measure(o, plan, **client, plan.parts, *prepared, health, o.scenario == "mix");
  if (!run) return tl::unexpected(run.error());
  report.run = std::move(*run);
  report.interrupted = interrupted;
  if (setup.account()) {
    const bool removed = setup.Finish();
    report.setup = setup.report();
    if (!removed) env.exit_code = ExitCode::kFailed;
  }
  return Ok();
}

void RunBench(const BenchOptions& o, CommandEnv& env) {
  auto plan = MakePlan(o, env);
  if (!plan) return env.Fail(plan.error(), true);
  WarnSmallPool(o, *plan, env);
  BenchReport report;
  report.settings = plan->settings;
  report.compare_file = o.compare;
  report.previous = plan->previous;
  report.fail_if = plan->fail_if;
  if (auto ok = Execute(o, *plan, env, report); !ok) {
    // A configuration problem of --setup was printed (exit 1) where it was found.
    // Errors naming a flag or variable are the operator's; others the servers'.
    if (!ok.error().message.empty()) env.Fail(ok.error(), !ok.error().field.empty());
    return;
  }
  const ExitCode before = env.exit_code;
  Judge(*plan, report, env);
  Render(o, report, env);
  if (before != ExitCode::kOk) env.exit_code = before;
}

void AddLoadOptions(CLI::App* cmd, BenchOptions& o) {
  cmd->add_option("-c,--concurrency", o.concurrency, "Workers, each with one call in flight (50)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--connections", o.connections,
                  "gRPC connections to each service; workers share them round-robin (1)")
      ->check(CLI::Range(1, 1000));
  auto* n = cmd->add_option("-n,--total", o.requests, "Calls to make (200 unless -z is given)")
                ->check(CLI::PositiveNumber);
  cmd->add_option("-z,--duration", o.duration, "Make calls for this long instead of -n")
      ->type_name("DURATION")
      ->excludes(n);
  cmd->add_option("--rate", o.rate,
                  "Open loop: start this many calls per second in all, each latency counted "
                  "from when the call was due (workers bound the calls in flight)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", o.warmup,
                  "First make this many calls (100) or make calls for this long (5s), uncounted")
      ->type_name("N|DURATION");
  cmd->add_option("--timeout", o.timeout, "Each call's deadline (20s)")->type_name("DURATION");
  cmd->add_option("--connect-timeout", o.connect_timeout,
                  "Wait this long for every connection; exit 2 after (10s)")
      ->type_name("DURATION");
}

void AddTargetOptions(CLI::App* cmd, BenchOptions& o) {
  cmd->add_option("--scenario", o.scenario, "What to call: " + bench::ScenarioList())->required();
  cmd->add_option("--mix", o.mix,
                  std::string("With --scenario mix: NAME=WEIGHT,... (") + bench::kDefaultMix + ")")
      ->type_name("MIX");
  cmd->add_option("--auth", o.auth, "The auth service's gRPC address (127.0.0.1:9091)")
      ->type_name("HOST:PORT");
  cmd->add_option("--catalog", o.catalog, "The catalog service's gRPC address (127.0.0.1:9092)")
      ->type_name("HOST:PORT");
  cmd->add_option("--health-target", o.health_target,
                  "Which server --scenario health asks: auth or catalog (auth)")
      ->check(CLI::IsMember({"auth", "catalog"}));
  auto* insecure = cmd->add_flag("--insecure", o.insecure, "Plaintext connections (the default)");
  cmd->add_option("--cacert", o.cacert, "TLS, trusting the CA certificates in FILE")
      ->type_name("FILE")
      ->excludes(insecure);
}

void AddIdentityOptions(CLI::App* cmd, BenchOptions& o) {
  auto* token = cmd->add_option("--token", o.token,
                                "Call with this bearer token (or GIIA_BENCH_TOKEN); prefer --login")
                    ->type_name("TOKEN");
  auto* login = cmd->add_option("--login", o.login,
                                "Log in as EMAIL first; the password comes from "
                                "GIIA_BENCH_PASSWORD or standard input, never a flag")
                    ->type_name("EMAIL")
                    ->excludes(token);
  auto* setup = cmd->add_flag("--setup", o.setup,
                              "Create an organization with an active Admin (in DATABASE_URL) and "
                              "the products the scenario reads (over gRPC), log in as that "
                              "admin, and remove every row of the organization at the end")
                    ->excludes(token)
                    ->excludes(login);
  cmd->add_flag("--keep", o.keep, "With --setup: keep the organization and its rows")->needs(setup);
  cmd->add_option("--products", o.products, "With --setup: products to create (1000)")
      ->check(CLI::Range(1, 100000))
      ->needs(setup);
  cmd->add_option("--users", o.users,
                  "With --setup: users (Viewers) to add to the organization; "
                  "check-permission-cold asks about a different one each call, login rotates "
                  "over them (" +
                      std::to_string(kDefaultUsers) + " for check-permission-cold, else none)")
      ->check(CLI::Range(1, 1000000))
      ->needs(setup);
  cmd->add_option("--database-url", o.database_url,
                  "With --setup: PostgreSQL URL of auth (default: AUTH_DATABASE_URL, then "
                  "DATABASE_URL)")
      ->type_name("URL")
      ->needs(setup);
}

void AddReportOptions(CLI::App* cmd, BenchOptions& o) {
  cmd->add_flag("--with-baseline", o.with_baseline,
                "Also run the health RPC on the scenario's server with the same settings, and "
                "show every figure as a ratio to it");
  cmd->add_option("--output", o.output, "text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  cmd->add_option("--compare", o.compare,
                  std::string("Compare with a result of --output json; exit 3 on a regression "
                              "(--fail-if, default ") +
                      bench::kDefaultCompareRule + ")")
      ->type_name("FILE");
  cmd->add_option("--fail-if", o.fail_if,
                  "Exit 3 when any condition holds: METRIC>LIMIT or METRIC<LIMIT, comma "
                  "separated; metrics p50 p75 p90 p95 p99 p99.9 avg min max rps errors; "
                  "limits 2ms, 10000, 1% (errors), +10% (relative to --compare)")
      ->type_name("EXPR");
}

}  // namespace

void RegisterBench(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Load-test the auth and catalog gRPC APIs (ghz-like, plus open loop, setup, baseline "
      "and regression checks)");
  AddTargetOptions(cmd, *o);
  AddLoadOptions(cmd, *o);
  AddIdentityOptions(cmd, *o);
  AddReportOptions(cmd, *o);
  cmd->footer("Exit 3 also when --fail-if or --compare finds a regression.\n" +
              HelpFooter("giia bench --scenario get-product --setup --database-url "
                         "postgres://giia@127.0.0.1/giia -z 30s -c 16 --with-baseline "
                         "--fail-if 'p99>5ms,errors>0'"));
  cmd->callback([o, &env] { RunBench(*o, env); });
}

}  // namespace giia::cli

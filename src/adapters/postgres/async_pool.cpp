#include "adapters/postgres/async_pool.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "core/common/serial_worker.hpp"

namespace giia::pg {
namespace {

using Clock = std::chrono::steady_clock;

// A statement to run, or (begin set) a transaction waiting for a connection.
struct Pending {
  std::string sql;
  std::vector<Param> params;
  Clock::time_point deadline;
  QueryDone done;
  TransactionStart begin;
};

// What a transaction's callback gave as its next step.
struct Step {
  std::string sql;
  std::vector<Param> params;
  AsyncTransaction::Done done;
  bool commit = false;
};

tl::unexpected<Error> Unavailable(const std::string& why) {
  return MakeError(ErrorCode::kUnavailable, why);
}

}  // namespace

struct AsyncPool::Reactor {
  struct Slot;

  // A transaction holding a slot's connection, on the reactor thread only.
  struct Tx final : AsyncTransaction {
    explicit Tx(Clock::time_point d) : deadline(d) {}
    void Query(std::string sql, std::vector<Param> params, Done done) override {
      Give({std::move(sql), std::move(params), std::move(done), false});
    }
    void Commit(std::string sql, std::vector<Param> params, Done done) override {
      Give({std::move(sql), std::move(params), std::move(done), true});
    }
    void Give(Step step) {
      if (!closed) given.push_back(std::move(step));
    }

    const Clock::time_point deadline;
    std::vector<Step> given;  // by the callback running now
    std::optional<Step> running;
    bool open = false;    // BEGIN was sent, no COMMIT or ROLLBACK yet
    bool failed = false;  // no statement runs any more: it is rolled back
    bool closed = false;  // steps are no longer taken
  };

  struct Slot {
    std::unique_ptr<Connection> conn;
    std::optional<Pending> query;  // the statement running; done empty once answered
    std::unique_ptr<Tx> tx;        // the transaction this connection is reserved for
    bool cancelling = false;       // answered at its deadline, the server asked to cancel
    bool dead = false;             // to be closed (removed at the next Dispatch)
    std::uint32_t events = 0;      // what epoll watches now
  };

  explicit Reactor(AsyncPoolOptions o) : options(std::move(o)) {}

  // REQUIRES: Stop() ran, when Init() did. The workers end first: their
  // last jobs may still wake the reactor.
  ~Reactor() {
    connects.reset();
    cancels.reset();
    if (wake >= 0) ::close(wake);
    if (epoll >= 0) ::close(epoll);
  }

  Status Init() {
    epoll = ::epoll_create1(EPOLL_CLOEXEC);
    wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll < 0 || wake < 0) {
      return MakeError(ErrorCode::kInternal, "cannot set up the PostgreSQL reactor (epoll)");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake-up
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &ev) != 0) {
      return MakeError(ErrorCode::kInternal, "cannot set up the PostgreSQL reactor (epoll)");
    }
    thread = std::thread([this] { Loop(); });
    return Ok();
  }

  // --- from any thread

  void Submit(Pending p) {
    {
      std::lock_guard lock(mu);
      if (!stopping) {
        inbox.push_back(std::move(p));
        Wake();
        return;
      }
    }
    Answer(p, Unavailable("the PostgreSQL pool is shut down"));
  }

  void Stop(std::chrono::milliseconds grace) {
    {
      std::lock_guard lock(mu);
      if (!stopping) {
        stopping = true;
        stop_at = Clock::now() + grace;
      }
      Wake();
    }
    if (thread.joinable()) thread.join();
  }

  void Wake() {
    const std::uint64_t one = 1;
    (void)!::write(wake, &one, sizeof one);
  }

  // --- on the reactor thread

  void Loop() {
    std::vector<epoll_event> events(64);
    for (;;) {
      const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), Timeout());
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {
          std::uint64_t count = 0;
          (void)!::read(wake, &count, sizeof count);
        } else {
          Drive(*static_cast<Slot*>(events[i].data.ptr), events[i].events);
        }
      }
      TakeInbox();
      Expire();
      Dispatch();
      Publish();
      if (stop_seen && (Busy() == 0 || Clock::now() >= stop_at)) break;
    }
    Close();
  }

  // Milliseconds to the nearest deadline (rounded up), -1 for none.
  int Timeout() const {
    std::optional<Clock::time_point> next;
    auto consider = [&](Clock::time_point t) {
      if (!next || t < *next) next = t;
    };
    for (const auto& s : slots) {
      if (s->query && !s->cancelling && s->query->deadline != Clock::time_point::max()) {
        consider(s->query->deadline);
      }
    }
    for (const Pending& p : waiting) consider(p.deadline);
    if (stop_seen) consider(stop_at);
    if (!next) return -1;
    const auto left = *next - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    return static_cast<int>(
        std::min<std::int64_t>(std::chrono::ceil<std::chrono::milliseconds>(left).count(), 60000));
  }

  void TakeInbox() {
    std::deque<Pending> arrived;
    std::vector<Result<std::unique_ptr<Connection>>> connected;
    {
      std::lock_guard lock(mu);
      arrived.swap(inbox);
      connected.swap(opened);
      if (stopping) stop_seen = true;
    }
    for (auto& c : connected) {
      --opening;
      if (c) {
        Add(std::move(*c));
        continue;
      }
      // The query this connection was opened for gets the reason, as with
      // Pool::Acquire; with nothing open (the database cannot be reached
      // now) every waiting query does, instead of waiting for its deadline.
      const bool none_open = slots.empty();
      while (!waiting.empty()) {
        Answer(waiting.front(), tl::unexpected(c.error()));
        waiting.pop_front();
        if (!none_open) break;
      }
    }
    for (Pending& p : arrived) {
      if (stop_seen) {
        Answer(p, Unavailable("the PostgreSQL pool is shutting down"));
      } else if (waiting.size() >= options.max_waiting) {
        Answer(p, MakeError(ErrorCode::kResourceExhausted,
                            std::to_string(waiting.size()) +
                                " queries already wait for a PostgreSQL connection"));
      } else {
        waiting.push_back(std::move(p));
      }
    }
    if (stop_seen) {
      while (!waiting.empty()) {
        Answer(waiting.front(), Unavailable("the PostgreSQL pool is shutting down"));
        waiting.pop_front();
      }
    }
  }

  void Expire() {
    const auto now = Clock::now();
    for (auto& s : slots) {
      if (!s->query || s->cancelling) continue;
      const bool late = s->query->deadline <= now;
      const bool closing = stop_seen && now >= stop_at;
      if (!late && !closing) continue;
      Answer(*s->query, closing ? Unavailable("the PostgreSQL pool shut down before the answer")
                                : MakeError(ErrorCode::kDeadlineExceeded,
                                            "the deadline passed before PostgreSQL answered"));
      s->cancelling = true;
      ++cancelled;
      cancels->Post(s->conn->Canceller());
    }
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (it->deadline > now) {
        ++it;
        continue;
      }
      Answer(*it, MakeError(ErrorCode::kDeadlineExceeded,
                            "the deadline passed while waiting for a PostgreSQL connection"));
      it = waiting.erase(it);
    }
  }

  void Dispatch() {
    for (auto& s : slots) {
      if (waiting.empty()) break;
      if (s->query || s->tx || s->dead) continue;
      if (waiting.front().begin) {
        Pending p = std::move(waiting.front());
        waiting.pop_front();
        Begin(*s, p);
        continue;
      }
      // Nothing was sent when Start fails: the query waits for another
      // connection, and this broken one is closed.
      if (auto sent = s->conn->Start(waiting.front().sql, waiting.front().params); !sent) {
        s->dead = true;
        continue;
      }
      s->query = std::move(waiting.front());
      waiting.pop_front();
      Watch(*s);
    }
    std::erase_if(slots, [this](const std::unique_ptr<Slot>& s) {
      if (s->query || s->tx || (!s->dead && s->conn->Healthy())) return false;
      Forget(*s);
      ++discarded;
      return true;
    });
    if (stop_seen) return;
    // A connection for each waiting query that no opening one is for yet.
    const int open = static_cast<int>(slots.size()) + opening;
    const int uncovered = static_cast<int>(waiting.size()) - opening;
    for (int i = 0; i < uncovered && open + i < options.max_size; ++i) {
      ++opening;
      connects->Post([this] {
        auto conn = Connection::Open(options.connect);
        std::lock_guard lock(mu);
        opened.push_back(std::move(conn));
        Wake();
      });
    }
  }

  void Drive(Slot& s, std::uint32_t ready) {
    if (!s.query) {
      // An idle connection has nothing to say: readable means the server
      // closed or terminated it.
      if (ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) Discard(s);
      return;
    }
    auto answer = s.conn->Continue();
    if (!answer) {
      Watch(s);
      return;
    }
    Pending finished = std::move(*s.query);
    s.query.reset();
    if (!s.cancelling) Answer(finished, std::move(*answer));
    s.cancelling = false;
    if (s.tx) {
      Advance(s);
      if (s.tx) return Watch(s);
    }
    const bool expired = Clock::now() - s.conn->opened_at() > options.max_lifetime;
    if (!s.conn->Healthy() || expired || stop_seen) {
      Discard(s);
    } else {
      Watch(s);
    }
  }

  void Answer(Pending& p, Result<Rows> r) {
    if (p.begin) {
      TransactionStart begin = std::move(p.begin);
      p.begin = nullptr;
      try {
        begin(tl::unexpected(r ? Error{ErrorCode::kInternal, "no transaction", ""} : r.error()));
      } catch (...) {  // as below
      }
      return;
    }
    if (!p.done) return;
    QueryDone done = std::move(p.done);
    p.done = nullptr;
    try {
      done(std::move(r));
    } catch (...) {  // the callback's own failure: the reactor goes on for the others
    }
  }

  // --- transactions

  // Gives `s` to the transaction `p` waited for, and runs its first step.
  void Begin(Slot& s, const Pending& p) {
    s.tx = std::make_unique<Tx>(p.deadline);
    try {
      p.begin(s.tx.get());
    } catch (...) {  // as in Answer
    }
    Advance(s);
  }

  // After a callback of the transaction on `s`: sends its next step, or
  // rolls it back, or (ended) frees the connection. Nothing in flight.
  void Advance(Slot& s) {
    Tx& t = *s.tx;
    std::vector<Step> given = std::move(t.given);
    t.given.clear();
    const bool healthy = s.conn->Healthy();
    if (!healthy) {
      t.failed = true;
      t.open = false;  // nothing to roll back: the connection is closed
    }
    if (given.size() > 1 || (t.failed && !given.empty())) {
      // The first step of a failed transaction, and every step past one a
      // callback: answered, and whatever they give is dropped.
      t.closed = true;
      for (std::size_t i = t.failed ? 0 : 1; i < given.size(); ++i) {
        Error e = t.failed ? Error{ErrorCode::kAborted, "the transaction was rolled back", ""}
                           : Error{ErrorCode::kInternal, "one step per transaction callback", ""};
        Run(given[i].done, tl::unexpected(std::move(e)), t);
      }
      if (!t.failed) t.closed = false;
      given.resize(t.failed ? 0 : 1);
    }
    if (given.empty()) {
      if (t.open && healthy) {
        t.open = false;
        t.closed = true;
        // No deadline: the server answers a ROLLBACK at once (a shutdown's
        // grace still ends it).
        Send(s,
             {"ROLLBACK",
              {},
              Clock::time_point::max(),
              [slot = &s](const Result<Rows>& r) {
                if (!r) slot->dead = true;  // a connection that cannot roll back is not reused
              }},
             {});
        if (s.query) return;
      }
      s.tx.reset();
      if (!healthy) s.dead = true;
      return;
    }
    Step step = std::move(given.front());
    const StatementPart part{.begin = !t.open, .commit = step.commit, .in_transaction = t.open};
    t.open = true;
    t.running = std::move(step);
    Send(s,
         {t.running->sql, t.running->params, t.deadline,
          [slot = &s](Result<Rows> r) {
            Tx& tx = *slot->tx;
            Step ran = std::move(*tx.running);
            tx.running.reset();
            if (!r) tx.failed = true;
            if (r && ran.commit) tx.open = false;
            Run(ran.done, std::move(r), tx);
          }},
         part);
    if (!s.query) Advance(s);  // could not be sent: answered kUnavailable
  }

  // Starts a statement of `s`'s transaction; when it cannot be sent, it is
  // answered kUnavailable at once and the connection is to be closed.
  void Send(Slot& s, Pending p, StatementPart part) {
    if (auto sent = s.conn->Start(p.sql, p.params, part); !sent) {
      s.dead = true;
      Answer(p, tl::unexpected(sent.error()));
      return;
    }
    s.query = std::move(p);
    Watch(s);
  }

  static void Run(const AsyncTransaction::Done& done, Result<Rows> r, Tx& tx) {
    if (!done) return;
    try {
      done(std::move(r), tx);
    } catch (...) {  // as in Answer
    }
  }

  void Add(std::unique_ptr<Connection> conn) {
    auto slot = std::make_unique<Slot>();
    slot->conn = std::move(conn);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = slot.get();
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, slot->conn->Socket(), &ev) != 0) return;
    slot->events = EPOLLIN;
    slots.push_back(std::move(slot));
  }

  void Watch(Slot& s) {
    const std::uint32_t want = EPOLLIN | (s.query && s.conn->WantsWrite() ? EPOLLOUT : 0u);
    if (want == s.events) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.ptr = &s;
    if (::epoll_ctl(epoll, EPOLL_CTL_MOD, s.conn->Socket(), &ev) == 0) s.events = want;
  }

  void Forget(Slot& s) { ::epoll_ctl(epoll, EPOLL_CTL_DEL, s.conn->Socket(), nullptr); }

  // `s` (idle) is closed at the next Dispatch.
  void Discard(Slot& s) { s.dead = true; }

  int Busy() const {
    return static_cast<int>(std::count_if(slots.begin(), slots.end(), [](const auto& s) {
      return s->query.has_value() || s->tx != nullptr;
    }));
  }

  void Publish() {
    open_count.store(static_cast<int>(slots.size()) + opening);
    busy_count.store(Busy());
    waiting_count.store(waiting.size());
    cancelled_total.store(cancelled);
    discarded_total.store(discarded);
  }

  void Close() {
    for (auto& s : slots) {
      if (s->query) {
        Pending p = std::move(*s->query);
        s->query.reset();
        Answer(p, Unavailable("the PostgreSQL pool shut down before the answer"));
      }
      if (s->tx) {  // what its last callback gave is refused; nothing is committed
        s->tx->closed = true;
        for (Step& step : s->tx->given) {
          Run(step.done, Unavailable("the PostgreSQL pool shut down before the answer"), *s->tx);
        }
        s->tx.reset();
      }
      Forget(*s);
    }
    slots.clear();
    Publish();
  }

  const AsyncPoolOptions options;
  int epoll = -1;
  int wake = -1;

  std::mutex mu;
  std::deque<Pending> inbox;                                // guarded by mu
  std::vector<Result<std::unique_ptr<Connection>>> opened;  // guarded by mu
  bool stopping = false;                                    // guarded by mu
  Clock::time_point stop_at;                                // guarded by mu until stop_seen

  // The reactor thread's own.
  std::vector<std::unique_ptr<Slot>> slots;
  std::deque<Pending> waiting;
  int opening = 0;
  bool stop_seen = false;
  std::int64_t cancelled = 0;
  std::int64_t discarded = 0;

  std::atomic<int> open_count{0};
  std::atomic<int> busy_count{0};
  std::atomic<std::size_t> waiting_count{0};
  std::atomic<std::int64_t> cancelled_total{0};
  std::atomic<std::int64_t> discarded_total{0};

  std::unique_ptr<SerialWorker> connects = std::make_unique<SerialWorker>();
  std::unique_ptr<SerialWorker> cancels = std::make_unique<SerialWorker>();
  std::thread thread;
};

AsyncPool::AsyncPool(std::unique_ptr<Reactor> reactor) : reactor_(std::move(reactor)) {}

AsyncPool::~AsyncPool() { Shutdown(); }

Result<std::unique_ptr<AsyncPool>> AsyncPool::Create(AsyncPoolOptions options) {
  if (options.max_size < 1) {
    return InvalidArgument("DATABASE_MAX_OPEN_CONNS", "must be at least 1");
  }
  if (auto ok = ValidateUrl(options.connect.url); !ok) return tl::unexpected(ok.error());
  auto reactor = std::make_unique<Reactor>(std::move(options));
  if (auto ok = reactor->Init(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<AsyncPool>(new AsyncPool(std::move(reactor)));
}

void AsyncPool::Query(std::string sql, std::vector<Param> params, Clock::time_point deadline,
                      QueryDone done) {
  reactor_->Submit({std::move(sql), std::move(params), deadline, std::move(done)});
}

void AsyncPool::Transaction(Clock::time_point deadline, TransactionStart start) {
  reactor_->Submit({"", {}, deadline, nullptr, std::move(start)});
}

void AsyncPool::Shutdown(std::chrono::milliseconds grace) { reactor_->Stop(grace); }

AsyncPoolStats AsyncPool::Stats() const {
  const Reactor& r = *reactor_;
  return {r.open_count.load(), r.busy_count.load(), r.waiting_count.load(),
          r.cancelled_total.load(), r.discarded_total.load()};
}

}  // namespace giia::pg

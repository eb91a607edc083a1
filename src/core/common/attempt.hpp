#pragma once
// An answer now, or the rest of the work, which may wait.
//
// A server first runs a call on a thread that must not wait (gRPC's own
// callback thread). Code that can answer from memory returns its answer;
// code that needs I/O returns Later(rest): the rest of the work, holding what
// was computed so far, for the server to run on a thread that may wait. A
// miss therefore goes on from where it stopped: nothing runs twice, and the
// memory part may record what it decided (audit, counters) as it goes.
//
//   Attempt<Result<Decision>> a = authorizer.Admit(caller, needs, req);
//   if (a.answered()) ...           // no I/O happened
//   Result<Decision> d = std::move(a).Finish();  // runs the rest, if any
//
// Finish() on a thread that may wait: it runs the rest there. Then() chains
// the next step (a function of the answer, returning a value or another
// Attempt) onto an answer or onto the rest.
//
// Work whose I/O completes by itself (a statement on the asynchronous
// PostgreSQL pool) is Async(start): start(deliver) begins it and deliver
// gets what it came to, once, on the thread the I/O completes on: the
// answer, or the work that remains (a rest that may wait, more asynchronous
// work), so an asynchronous step can hand a rare case to a thread that may
// wait. Into(deliver, post) hands any Attempt's answer to `deliver`: at
// once, when the asynchronous work completes, or after running a rest on a
// thread `post` gives it; a server calls it and so never waits itself.

#include <concepts>
#include <functional>
#include <future>
#include <optional>
#include <type_traits>
#include <utility>

namespace giia {

template <typename A>
class [[nodiscard]] Attempt;

namespace detail {
template <typename R>
struct AttemptOf {
  using type = R;
  static constexpr bool kIsAttempt = false;
};
template <typename A>
struct AttemptOf<Attempt<A>> {
  using type = A;
  static constexpr bool kIsAttempt = true;
};
}  // namespace detail

template <typename A>
class [[nodiscard]] Attempt {
 public:
  using Rest = std::function<A()>;
  // What asynchronous work came to: an answer, or the work that remains.
  using Deliver = std::function<void(Attempt)>;
  using Start = std::function<void(Deliver)>;
  // Runs a job on a thread that may wait (a server's handler pool).
  using Post = std::function<void(std::function<void()>)>;

  // An answer: anything an A is made from (a Result, an error, a value).
  // (The requires-clause keeps it from hiding the copy and move constructors,
  // which clang-tidy 14 does not see; implicit on purpose.)
  template <typename U>
  requires(!std::same_as<std::remove_cvref_t<U>, Attempt> && std::constructible_from<A, U&&>)
      Attempt(U&& answer)  // NOLINT(bugprone-forwarding-reference-overload)
      : answer_(std::in_place, std::forward<U>(answer)) {}

  // The work that remains, to run where waiting is allowed.
  static Attempt Later(Rest rest) {
    Attempt a;
    a.rest_ = std::move(rest);
    return a;
  }

  // Work that answers by itself, later: `start(deliver)` begins it and
  // deliver(answer or remaining work) is called exactly once, from any
  // thread.
  static Attempt Async(Start start) {
    Attempt a;
    a.start_ = std::move(start);
    return a;
  }

  bool answered() const { return answer_.has_value(); }
  bool asynchronous() const { return static_cast<bool>(start_); }

  // The answer, running the rest first when there is one, or waiting for
  // the asynchronous work (and then whatever remains of it, here).
  A Finish() && {
    if (answer_) return std::move(*answer_);
    if (rest_) return rest_();
    std::promise<Attempt> promise;
    auto future = promise.get_future();
    start_([&promise](Attempt a) { promise.set_value(std::move(a)); });
    return future.get().Finish();
  }

  // Hands the answer to `deliver` (see above), never waiting on this
  // thread: a rest runs in a job given to `post`, and `deliver` is then
  // called there. A rest that throws leaves `deliver` uncalled (destroyed
  // with the job).
  void Into(std::function<void(A)> deliver, Post post) && {
    if (answer_) return deliver(std::move(*answer_));
    if (rest_) {
      return post([rest = std::move(rest_), deliver = std::move(deliver)] { deliver(rest()); });
    }
    start_([deliver = std::move(deliver), post = std::move(post)](Attempt next) mutable {
      std::move(next).Into(std::move(deliver), std::move(post));
    });
  }

  // The next step on the answer: `f(A)` returns a value B or an Attempt<B>.
  // Runs at once on an answer; otherwise after the rest, where it runs, or
  // where the asynchronous work completes (so it must not wait there; an
  // Attempt it returns is handed on as the work that remains).
  template <typename F>
  auto Then(F f) && -> Attempt<typename detail::AttemptOf<std::invoke_result_t<F&, A>>::type> {
    using R = std::invoke_result_t<F&, A>;
    using B = typename detail::AttemptOf<R>::type;
    if (answer_) return Attempt<B>(f(std::move(*answer_)));
    if (start_) {
      return Attempt<B>::Async([start = std::move(start_),
                                f = std::move(f)](typename Attempt<B>::Deliver deliver) mutable {
        start([f = std::move(f), deliver = std::move(deliver)](Attempt a) mutable {
          deliver(std::move(a).Then(std::move(f)));
        });
      });
    }
    return Attempt<B>::Later([rest = std::move(rest_), f = std::move(f)]() mutable -> B {
      if constexpr (detail::AttemptOf<R>::kIsAttempt) {
        return f(rest()).Finish();
      } else {
        return f(rest());
      }
    });
  }

 private:
  Attempt() = default;

  std::optional<A> answer_;
  Rest rest_;
  Start start_;
};

}  // namespace giia

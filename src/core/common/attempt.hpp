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
// gets the answer, once, on the thread the I/O completes on. Into(deliver)
// hands any Attempt's answer to `deliver`: at once, after running the rest
// on this thread, or when the asynchronous work completes; a server calls
// it for an answer or Async work, and posts only a rest to its pool.

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
  using Deliver = std::function<void(A)>;
  using Start = std::function<void(Deliver)>;

  // An answer: anything an A is made from (a Result, an error, a value).
  template <typename U>
  requires(!std::same_as<std::remove_cvref_t<U>, Attempt> && std::constructible_from<A, U&&>)
      Attempt(U&& answer)
      : answer_(std::in_place, std::forward<U>(answer)) {}  // NOLINT: implicit

  // The work that remains, to run where waiting is allowed.
  static Attempt Later(Rest rest) {
    Attempt a;
    a.rest_ = std::move(rest);
    return a;
  }

  // Work that answers by itself, later: `start(deliver)` begins it and
  // deliver(answer) is called exactly once, from any thread.
  static Attempt Async(Start start) {
    Attempt a;
    a.start_ = std::move(start);
    return a;
  }

  bool answered() const { return answer_.has_value(); }
  bool asynchronous() const { return static_cast<bool>(start_); }

  // The answer, running the rest first when there is one, or waiting for
  // the asynchronous work.
  A Finish() && {
    if (answer_) return std::move(*answer_);
    if (rest_) return rest_();
    std::promise<A> promise;
    auto future = promise.get_future();
    start_([&promise](A a) { promise.set_value(std::move(a)); });
    return future.get();
  }

  // Hands the answer to `deliver` (see above).
  void Into(Deliver deliver) && {
    if (start_) return start_(std::move(deliver));
    deliver(std::move(*this).Finish());
  }

  // The next step on the answer: `f(A)` returns a value B or an Attempt<B>.
  // Runs at once on an answer; otherwise after the rest, where it runs.
  template <typename F>
  auto Then(F f) && {
    using R = std::invoke_result_t<F&, A>;
    using B = typename detail::AttemptOf<R>::type;
    if (answer_) return Attempt<B>(f(std::move(*answer_)));
    if (start_) {
      return Attempt<B>::Async([start = std::move(start_),
                                f = std::move(f)](typename Attempt<B>::Deliver deliver) mutable {
        start([f = std::move(f), deliver = std::move(deliver)](A a) mutable {
          if constexpr (detail::AttemptOf<R>::kIsAttempt) {
            f(std::move(a)).Into(std::move(deliver));
          } else {
            deliver(f(std::move(a)));
          }
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

#pragma once
// Answering a call without waiting, when everything it needs is in memory.
//
// A server may first run a call on a thread that must not wait (gRPC's own
// callback thread), inside a MemoryOnlyScope. Code about to wait for I/O calls
// ThrowIfMemoryOnly() first; the WouldBlock it throws unwinds the attempt, and
// the server runs the call again on a thread that may wait. So a call may be
// tried this way only if nothing it does before its first possible wait has an
// effect outside the call (reads, cache lookups, counters: yes; writes: no).
//
// WouldBlock is not a std::exception on purpose: the generic exception
// barriers that turn a std::exception into INTERNAL must let it through.

namespace giia {

struct WouldBlock {};

class MemoryOnlyScope {
 public:
  MemoryOnlyScope() : previous_(active_) { active_ = true; }
  ~MemoryOnlyScope() { active_ = previous_; }
  MemoryOnlyScope(const MemoryOnlyScope&) = delete;
  MemoryOnlyScope& operator=(const MemoryOnlyScope&) = delete;

  static bool Active() { return active_; }

 private:
  static inline thread_local bool active_ = false;
  bool previous_;
};

// Throws WouldBlock inside a MemoryOnlyScope; call it right before I/O.
inline void ThrowIfMemoryOnly() {
  if (MemoryOnlyScope::Active()) throw WouldBlock{};
}

}  // namespace giia

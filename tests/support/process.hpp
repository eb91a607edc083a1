#pragma once
// Runs a program (the giia binary, nats-server) as a child process with a
// chosen environment, and collects its exit code, stdout and stderr. No shell
// is involved.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace giia::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: killed at the deadline
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

using ProcessEnv = std::map<std::string, std::string>;

class Process {
 public:
  // Starts GIIA_BINARY with `args`. The child sees only `env` plus PATH and
  // the sanitizer options of this process.
  Process(const std::vector<std::string>& args, const ProcessEnv& env,
          const std::string& stdin_text = "")
      : Process(GIIA_BINARY, args, env, stdin_text) {}
  // Starts `program` (a path) with `args`, likewise.
  Process(const std::string& program, const std::vector<std::string>& args, const ProcessEnv& env,
          const std::string& stdin_text);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits until the child exits or `timeout` passes (then kills it).
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends `signal` (SIGTERM by default) and waits for the exit.
  ProcessResult Stop(int signal = 15);
  // Ends a server the test is done with: SIGKILL; with GIIA_TEST_STOP_GRACEFULLY
  // set (the coverage run: a killed process writes no coverage data), SIGTERM
  // and up to a minute for its drain (Wait), then SIGKILL.
  ProcessResult End();
  int pid() const { return pid_; }
  // Whether the child has closed its output: it exited (or is exiting).
  bool Ended();

 private:
  void Drain();  // the reader thread: both pipes into out_/err_ until end of file
  void StopReading();

  int pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::mutex mu_;
  std::condition_variable done_;
  std::string out_;       // guarded by mu_
  std::string err_;       // guarded by mu_
  bool drained_ = false;  // guarded by mu_: both pipes reached end of file
  std::thread reader_;
  std::chrono::steady_clock::time_point started_;
};

inline ProcessResult RunGiia(const std::vector<std::string>& args, const ProcessEnv& env = {},
                             const std::string& stdin_text = "") {
  return Process(args, env, stdin_text).Wait();
}

}  // namespace giia::testing

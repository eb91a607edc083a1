#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace giia::testing {

Process::Process(const std::string& program, const std::vector<std::string>& args,
                 const ProcessEnv& env, const std::string& stdin_text)
    : started_(std::chrono::steady_clock::now()) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  std::vector<std::string> argv_store = {program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  ProcessEnv full = env;
  for (const char* keep : {"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* v = std::getenv(keep); v != nullptr && full.count(keep) == 0) full[keep] = v;
  }
  std::vector<std::string> env_store;
  for (const auto& [k, v] : full) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  // Small inputs fit in the pipe buffer; the child reads them when it wants.
  if (!stdin_text.empty()) {
    [[maybe_unused]] ssize_t n = write(in_pipe[1], stdin_text.data(), stdin_text.size());
  }
  close(in_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  // Drained from the start: a child that writes more than a pipe holds
  // (a server's access log under load) must never block on its output.
  reader_ = std::thread([this] { Drain(); });
}

void Process::Drain() {
  bool out_open = true, err_open = true;
  char buf[4096];
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? out_fd_ : -1, POLLIN, 0},
                     {err_open ? err_fd_ : -1, POLLIN, 0},
                     {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) <= 0) continue;
    if (fds[2].revents != 0) break;  // StopReading: the output is not wanted any more
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      std::lock_guard lock(mu_);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  std::lock_guard lock(mu_);
  drained_ = true;
  done_.notify_all();
}

Process::~Process() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  StopReading();
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

// A grandchild that inherited the pipes may keep them open after the child
// died: the reader is told to stop instead of waiting for end of file.
void Process::StopReading() {
  if (!reader_.joinable()) return;
  [[maybe_unused]] ssize_t n = write(stop_pipe_[1], "x", 1);
  reader_.join();
}

bool Process::Ended() {
  std::lock_guard lock(mu_);
  return drained_;
}

ProcessResult Process::End() {
  const char* graceful = std::getenv("GIIA_TEST_STOP_GRACEFULLY");
  if (graceful == nullptr || *graceful == '\0') return Stop(SIGKILL);
  return Stop(SIGTERM);
}

ProcessResult Process::Stop(int signal) {
  if (pid_ > 0) kill(pid_, signal);
  return Wait();
}

ProcessResult Process::Wait(std::chrono::milliseconds timeout) {
  ProcessResult result;
  if (pid_ <= 0) {  // waited for already
    std::lock_guard lock(mu_);
    result.out = out_;
    result.err = err_;
    return result;
  }
  bool closed = false;
  {
    std::unique_lock lock(mu_);
    // Both pipes at end of file: the child (and anything that inherited
    // its output) is gone.
    closed = done_.wait_for(lock, timeout, [&] { return drained_; });
  }
  int status = 0;
  if (!closed) {  // deadline passed
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    result.exit_code = -1;
  } else {
    waitpid(pid_, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
  StopReading();
  {
    std::lock_guard lock(mu_);
    result.out = out_;
    result.err = err_;
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  return result;
}

}  // namespace giia::testing

#include "support/nats_server.hpp"

#include <poll.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace giia::testing {
std::string FindNatsServer() {
  for (const char* path : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (access(path, X_OK) == 0) return path;
  }
  FAIL("nats-server is not installed (Debian package nats-server)");
  return "";
}

NatsServer::NatsServer() {
  char tmpl[] = "/tmp/giia-nats-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  Start();
}

NatsServer::~NatsServer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void NatsServer::Start() {
  const std::string ports_dir = dir_ + "/ports";
  std::filesystem::remove_all(ports_dir);
  std::filesystem::create_directories(ports_dir);
  process_ = std::make_unique<Process>(
      FindNatsServer(),
      std::vector<std::string>{"-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd",
                               dir_ + "/store", "--ports_file_dir", ports_dir, "-l",
                               dir_ + "/nats.log"},
      ProcessEnv{}, "");
  // The server writes <pid>.ports once it listens: {"nats":["nats://127.0.0.1:N"],...}
  const std::string ports_file =
      ports_dir + "/nats-server_" + std::to_string(process_->pid()) + ".ports";
  // Woken by inotify when a file in the ports directory is written, not by a timer.
  const int watch = inotify_init1(IN_CLOEXEC);
  REQUIRE(watch >= 0);
  inotify_add_watch(watch, ports_dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string text;
  for (;;) {
    std::ifstream in(ports_file);
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
    if (text.find("nats://") != std::string::npos) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      close(watch);
      FAIL("nats-server did not start");
    }
    pollfd pfd{watch, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) > 0) {
      char events[4096];
      [[maybe_unused]] ssize_t n = read(watch, events, sizeof(events));
    }
  }
  close(watch);
  const std::size_t at = text.find("nats://");
  url_ = text.substr(at, text.find('"', at) - at);
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
}

void NatsServer::Stop() {
  if (process_) process_->Stop();
  process_.reset();
}

}  // namespace giia::testing

#include <nats/nats.h>

namespace giia::testing {
namespace {

struct JsHandle {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  explicit JsHandle(const std::string& url) {
    REQUIRE(natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK);
    REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  }
  ~JsHandle() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
};

}  // namespace

std::vector<StoredMessage> ReadStream(const std::string& url, const std::string& stream) {
  auto read = TryReadStream(url, stream);
  REQUIRE(read);
  return *read;
}

std::optional<std::vector<StoredMessage>> TryReadStream(const std::string& url,
                                                        const std::string& stream) {
  JsHandle h(url);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetStreamInfo(&si, h.js, stream.c_str(), nullptr, &jerr) != NATS_OK) return std::nullopt;
  const std::uint64_t first = si->State.FirstSeq;
  const std::uint64_t last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  std::vector<StoredMessage> out;
  for (std::uint64_t seq = first; seq != 0 && seq <= last; ++seq) {
    natsMsg* msg = nullptr;
    if (js_GetMsg(&msg, h.js, stream.c_str(), seq, nullptr, &jerr) != NATS_OK) {
      if (jerr == JSNoMessageFoundErr) continue;  // deleted
      return std::nullopt;                        // the stream did not answer
    }
    StoredMessage m;
    m.sequence = seq;
    m.subject = natsMsg_GetSubject(msg);
    m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    const char** keys = nullptr;
    int count = 0;
    if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
      for (int i = 0; i < count; ++i) {
        const char* value = nullptr;
        if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK) m.headers[keys[i]] = value;
      }
      free(keys);
    }
    natsMsg_Destroy(msg);
    out.push_back(std::move(m));
  }
  return out;
}

std::int64_t StreamMaxAgeSeconds(const std::string& url, const std::string& stream) {
  JsHandle h(url);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetStreamInfo(&si, h.js, stream.c_str(), nullptr, &jerr) != NATS_OK) return -1;
  const std::int64_t age = si->Config->MaxAge / 1'000'000'000;
  jsStreamInfo_Destroy(si);
  return age;
}

}  // namespace giia::testing

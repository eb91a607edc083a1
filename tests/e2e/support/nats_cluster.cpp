#include "e2e/support/nats_cluster.hpp"

#include <httplib.h>
#include <nats/nats.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/nats/jetstream.hpp"
#include "support/nats_server.hpp"
#include "support/net.hpp"  // FreePort
#include "support/poll.hpp"

namespace giia::testing {
namespace {

// A stream's info from the cluster at `urls`; null when it cannot be had.
std::unique_ptr<jsStreamInfo, void (*)(jsStreamInfo*)> StreamInfo(const std::string& urls,
                                                                  const std::string& stream) {
  std::unique_ptr<jsStreamInfo, void (*)(jsStreamInfo*)> none(nullptr, jsStreamInfo_Destroy);
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  auto list = nats::ParseServers(urls);
  REQUIRE(list);
  std::vector<const char*> servers;
  for (const std::string& s : *list) servers.push_back(s.c_str());
  natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  natsOptions_SetTimeout(opts, 1000);
  natsConnection* nc = nullptr;
  const natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return none;
  jsOptions jso;
  jsOptions_Init(&jso);
  jso.Wait = 1000;
  jsCtx* js = nullptr;
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (natsConnection_JetStream(&js, nc, &jso) == NATS_OK) {
    js_GetStreamInfo(&info, js, stream.c_str(), nullptr, &jerr);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return {info, jsStreamInfo_Destroy};
}

}  // namespace

NatsCluster::NatsCluster(int nodes) {
  char tmpl[] = "/tmp/giia-nats-cluster-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  nodes_.resize(static_cast<std::size_t>(nodes));
  for (int i = 0; i < nodes; ++i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    n.name = "n" + std::to_string(i);
    n.dir = dir_ + "/" + n.name;
    n.client_port = FreePort();
    n.route_port = FreePort();
    n.monitor_port = FreePort();
    n.url = "nats://127.0.0.1:" + std::to_string(n.client_port);
    std::filesystem::create_directories(n.dir + "/store");
  }
  for (int i = 0; i < nodes; ++i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    std::string routes;
    for (const Node& other : nodes_) {
      if (&other == &n) continue;
      routes += (routes.empty() ? "" : ", ") + std::string("nats-route://127.0.0.1:") +
                std::to_string(other.route_port);
    }
    std::ofstream(n.dir + "/nats.conf")
        << "server_name: " << n.name << "\n"
        << "listen: 127.0.0.1:" << n.client_port << "\n"
        << "http: 127.0.0.1:" << n.monitor_port << "\n"
        << "jetstream { store_dir: \"" << n.dir << "/store\" }\n"
        << "cluster {\n  name: giia\n  listen: 127.0.0.1:" << n.route_port << "\n"
        << "  routes: [" << routes << "]\n}\n";
  }
  for (int i = 0; i < nodes; ++i) Start(i);
  for (int i = 0; i < nodes; ++i) WaitForMetaLeader(i);
}

NatsCluster::~NatsCluster() {
  for (Node& n : nodes_) {
    if (n.process) n.process->Stop();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const Node& n : nodes_) out += (out.empty() ? "" : ",") + n.url;
  return out;
}

std::string NatsCluster::running_urls() const {
  std::string out;
  for (const Node& n : nodes_) {
    if (n.process) out += (out.empty() ? "" : ",") + n.url;
  }
  return out;
}

int NatsCluster::IndexOf(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[static_cast<std::size_t>(i)].name == name) return i;
  }
  return -1;
}

void NatsCluster::Start(int node) {
  Node& n = nodes_[static_cast<std::size_t>(node)];
  REQUIRE_FALSE(n.process);
  n.process = std::make_unique<Process>(
      FindNatsServer(), std::vector<std::string>{"-c", n.dir + "/nats.conf", "-l", n.dir + "/log"},
      ProcessEnv{}, "");
}

void NatsCluster::Kill(int node) {
  Node& n = nodes_[static_cast<std::size_t>(node)];
  REQUIRE(n.process);
  n.process->Stop(SIGKILL);
  n.process.reset();
}

// A node is of use once its monitoring says JetStream has a meta leader.
void NatsCluster::WaitForMetaLeader(int node) const {
  const Node& n = nodes_[static_cast<std::size_t>(node)];
  httplib::Client client("127.0.0.1", n.monitor_port);
  client.set_connection_timeout(std::chrono::seconds(1));
  const bool ready = Eventually(
      [&] {
        auto res = client.Get("/jsz");
        if (!res || res->status != 200) return false;
        auto body = nlohmann::json::parse(res->body, nullptr, false);
        return body.is_object() && body.contains("meta_cluster") &&
               !body["meta_cluster"].value("leader", "").empty();
      },
      std::chrono::seconds(30), std::chrono::milliseconds(50));
  if (!ready) {
    std::ifstream log(n.dir + "/log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    FAIL("JetStream cluster node " << n.name << " has no meta leader; its log:\n" << text);
  }
}

std::string NatsCluster::StreamLeader(const std::string& stream) const {
  auto info = StreamInfo(running_urls(), stream);
  if (!info || info->Cluster == nullptr || info->Cluster->Leader == nullptr) return "";
  return info->Cluster->Leader;
}

int NatsCluster::StreamReplicas(const std::string& stream) const {
  auto info = StreamInfo(running_urls(), stream);
  if (!info || info->Config == nullptr) return 0;
  return static_cast<int>(info->Config->Replicas);
}

}  // namespace giia::testing

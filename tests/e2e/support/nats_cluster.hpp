#pragma once
// A JetStream cluster of nats-servers of the test's own: each node on free
// loopback ports (client, route, monitoring) with its own store, routed to
// every other. A node can be killed (SIGKILL, as a machine that dies) and
// started again on the same ports and store. Stopped when destroyed.

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace giia::testing {

class NatsCluster {
 public:
  // Starts `nodes` servers and waits until JetStream has a meta leader
  // that every node knows.
  explicit NatsCluster(int nodes = 3);
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // Every member's client URL, comma-separated (the form of NATS_URL).
  std::string urls() const;
  // The client URLs of the running members only.
  std::string running_urls() const;
  const std::string& url(int node) const { return nodes_[node].url; }
  const std::string& name(int node) const { return nodes_[node].name; }
  // The node whose server name is `name`; -1 when none.
  int IndexOf(const std::string& name) const;

  void Kill(int node);   // SIGKILL, no goodbye to the cluster
  void Start(int node);  // again, same ports and store
  bool running(int node) const { return nodes_[node].process != nullptr; }

  // The server name of `stream`'s leader, asked of a running member; "" when
  // the stream has no leader (or does not exist).
  std::string StreamLeader(const std::string& stream) const;
  // The stream's configured replicas; 0 when it does not exist.
  int StreamReplicas(const std::string& stream) const;

 private:
  struct Node {
    std::string name;
    std::string dir;
    int client_port = 0;
    int route_port = 0;
    int monitor_port = 0;
    std::string url;
    std::unique_ptr<Process> process;
  };
  void WaitForMetaLeader(int node) const;
  std::string dir_;
  std::vector<Node> nodes_;
};

}  // namespace giia::testing

#pragma once
// Prometheus metrics: counters, gauges and histograms with labels, and gauges
// or counters read from a callback at scrape time; rendered in the text
// exposition format (0.0.4). Thread-safe; metrics live as long as the registry.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace giia::server::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(double by = 1) { value_.fetch_add(by); }
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v); }
  void Add(double by) { value_.fetch_add(by); }
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Cumulative counts per bound (the last is +Inf), sum and count.
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; guarded by mu_
  double sum_ = 0;                     // guarded by mu_
  std::uint64_t count_ = 0;            // guarded by mu_
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> DefaultLatencyBuckets();

class Registry {
 public:
  // The same name and labels return the same metric. A name keeps the type
  // and help it was first registered with.
  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds, const Labels& labels = {});
  // Read at every scrape; `read` must be thread-safe and quick.
  void AddCallback(const std::string& name, const std::string& help, const char* type,
                   const Labels& labels, std::function<double()> read);

  // The text exposition of every metric, families in name order.
  std::string Render() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    std::string help;
    std::string type;  // counter, gauge, histogram
    std::vector<std::unique_ptr<Series>> series;
  };
  Series& Find(const std::string& name, const std::string& help, const char* type,
               const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
};

}  // namespace giia::server::metrics

#include "server/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace giia::server::metrics {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Format(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string LabelText(const Labels& labels, const std::string& extra_key = "",
                      const std::string& extra_value = "") {
  Labels all = labels;
  if (!extra_key.empty()) all.emplace_back(extra_key, extra_value);
  if (all.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < all.size(); ++i) {
    out += (i ? "," : "") + all[i].first + "=\"" + Escape(all[i].second) + "\"";
  }
  return out + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  std::lock_guard lock(mu_);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard lock(mu_);
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Series& Registry::Find(const std::string& name, const std::string& help, const char* type,
                                 const Labels& labels) {
  Family& family = families_[name];
  if (family.type.empty()) {
    family.type = type;
    family.help = help;
  }
  for (auto& s : family.series) {
    if (s->labels == labels) return *s;
  }
  family.series.push_back(std::make_unique<Series>());
  family.series.back()->labels = labels;
  return *family.series.back();
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = Find(name, help, "counter", labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = Find(name, help, "gauge", labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const std::vector<double>& bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = Find(name, help, "histogram", labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(bounds);
  return *s.histogram;
}

void Registry::AddCallback(const std::string& name, const std::string& help, const char* type,
                           const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mu_);
  Find(name, help, type, labels).read = std::move(read);
}

std::string Registry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& s : family.series) {
      if (s->histogram) {
        const auto snap = s->histogram->snapshot();
        for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
          const std::string le = i < snap.bounds.size() ? Format(snap.bounds[i]) : "+Inf";
          out += name + "_bucket" + LabelText(s->labels, "le", le) + " " +
                 std::to_string(snap.cumulative[i]) + "\n";
        }
        out += name + "_sum" + LabelText(s->labels) + " " + Format(snap.sum) + "\n";
        out += name + "_count" + LabelText(s->labels) + " " + std::to_string(snap.count) + "\n";
        continue;
      }
      const double v = s->read      ? s->read()
                       : s->counter ? s->counter->value()
                       : s->gauge   ? s->gauge->value()
                                    : 0;
      out += name + LabelText(s->labels) + " " + Format(v) + "\n";
    }
  }
  return out;
}

}  // namespace giia::server::metrics

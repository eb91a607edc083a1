#include "core/bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace giia::bench {
namespace {
constexpr std::uint64_t kSubBuckets = 1u << Histogram::kSubBucketBits;  // 128
}  // namespace

std::size_t Histogram::BucketOf(std::uint64_t nanos) {
  if (nanos < kExactBelow) return static_cast<std::size_t>(nanos);
  const int top = static_cast<int>(std::bit_width(nanos)) - 1;  // >= kSubBucketBits + 1
  const int shift = top - kSubBucketBits;                       // >= 1
  const std::uint64_t mantissa = nanos >> shift;                // [128, 256)
  return static_cast<std::size_t>(kExactBelow + (shift - 1) * kSubBuckets +
                                  (mantissa - kSubBuckets));
}

std::uint64_t Histogram::BucketLow(std::size_t bucket) {
  if (bucket < kExactBelow) return bucket;
  const std::uint64_t k = bucket - kExactBelow;
  const int shift = static_cast<int>(k / kSubBuckets) + 1;
  return (kSubBuckets + k % kSubBuckets) << shift;
}

std::uint64_t Histogram::BucketHigh(std::size_t bucket) {
  if (bucket < kExactBelow) return bucket;
  const int shift = static_cast<int>((bucket - kExactBelow) / kSubBuckets) + 1;
  return BucketLow(bucket) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::Record(std::uint64_t nanos) {
  ++counts_[BucketOf(nanos)];
  ++count_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  sum_ = sum_ > UINT64_MAX - nanos ? UINT64_MAX : sum_ + nanos;
}

void Histogram::Merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ = sum_ > UINT64_MAX - other.sum_ ? UINT64_MAX : sum_ + other.sum_;
}

std::uint64_t Histogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  if (percent <= 0) return min_;
  if (percent >= 100) return max_;
  // The smallest rank r (1-based) with r >= percent% of the count.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t low = BucketLow(i);
      const std::uint64_t mid = low + (BucketHigh(i) - low) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

std::vector<Histogram::Bin> Histogram::LinearBins(int n) const {
  std::vector<Bin> bins;
  if (count_ == 0 || n < 1) return bins;
  if (max_ == min_) return {Bin{max_, count_}};
  const double width = static_cast<double>(max_ - min_) / n;
  for (int i = 1; i <= n; ++i) {
    bins.push_back(Bin{i == n ? max_ : min_ + static_cast<std::uint64_t>(width * i), 0});
  }
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (counts_[i] == 0) continue;
    const std::uint64_t low = BucketLow(i);
    const std::uint64_t value = std::clamp(low + (BucketHigh(i) - low) / 2, min_, max_);
    auto bin = std::lower_bound(bins.begin(), bins.end(), value,
                                [](const Bin& b, std::uint64_t v) { return b.upper_nanos < v; });
    bin->count += counts_[i];
  }
  return bins;
}

}  // namespace giia::bench

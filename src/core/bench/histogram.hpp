#pragma once
// A log-linear (HDR-style) latency histogram in nanoseconds: values below 256
// are counted exactly; above, every power of two is split into 128 equal
// buckets, so a bucket is at most 1/128 of its values wide and a percentile
// read back (the bucket's midpoint) is within 0.4% of a value recorded there
// (kMaxRelativeError, below 1%). Fixed size (about 58 KiB), no allocation
// while recording. Min, max and the sum are exact.
//
// Not thread-safe: one per worker, merged at the end.

#include <array>
#include <cstdint>
#include <vector>

namespace giia::bench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 buckets per octave
  static constexpr std::uint64_t kExactBelow = 1u << (kSubBucketBits + 1);  // 256
  static constexpr std::size_t kBucketCount =
      kExactBelow + std::size_t{63 - kSubBucketBits} * (std::size_t{1} << kSubBucketBits);
  // |reported - recorded| / recorded, at most, for any percentile.
  static constexpr double kMaxRelativeError = 1.0 / (1 << (kSubBucketBits + 1));

  void Record(std::uint64_t nanos);
  void Merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const {
    return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  // The value below which `percent` (0..100) of the recorded values fall:
  // the midpoint of the bucket holding that rank, clamped to [min, max].
  // 0 when nothing was recorded.
  std::uint64_t Percentile(double percent) const;

  // `n` equal-width bins from min to max (ghz's response-time histogram):
  // each bin's upper bound and how many values fall at or below it (and above
  // the previous bound). Empty when nothing was recorded.
  struct Bin {
    std::uint64_t upper_nanos = 0;
    std::uint64_t count = 0;
  };
  std::vector<Bin> LinearBins(int n) const;

  // Bucket arithmetic, public for the tests.
  static std::size_t BucketOf(std::uint64_t nanos);
  static std::uint64_t BucketLow(std::size_t bucket);
  static std::uint64_t BucketHigh(std::size_t bucket);  // inclusive

 private:
  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;  // saturates rather than wraps
};

}  // namespace giia::bench

// Rows per day, counted in the scan workers and merged in file order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>

#include "core/dates.h"

namespace sluice {

// Rows per day of a date column, for file QC and for profiles. Files are usually sorted by date: a
// one-entry cache in front of the map makes the common case a compare and an increment. Past `max_days` distinct days (a
// column of birth dates, say) rows on further new days are only counted, to keep memory bounded.
class DayCounts {
 public:
  static constexpr std::size_t kMaxDays = 50000;  // 137 years of days

  DayCounts() = default;
  explicit DayCounts(std::size_t max_days) : max_days_(max_days) {}
  void add(DayNumber day) {
    if (day == cached_day_) {
      ++cached_count_;
      return;
    }
    flush();
    cached_day_ = day;
    cached_count_ = 1;
  }
  void merge(DayCounts& other);  // adds other's counts and clears it
  void clear();
  std::map<DayNumber, std::uint64_t> sorted() const;
  std::uint64_t dropped() const;    // rows on days past max_days
  bool overflowed() const { return dropped_ != 0; }  // cheap: seen once the next day starts

 private:
  void flush();
  std::size_t max_days_ = kMaxDays;
  DayNumber cached_day_ = INT32_MIN;
  std::uint64_t cached_count_ = 0;
  std::uint64_t dropped_ = 0;
  std::unordered_map<DayNumber, std::uint64_t> counts_;
};

}  // namespace sluice

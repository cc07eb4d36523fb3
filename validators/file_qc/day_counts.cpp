#include "validators/file_qc/day_counts.h"

namespace sluice {

void DayCounts::flush() {
  if (!cached_count_) return;
  if (auto it = counts_.find(cached_day_); it != counts_.end()) it->second += cached_count_;
  else if (counts_.size() < max_days_) counts_.emplace(cached_day_, cached_count_);
  else dropped_ += cached_count_;
  cached_count_ = 0;
}

void DayCounts::merge(DayCounts& other) {
  flush();
  other.flush();
  for (const auto& [day, n] : other.counts_) {
    if (auto it = counts_.find(day); it != counts_.end()) it->second += n;
    else if (counts_.size() < max_days_) counts_.emplace(day, n);
    else dropped_ += n;
  }
  dropped_ += other.dropped_;
  other.clear();
}

void DayCounts::clear() {
  counts_.clear();
  cached_day_ = INT32_MIN;
  cached_count_ = 0;
  dropped_ = 0;
}

std::map<DayNumber, std::uint64_t> DayCounts::sorted() const {
  std::map<DayNumber, std::uint64_t> out(counts_.begin(), counts_.end());
  if (cached_count_ && (counts_.count(cached_day_) || counts_.size() < max_days_)) out[cached_day_] += cached_count_;
  return out;
}

std::uint64_t DayCounts::dropped() const {
  const bool pending_dropped = cached_count_ && !counts_.count(cached_day_) && counts_.size() >= max_days_;
  return dropped_ + (pending_dropped ? cached_count_ : 0);
}

}  // namespace sluice

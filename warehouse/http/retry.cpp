#include "warehouse/http/retry.h"

#include <algorithm>
#include <charconv>
#include <random>
#include <string>
#include <thread>

namespace sluice::http {

std::chrono::milliseconds RetryPolicy::backoff(int attempt,
                                               std::optional<std::chrono::seconds> retry_after) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int shift = std::clamp(attempt - 1, 0, 30);
  const long long cap = std::min<long long>(max_delay.count(),
                                            base_delay.count() * (1LL << std::min(shift, 20)));
  std::uniform_int_distribution<long long> jitter(0, std::max<long long>(cap / 2, 0));
  long long wait = cap - cap / 2 + jitter(rng);
  if (retry_after) {
    const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after).count();
    wait = std::max(wait, std::min<long long>(ms, max_delay.count()));
  }
  return std::chrono::milliseconds(wait);
}

bool sleep_unless_cancelled(std::chrono::milliseconds d, const Cancellation* cancel) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (true) {
    if (cancel && cancel->cancelled()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - now, std::chrono::milliseconds(50)));
  }
}

std::optional<std::chrono::seconds> parse_retry_after(const std::string* header) {
  if (!header) return std::nullopt;
  long long s = 0;
  const auto [ptr, ec] = std::from_chars(header->data(), header->data() + header->size(), s);
  if (ec != std::errc() || ptr != header->data() + header->size() || s < 0) return std::nullopt;
  return std::chrono::seconds(s);
}

}  // namespace sluice::http

// Retrying with jittered exponential backoff, shared by the S3 and SQL API clients. "Equal
// jitter": attempt n waits between half and all of min(max_delay, base_delay * 2^(n-1)), so waits
// grow for certain while concurrent clients (parallel part uploads) spread out.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/cancellation.h"

namespace sluice::http {

struct RetryPolicy {
  int max_attempts = 8;  // including the first
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{20'000};

  // How long to wait after failed attempt `attempt` (1-based) before the next one. A server's
  // Retry-After (seconds) raises the wait, capped at max_delay.
  std::chrono::milliseconds backoff(int attempt,
                                    std::optional<std::chrono::seconds> retry_after = {}) const;
};

// Sleeps for `d` in short slices; returns false (early) when `cancel` is set.
bool sleep_unless_cancelled(std::chrono::milliseconds d, const Cancellation* cancel);

// Retry-After in seconds when the header holds a number ("120"); HTTP dates are ignored.
std::optional<std::chrono::seconds> parse_retry_after(const std::string* header);

}  // namespace sluice::http

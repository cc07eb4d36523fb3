// Cooperative cancellation: the signal handler or the menu sets it, long loops poll it.
#pragma once

#include <atomic>

namespace sluice {

class Cancellation {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace sluice

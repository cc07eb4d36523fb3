// Cooperative cancellation: the signal handler or the menu sets it, long loops poll it.
#pragma once

#include <atomic>

namespace sluice {

class Cancellation {
 public:
  Cancellation() = default;
  // Cancelled with `parent` too: one part of an operation can be stopped on its own (a file whose
  // load was refused) while Ctrl-C still stops everything.
  explicit Cancellation(const Cancellation* parent) : parent_(parent) {}
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const {
    return cancelled_.load(std::memory_order_relaxed) || (parent_ && parent_->cancelled());
  }

 private:
  std::atomic<bool> cancelled_{false};
  const Cancellation* parent_ = nullptr;
};

}  // namespace sluice

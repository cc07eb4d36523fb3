#include "loaders/postgres/copy_in_sink.h"

namespace sluice {

CopyInSink::CopyInSink(pg::Connection& conn, std::size_t depth)
    : conn_(conn), depth_(depth < 1 ? 1 : depth), sender_([this] { send_loop(); }) {}

CopyInSink::~CopyInSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  sender_.join();
}

void CopyInSink::send_loop() {
  for (;;) {
    std::string batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      batch = std::move(queue_.front());
      queue_.pop_front();
      sending_ = true;
    }
    try {
      conn_.copy_put(batch.data(), batch.size());
    } catch (...) {
      std::lock_guard lock(mutex_);
      failure_ = std::current_exception();
      stopping_ = true;
      queue_.clear();
    }
    {
      std::lock_guard lock(mutex_);
      sending_ = false;
      batch.clear();
      spare_.push_back(std::move(batch));
    }
    changed_.notify_all();
  }
}

void CopyInSink::rethrow_failure() {
  if (failure_) std::rethrow_exception(failure_);
}

void CopyInSink::consume(const ScannedChunk& chunk) {
  if (chunk.copy_size == 0) return;
  std::string batch;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return failure_ || queue_.size() < depth_; });
    rethrow_failure();
    if (!spare_.empty()) {
      batch = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  batch.assign(chunk.copy_data, chunk.copy_size);
  {
    std::lock_guard lock(mutex_);
    rethrow_failure();
    queue_.push_back(std::move(batch));
  }
  bytes_ += chunk.copy_size;
  changed_.notify_all();
}

void CopyInSink::finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || (queue_.empty() && !sending_); });
  rethrow_failure();
}

}  // namespace sluice

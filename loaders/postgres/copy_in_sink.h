// Rows handed to a ChunkSink go into a COPY ... FROM STDIN already begun on a connection (a
// migration's chunk, verify's temporary table), sent by a thread of the sink's own: the source is
// read (SQLite steps, a PostgreSQL COPY TO, Snowflake files decoded) while the rows before are
// still being sent and parsed by the server, instead of one waiting for the other. At most
// `depth` batches wait in between, so memory stays a few batches per worker.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loaders/pipeline.h"
#include "warehouse/postgres/connection.h"

namespace sluice {

class CopyInSink final : public ChunkSink {
 public:
  explicit CopyInSink(pg::Connection& conn, std::size_t depth = 2);
  // Stops the sender (without waiting for what is queued to be sent) when finish() was not called:
  // an exception is on its way, and the COPY will be abandoned.
  ~CopyInSink() override;
  CopyInSink(const CopyInSink&) = delete;
  CopyInSink& operator=(const CopyInSink&) = delete;

  // Copies the chunk's rows and queues them; rethrows a failure of the sending.
  void consume(const ScannedChunk& chunk) override;
  // Waits until every queued batch is sent; rethrows a failure. The connection is the caller's
  // again afterwards (copy_end).
  void finish();
  std::uint64_t bytes() const { return bytes_; }

 private:
  void send_loop();
  void rethrow_failure();

  pg::Connection& conn_;
  std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;  // sent buffers, reused (they keep their capacity)
  bool stopping_ = false, sending_ = false;
  std::exception_ptr failure_;
  std::uint64_t bytes_ = 0;
  std::thread sender_;
};

}  // namespace sluice

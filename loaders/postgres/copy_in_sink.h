// Rows handed to a ChunkSink go straight into a COPY ... FROM STDIN already begun on a connection
// (a migration's chunk, verify's temporary table). Counts the bytes it sent.
#pragma once

#include <cstdint>

#include "loaders/pipeline.h"
#include "warehouse/postgres/connection.h"

namespace sluice {

class CopyInSink final : public ChunkSink {
 public:
  explicit CopyInSink(pg::Connection& conn) : conn_(conn) {}
  void consume(const ScannedChunk& chunk) override {
    conn_.copy_put(chunk.copy_data, chunk.copy_size);
    bytes_ += chunk.copy_size;
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  pg::Connection& conn_;
  std::uint64_t bytes_ = 0;
};

}  // namespace sluice

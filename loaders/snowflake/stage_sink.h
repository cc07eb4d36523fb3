// The Snowflake load's chunk sink: takes each scanned chunk's zstd frame of COPY text (pipeline
// options encode_copy + zstd_copy_text), appends it to the current part, and when a part reaches
// part_bytes hands it to background uploads (PutObject, retried by the S3 client) while the scan
// goes on. Memory stays bounded: at most uploads_in_flight parts are uploading and one is being
// filled; consume() waits when all upload slots are busy. Near the end of a file whose size is
// known, parts get smaller (input_bytes), so the upload left after the scan is short.
//
// Each part is a standard .zst of whole rows, named <base>_<NNNNN>.tsv.zst under key_prefix.
// A chunk with QC errors (not set aside) dooms the file: nothing more is uploaded, the scan goes
// on for the report. An upload that fails for good is rethrown by the next consume() or finish().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "loaders/pipeline.h"
#include "warehouse/s3/s3_client.h"

namespace sluice {

struct StagedPart {
  std::string name;  // file name under the prefix ("factLending_2024-01_00000.tsv.zst")
  std::string key;   // full object key
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;       // compressed, as stored
  std::uint64_t first_chunk = 0, chunks = 0;
  std::string etag;
  bool reused = false;  // already on the stage (resume): not uploaded again
};

struct StageSinkOptions {
  std::uint64_t part_bytes = 128ull << 20;  // compressed bytes per staged file
  int uploads_in_flight = 2;
  // --on-error skip: chunks with rows set aside still go (those rows are not in the COPY text)
  // until more than this many rows were set aside. Without it, any QC error dooms the file.
  std::optional<std::uint64_t> skip_limit;
  // Resuming an interrupted job: before uploading a part, HEAD its key; an object of the same
  // size whose ETag is the part's MD5 (and, when the job log recorded it, the recorded ETag) is
  // kept, not uploaded again.
  bool reuse_staged = false;
  std::map<std::string, std::string> recorded_etags;  // key -> ETag the interrupted job recorded
  // The size of the uncompressed input (0: unknown, e.g. a .gz file). Known, the sink estimates
  // what is still to come (the input left times the compression ratio so far) and cuts a part as
  // soon as it holds at least that much (but not below tail_part_bytes): toward the end of the
  // file parts halve, so what is uploaded after the scan ends is one small part instead of up to
  // a whole part_bytes (floor: the smaller of tail_part_bytes and part_bytes / 4). Deterministic for the same file and chunking (resume relies on that).
  std::uint64_t input_bytes = 0;
  std::uint64_t tail_part_bytes = 8ull << 20;
};

class StageSink final : public ChunkSink {
 public:
  // on_staged runs on an upload thread after each part is stored (job log, progress).
  StageSink(s3::S3Client& s3, std::string key_prefix, std::string base_name, StageSinkOptions options,
            std::function<void(const StagedPart&)> on_staged = {});
  ~StageSink() override;  // abandon()

  void consume(const ScannedChunk& chunk) override;
  // Uploads the last part, waits for every upload; the parts in name order. Throws the first
  // upload error.
  std::vector<StagedPart> finish();
  // Stops: drops what is not uploaded yet and waits for running uploads. Never throws.
  void abandon() noexcept;

  bool doomed() const { return doomed_; }
  // Every part uploaded so far (also after a failure: to remove them).
  std::vector<StagedPart> uploaded() const;

 private:
  void enqueue_current();
  std::uint64_t tail_cut() const;
  void upload_loop();
  void rethrow_error();

  s3::S3Client& s3_;
  std::string prefix_, base_;
  StageSinkOptions options_;
  std::function<void(const StagedPart&)> on_staged_;

  std::string buffer_;
  StagedPart current_;
  std::uint64_t next_part_ = 0;
  bool doomed_ = false;
  std::uint64_t rows_set_aside_ = 0;
  std::uint64_t stream_done_ = 0, compressed_done_ = 0;  // input consumed, frames produced

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<StagedPart, std::string>> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<StagedPart> done_;
  std::vector<std::thread> threads_;
};

}  // namespace sluice

// The one-pass file engine: Reader -> Splitter -> N scan workers -> ordered Sink -> QC verdict.
// Memory is bounded by (workers + 2) chunk slots whatever the file size. The sink sees chunks in
// file order on the calling thread, so it can stream them to a server; QC partials are merged in
// the same order, which is what makes line numbers exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "core/cancellation.h"
#include "core/progress.h"
#include "loaders/input/byte_source.h"
#include "loaders/scan/chunk_scanner.h"
#include "loaders/scan/file_syntax.h"
#include "validators/file_qc/file_qc.h"

namespace sluice {

struct PipelineOptions {
  std::size_t chunk_bytes = 16u << 20;
  int workers = 0;            // 0 = one per core
  bool encode_copy = false;   // produce COPY text for the sink, in copy_format
  std::string phase = "scan"; // progress phase name
  int zstd_level = 0;         // > 0: workers also compress each chunk's bytes into one zstd frame
  bool zstd_copy_text = false; // compress the COPY text (encode_copy) instead of the raw rows
  // PostgreSQL's COPY text, or the CSV staged for Snowflake (ScanConfig::copy_format).
  CopyFormat copy_format = CopyFormat::postgres_text;
  bool skip_bad_rows = false; // keep bad rows for a reject file (ScannedChunk::rejects)
  std::size_t max_rejects_kept = 0;
  // Optional: one FieldObserver per chunk slot (analysis); the sink reads it after each chunk.
  std::function<std::unique_ptr<FieldObserver>()> make_observer;
  // Duplicate keys (QcSettings::key_fields): key hashes beyond half this budget go to disk under
  // spill_dir, and only rows whose hash repeats are re-read to confirm (duplicate_confirm.h).
  std::filesystem::path spill_dir = std::filesystem::temp_directory_path();
  std::size_t duplicate_memory_budget = DuplicateKeyIndex::kDefaultBudget;
  std::size_t duplicate_examples = 10;  // top keys kept for the report
};

// A scanned chunk, handed to the sink in file order.
struct ScannedChunk {
  std::uint64_t index = 0;
  std::uint64_t first_row = 0;   // rows before this chunk (0-based number of its first row)
  std::uint64_t first_line = 0;  // 1-based file line of its first row
  std::uint64_t rows = 0;
  std::uint64_t lines = 0;
  bool rows_span_lines = false;
  std::uint64_t qc_errors = 0;   // QC errors found in this chunk
  std::uint64_t rejected_rows = 0;  // rows with errors (not in copy_data)
  const std::vector<RejectedRow>* rejects = nullptr;  // with skip_bad_rows; lines chunk-relative
  std::uint64_t stream_offset = 0, stream_bytes = 0;  // position in the uncompressed stream
  const char* copy_data = nullptr;
  std::size_t copy_size = 0;
  const char* raw_data = nullptr;         // the chunk's rows as read (header excluded)
  std::size_t raw_size = 0;
  const char* compressed_data = nullptr;  // one zstd frame of raw_data, or of copy_data with
                                          // zstd_copy_text (zstd_level > 0)
  std::size_t compressed_size = 0;
  FieldObserver* observer = nullptr;      // this chunk's observations (make_observer given)
};

class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual void consume(const ScannedChunk& chunk) = 0;
};

struct PipelineResult {
  std::uint64_t rows = 0;          // data rows in the file, bad ones included
  std::uint64_t rejected_rows = 0; // rows with a row-level QC error
  std::uint64_t header_lines = 0;
  std::uint64_t stream_bytes = 0;   // uncompressed
  std::uint64_t file_bytes = 0;     // as stored
  std::uint64_t file_checksum = 0;     // XXH3-64 of the stored bytes
  std::uint64_t content_checksum = 0;  // XXH3-64 of the data after decompression
  Compression compression = Compression::none;
  std::uint64_t chunks = 0;
  QcReport qc;
  double seconds = 0;
};

// Runs the engine over one file. `sink` may be null (analysis only). Throws sluice::Error for I/O
// and decoding failures (and whatever the sink throws); QC problems are findings in the result.
PipelineResult run_pipeline(const std::filesystem::path& file, const FileSyntax& syntax, QcSettings qc,
                            const PipelineOptions& options, ChunkSink* sink, ProgressSink& progress,
                            const Cancellation& cancel);

}  // namespace sluice

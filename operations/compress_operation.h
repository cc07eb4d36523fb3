// Compress: one pass over a TSV/CSV file (plain, .gz or .zst) that writes it as .zst, byte for byte,
// with the workers of the load pipeline compressing chunks in parallel. The same pass checks the
// file as far as asked: with a table from the config, full file QC, and the output is kept only
// when it passes. Without one (compressing needs no config) rows are counted, and for CSV, or on
// request for TSV, every row's field count is compared with the first row's; that is reported
// but never blocks, because the output is the input either way. Plain TSV skips the field walk by
// default so that compressing keeps pace with `zstd -T`.
//
// Split output (parts of at most N bytes, for a Snowflake stage) holds data rows only: with a
// header the config declares, the header is left out so every part is alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/error.h"
#include "core/progress.h"
#include "loaders/encode/rolling_zst_writer.h"
#include "loaders/pipeline.h"

namespace sluice {

struct CompressRequest {
  std::filesystem::path input;
  std::filesystem::path output;      // empty: default_compress_output(input)
  int level = 3;
  int workers = 0;                   // 0 = one per core
  std::size_t chunk_bytes = 16u << 20;
  std::uint64_t split_bytes = 0;     // 0: one file; else parts <output without .zst>_NNN.zst of at most this
  bool force = false;                // replace an existing output
  std::string table;                 // config table: full file QC in the same pass (needs a config)
  bool check_fields = false;         // without a table: every row's field count against the first row's
};

struct CompressResult {
  std::filesystem::path input;
  std::vector<ZstPart> parts;        // empty when QC failed (nothing was written)
  PipelineResult scan;
  std::string table;                 // the table whose QC ran, or empty
  int fields = 0;                    // the first row's field count, when it was checked (else 0)
  bool header_written = false;       // the header row is in the output
  bool qc_passed = true;             // always true without a table
  std::uint64_t output_bytes = 0;
  double seconds = 0;

  ExitCode exit_code() const { return qc_passed ? ExitCode::ok : ExitCode::qc_failed; }
};

// data.tsv -> data.tsv.zst; data.tsv.gz -> data.tsv.zst (the input is recompressed, not wrapped).
std::filesystem::path default_compress_output(const std::filesystem::path& input);

class CompressOperation {
 public:
  // `config` is needed only for requests with a table.
  CompressOperation(const Config* config, ProgressSink& progress, const Cancellation& cancel);

  // Throws sluice::Error: usage (existing output, bad table), runtime (I/O, corrupt input).
  CompressResult run(const CompressRequest& request);

 private:
  const Config* config_;
  ProgressSink& progress_;
  const Cancellation& cancel_;
};

}  // namespace sluice

// Fuzzes the whole engine, run_pipeline: reader, Splitter, scan workers, ordered sink and QC merge,
// with the steps only the engine does (the UTF-8 BOM, the header row, latin-1, gzip and zstd
// detection by magic bytes). The same file run once as a single chunk on one worker and once in
// small chunks on one or two workers must give the same verdict, rows, COPY stream, rejected rows
// and fields; and the chunks the sink sees must follow each other without gaps in rows, lines or
// bytes. A file the engine refuses (a corrupt compressed stream) must be refused by both runs alike.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/cancellation.h"
#include "core/error.h"
#include "core/progress.h"
#include "loaders/pipeline.h"
#include "tests/fuzz/fuzz_case.h"

namespace sluice::fuzz {
namespace {

struct Outcome {
  std::optional<std::string> error;  // the engine refused the file
  PipelineResult result;
  std::string copy;
  std::string raw;
  std::string rejects;
  std::string row_log;
  std::uint64_t qc_errors = 0;
};

// Collects what the sink is handed and checks that each chunk takes up where the last one ended.
class CheckingSink final : public ChunkSink {
 public:
  CheckingSink(const FuzzCase& c, Outcome& out) : case_(c), out_(out) {}

  void consume(const ScannedChunk& chunk) override {
    require_equal("chunk index seen by the sink", chunks_, chunk.index, case_);
    require_equal("first_row of a chunk", rows_, chunk.first_row, case_);
    require_equal("stream_offset of a chunk", stream_bytes_, chunk.stream_offset, case_);
    // The first chunk starts after the header line (if any); each later one where the last ended.
    if (chunks_ > 0) require_equal("first_line of a chunk", next_line_, chunk.first_line, case_);
    ++chunks_;
    rows_ += chunk.rows;
    next_line_ = chunk.first_line + chunk.lines;
    stream_bytes_ += chunk.stream_bytes;

    out_.copy.append(chunk.copy_data, chunk.copy_size);
    out_.raw.append(chunk.raw_data, chunk.raw_size);
    out_.qc_errors += chunk.qc_errors;
    if (chunk.rejects) {
      for (const auto& r : *chunk.rejects) {
        if (rejects_kept_ == case_.max_rejects_kept) break;
        out_.rejects += describe(r, chunk.first_line, chunk.first_row);
        ++rejects_kept_;
      }
    }
    static_cast<RowLog*>(chunk.observer)->drain(chunk.first_line, out_.row_log);
  }

  std::uint64_t rows() const { return rows_; }

 private:
  const FuzzCase& case_;
  Outcome& out_;
  std::uint64_t chunks_ = 0;
  std::uint64_t rows_ = 0;
  std::uint64_t next_line_ = 0;
  std::uint64_t stream_bytes_ = 0;
  std::size_t rejects_kept_ = 0;
};

Outcome run(const FuzzCase& c, const std::string& path, std::size_t chunk_bytes, int workers) {
  PipelineOptions options;
  options.chunk_bytes = chunk_bytes;
  options.workers = workers;
  options.encode_copy = true;
  options.copy_format = c.copy_format;
  options.skip_bad_rows = c.skip_bad_rows;
  options.max_rejects_kept = c.max_rejects_kept;
  options.make_observer = [] { return std::make_unique<RowLog>(); };
  Outcome out;
  CheckingSink sink(c, out);
  NullProgress progress;
  Cancellation cancel;
  try {
    out.result = run_pipeline(path, c.syntax, c.qc, options, &sink, progress, cancel);
  } catch (const Error& e) {
    out.error = e.primary();
    return out;
  }
  require_equal("rows counted by the sink vs the result", sink.rows(), out.result.rows, c);
  return out;
}

void check(const FuzzCase& c, const std::string& path) {
  // Larger than any input libFuzzer is given here (-max_len), so the whole file is one chunk.
  constexpr std::size_t kOneChunk = 1u << 20;
  const Outcome whole = run(c, path, kOneChunk, 1);
  const Outcome split = run(c, path, c.chunk_bytes, c.workers);
  require_equal("error (one chunk vs split)", whole.error.value_or("none"), split.error.value_or("none"), c);
  if (whole.error) return;

  const PipelineResult& w = whole.result;
  const PipelineResult& s = split.result;
  require_equal("rows", w.rows, s.rows, c);
  require_equal("rejected rows", w.rejected_rows, s.rejected_rows, c);
  require_equal("header lines", w.header_lines, s.header_lines, c);
  require_equal("stream bytes", w.stream_bytes, s.stream_bytes, c);
  require_equal("file bytes", w.file_bytes, s.file_bytes, c);
  require_equal("file checksum", w.file_checksum, s.file_checksum, c);
  require_equal("QC errors summed over chunks", whole.qc_errors, split.qc_errors, c);
  require_equal("rows and fields seen (one chunk vs split)", whole.row_log, split.row_log, c);
  require_equal("QC reports (one chunk vs split)", describe(w.qc), describe(s.qc), c);
  require_equal("COPY streams (one chunk vs split)", whole.copy, split.copy, c);
  require_equal("rejected rows kept (one chunk vs split)", whole.rejects, split.rejects, c);
  require_equal("raw bytes handed to the sink (one chunk vs split)", whole.raw, split.raw, c);
  if (w.compression == Compression::none) {
    require_equal("stream bytes of a plain file", c.content.size(), w.stream_bytes, c);
    // What the sink gets is the file after its BOM and header: nothing lost, nothing repeated.
    if (!c.syntax.latin1) {
      require(whole.raw.size() <= c.content.size() &&
                  c.content.substr(c.content.size() - whole.raw.size()) == whole.raw,
              "the raw bytes handed to the sink are not the end of the file", c);
    }
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sluice::fuzz::MemoryFile file;
  const sluice::fuzz::FuzzCase c = sluice::fuzz::decode_case(data, size);
  file.assign(c.content);
  sluice::fuzz::check(c, file.path());
  return 0;
}

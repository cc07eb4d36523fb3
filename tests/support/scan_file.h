// Runs the scanner or the whole engine over text a test writes, as a load runs it, and the column
// sets the engine tests share. What a test asserts on: the result, the COPY stream and the findings
// in a short form.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "loaders/pipeline.h"
#include "loaders/scan/chunk_scanner.h"

namespace sluice::test {

// Columns DAY (the date column), ID (required), NOTE.
QcSettings day_id_note_qc();
// Columns ID (required), DAY (the date column unless `date_field` says otherwise), NAME.
QcSettings id_day_name_qc(int date_field = 1);
// These columns, none required, no date column.
QcSettings columns_qc(const std::vector<std::string>& names);

// RFC 4180 CSV with this delimiter.
FileSyntax csv_syntax(char delimiter = ',');

// A scan that writes the COPY text (`format`) of a file of `syntax`.
ScanConfig copy_scan(const FileSyntax& syntax = {}, CopyFormat format = CopyFormat::postgres_text);
// scan_chunk over `text` as one chunk, with `qc` (config.qc is set to it). Lines are chunk-relative.
ChunkScanResult scan_text(const std::string& text, const QcSettings& qc, ScanConfig config = copy_scan());

// run_pipeline without progress or cancellation.
PipelineResult run_engine(const std::filesystem::path& file, const FileSyntax& syntax, const QcSettings& qc,
                          const PipelineOptions& options, ChunkSink* sink = nullptr);

struct ScannedFile {
  PipelineResult result;
  std::string copy;
  // "check:count@line:column,line:column" for each finding, in report order.
  std::string findings() const;
};

// The engine over `content` written to a file, with COPY text.
ScannedFile scan_file(const std::string& content, const FileSyntax& syntax, const QcSettings& qc,
                      std::size_t chunk_bytes, int workers = 0);

}  // namespace sluice::test

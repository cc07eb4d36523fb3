// Runs the engine over a file a test writes, as a load runs it (run_pipeline with COPY text), and
// keeps what a test asserts on: the result, the COPY stream and the findings in a short form.
#pragma once

#include <cstddef>
#include <string>

#include "loaders/pipeline.h"

namespace sluice::test {

struct ScannedFile {
  PipelineResult result;
  std::string copy;
  // "check:count@line:column,line:column" for each finding, in report order.
  std::string findings() const;
};

// The columns most engine tests use: DAY (the date column), ID (required), NOTE.
QcSettings day_id_note_qc();

ScannedFile scan_file(const std::string& content, const FileSyntax& syntax, const QcSettings& qc,
                      std::size_t chunk_bytes, int workers = 0);

}  // namespace sluice::test

#include "tests/support/scan_file.h"

#include "core/cancellation.h"
#include "core/progress.h"
#include "tests/support/temp_dir.h"

namespace sluice::test {
namespace {

class CopyCollector final : public ChunkSink {
 public:
  void consume(const ScannedChunk& c) override { copy.append(c.copy_data, c.copy_size); }
  std::string copy;
};

}  // namespace

std::string ScannedFile::findings() const {
  std::string out;
  for (const auto& f : result.qc.findings) {
    out += f.check + ":" + std::to_string(f.count);
    for (std::size_t i = 0; i < f.examples.size(); ++i)
      out += (i ? "," : "@") + std::to_string(f.examples[i].line) + ":" + std::to_string(f.examples[i].column);
    out += ";";
  }
  return out;
}

QcSettings day_id_note_qc() {
  QcSettings qc;
  qc.column_names = {"DAY", "ID", "NOTE"};
  qc.required = {false, true, false};
  qc.date_field = 0;
  return qc;
}

ScannedFile scan_file(const std::string& content, const FileSyntax& syntax, const QcSettings& qc,
                      std::size_t chunk_bytes, int workers) {
  TempDir dir;
  const auto file = dir.write(syntax.quoted ? "f.csv" : "f.tsv", content);
  PipelineOptions o;
  o.chunk_bytes = chunk_bytes;
  o.workers = workers;
  o.encode_copy = true;
  CopyCollector sink;
  NullProgress progress;
  Cancellation cancel;
  ScannedFile s;
  s.result = run_pipeline(file, syntax, qc, o, &sink, progress, cancel);
  s.copy = sink.copy;
  return s;
}

}  // namespace sluice::test

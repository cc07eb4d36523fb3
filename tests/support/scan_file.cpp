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
    out += std::string(f.id()) + ":" + std::to_string(f.count);
    for (std::size_t i = 0; i < f.examples.size(); ++i)
      out += (i ? "," : "@") + std::to_string(f.examples[i].line) + ":" + std::to_string(f.examples[i].column);
    out += ";";
  }
  return out;
}

QcSettings day_id_note_qc() {
  QcSettings qc = columns_qc({"DAY", "ID", "NOTE"});
  qc.required[1] = true;
  qc.date_field = 0;
  return qc;
}

QcSettings id_day_name_qc(int date_field) {
  QcSettings qc = columns_qc({"ID", "DAY", "NAME"});
  qc.required[0] = true;
  qc.date_field = date_field;
  return qc;
}

QcSettings columns_qc(const std::vector<std::string>& names) {
  QcSettings qc;
  qc.column_names = names;
  qc.required.assign(names.size(), false);
  return qc;
}

FileSyntax csv_syntax(char delimiter) {
  FileSyntax s;
  s.quoted = true;
  s.delimiter = delimiter;
  return s;
}

ScanConfig copy_scan(const FileSyntax& syntax, CopyFormat format) {
  ScanConfig cfg;
  cfg.syntax = syntax;
  cfg.encode_copy = true;
  cfg.copy_format = format;
  return cfg;
}

ChunkScanResult scan_text(const std::string& text, const QcSettings& qc, ScanConfig config) {
  config.qc = &qc;
  ChunkScanResult r;
  scan_chunk(text.data(), text.size(), config, r);
  return r;
}

PipelineResult run_engine(const std::filesystem::path& file, const FileSyntax& syntax, const QcSettings& qc,
                          const PipelineOptions& options, ChunkSink* sink) {
  NullProgress progress;
  Cancellation cancel;
  return run_pipeline(file, syntax, qc, options, sink, progress, cancel);
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
  ScannedFile s;
  s.result = run_engine(file, syntax, qc, o, &sink);
  s.copy = sink.copy;
  return s;
}

}  // namespace sluice::test

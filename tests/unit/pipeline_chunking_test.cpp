// The engine's answers do not depend on how the file is cut into chunks or how many workers scan
// it: rows, line numbers of findings and the COPY stream are the same for every split.
#include <gtest/gtest.h>

#include <string>

#include "loaders/pipeline.h"
#include "tests/support/scan_file.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

class CollectingSink final : public ChunkSink {
 public:
  void consume(const ScannedChunk& c) override {
    EXPECT_EQ(c.first_row, rows);  // in order, no gaps
    copy.append(c.copy_data, c.copy_size);
    rows += c.rows;
  }
  std::string copy;
  std::uint64_t rows = 0;
};

QcSettings settings() {
  QcSettings s = test::day_id_note_qc();
  s.expected_range = DateRange::month(2024, 1);
  return s;
}

std::string make_file(bool csv) {
  std::string s;
  for (int i = 0; i < 20000; ++i) {
    const int day = 1 + (i * 31) / 20000;
    char d[16];
    std::snprintf(d, sizeof d, "2024-01-%02d", day == 17 ? 16 : day);  // the 17th is missing
    const char sep = csv ? ',' : '\t';
    std::string note = csv && i % 97 == 0 ? "\"multi\nline, quoted\"" : "note" + std::to_string(i);
    if (i == 4321) s += std::string(d) + sep + std::to_string(i) + "\n";             // ragged
    else if (i == 15000) s += std::string("2024-01-32") + sep + "1" + sep + note + "\n";  // bad date
    else s += std::string(d) + sep + std::to_string(i) + sep + note + "\n";
  }
  return s;
}

struct Outcome {
  std::uint64_t rows;
  std::string findings;
  std::string copy;
};

Outcome run(const std::filesystem::path& file, bool csv, std::size_t chunk, int workers) {
  FileSyntax syntax;
  syntax.quoted = csv;
  syntax.delimiter = csv ? ',' : '\t';
  PipelineOptions o;
  o.chunk_bytes = chunk;
  o.workers = workers;
  o.encode_copy = true;
  CollectingSink sink;
  auto r = test::run_engine(file, syntax, settings(), o, &sink);
  std::string f;
  for (const auto& finding : r.qc.findings) {
    f += std::string(finding.id()) + ":" + std::to_string(finding.count);
    for (const auto& e : finding.examples) f += " " + std::to_string(e.line) + ":" + std::to_string(e.column);
    for (const auto& d : finding.details) f += " " + d;
    f += "\n";
  }
  EXPECT_EQ(sink.rows, r.rows);
  return {r.rows, f, sink.copy};
}

TEST(PipelineChunking, SameResultsForEveryChunkSizeAndWorkerCount) {
  for (bool csv : {false, true}) {
    test::TempDir dir;
    const auto file = dir.write(csv ? "f.csv" : "f.tsv", make_file(csv));
    const Outcome base = run(file, csv, 64u << 20, 1);
    EXPECT_EQ(base.rows, 20000u);
    // Line numbers: TSV row i is on line i+1; CSV rows before it add their quoted newlines.
    if (!csv) {
      EXPECT_NE(base.findings.find("column_count:1 4322:0"), std::string::npos) << base.findings;
      EXPECT_NE(base.findings.find("date_unparseable:1 15001:1"), std::string::npos) << base.findings;
    }
    EXPECT_NE(base.findings.find("missing_days:1 2024-01-17"), std::string::npos) << base.findings;
    for (std::size_t chunk : {4096u, 10000u, 65536u, 1u << 20}) {
      for (int workers : {1, 2, 4}) {
        const Outcome o = run(file, csv, chunk, workers);
        EXPECT_EQ(o.rows, base.rows) << chunk << "/" << workers;
        EXPECT_EQ(o.findings, base.findings) << chunk << "/" << workers;
        EXPECT_EQ(o.copy, base.copy) << chunk << "/" << workers;
      }
    }
  }
}

TEST(PipelineChunking, HeaderRowIsSkippedAndCountedInLineNumbers) {
  test::TempDir dir;
  const auto file = dir.write("h.tsv", "DAY\tID\tNOTE\n2024-01-01\t1\ta\n2024-01-02\t\tb\n");
  FileSyntax syntax;
  syntax.header = true;
  auto s = settings();
  s.expected_range.reset();
  auto r = test::run_engine(file, syntax, s, PipelineOptions{});
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.header_lines, 1u);
  ASSERT_EQ(r.qc.findings.size(), 1u);
  EXPECT_EQ(r.qc.findings[0].id(), "required_empty");
  EXPECT_EQ(r.qc.findings[0].examples[0].line, 3u);
}

TEST(PipelineChunking, EmptyFileHasNoRowsAndEveryDayMissing) {
  test::TempDir dir;
  const auto file = dir.write("e.tsv", "");
  FileSyntax syntax;
  PipelineOptions o;
  auto r = test::run_engine(file, syntax, settings(), o);
  EXPECT_EQ(r.rows, 0u);
  ASSERT_EQ(r.qc.findings.size(), 1u);
  EXPECT_EQ(r.qc.findings[0].id(), "missing_days");
  EXPECT_EQ(r.qc.findings[0].count, 31u);
}

}  // namespace
}  // namespace sluice

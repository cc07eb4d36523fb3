// A deterministic generator of realistic monthly lending fact files, for demos, tests and
// benchmarks. The same options always produce a byte-identical file (on any IEEE-754 machine), so
// sizes, row counts and checksums quoted in docs and tests stay true.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/progress.h"

namespace sluice {

struct SampleDataOptions {
  int year = 2024, month = 1;      // the month the rows cover (every calendar day)
  std::uint64_t target_bytes = 0;  // stop after about this many bytes (whole rows), or
  std::uint64_t rows = 0;          // exactly this many rows (one of the two must be set)
  std::uint64_t seed = 42;
  char delimiter = '\t';
  bool header = false;
  // Fault injection for tests and demos (0 / empty = none); line numbers are 1-based file lines,
  // so with a header the first data row is line 2. A line past the end of the file is ignored.
  std::vector<int> skip_days;        // days of the month (1..31) that get no rows
  std::uint64_t ragged_line = 0;     // that line gets one field fewer (the last one)
  std::uint64_t bad_date_line = 0;   // RECORDDATE / RECORDDATEID become YYYY-02-30 / YYYY0230
  std::uint64_t duplicate_line = 0;  // repeats (RECORDDATEID, ASSETID) of the previous data line
};

struct SampleDataResult {
  std::uint64_t rows;
  std::uint64_t bytes;
};

// The columns of the generated file, in file order.
const std::vector<ColumnSpec>& sample_columns();

// The table entry describing the generated file: its columns and types, date_column RECORDDATEID,
// duplicate_key [RECORDDATEID, ASSETID], format tsv. An empty table_name means FACT_LENDING_SAMPLE.
TableSpec sample_table_spec(const std::string& table_name, const std::string& file_pattern,
                            bool header);

// Writes the file (replacing it), reporting phase "generate" to `progress`. Throws a usage error
// for invalid options and a runtime error naming the path on I/O failure (the partial file is
// removed).
SampleDataResult generate_sample_data(const std::filesystem::path& out,
                                      const SampleDataOptions& options, ProgressSink& progress);

}  // namespace sluice

// Analyze: one pass over a file that profiles every column (type, nulls, min/max, ~distinct, rows
// per day of a date column) in the scan workers. Without a table the file's syntax is sniffed from
// its first MiB; with a table its config entry says how to read it, and the table's full file QC
// runs in the same pass. Also here: turning an analysis into a config table entry (config generate).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/dates.h"
#include "core/error.h"
#include "core/progress.h"
#include "loaders/pipeline.h"
#include "loaders/scan/sniffer.h"
#include "validators/profile/type_proposal.h"

namespace sluice {

struct AnalyzeRequest {
  std::filesystem::path file;
  const TableSpec* table = nullptr;         // read the file as this table and run its file QC
  std::optional<DateRange> expected_range;  // with a table: the range the file name promises
  std::string date_column;                  // a column name (any case) or 1-based number; "" = the
                                            // table's date_column, else inferred
  PipelineOptions pipeline;
};

struct ColumnSummary {
  int index = 0;  // 1-based
  std::string name;
  ColumnType observed;              // the narrowest type that holds every value of this file
  ColumnType proposed;              // the type to declare, with room for next month's (type_proposal.h)
  std::vector<std::string> checks;  // what a person must decide about it ("has 0 to 2 decimal places ...")
  DateOrder date_order;             // how N/N/YYYY values are ordered, with the evidence
  std::uint64_t values = 0, nulls = 0;
  std::string min, max;
  std::uint64_t distinct = 0;  // HyperLogLog estimate, ~1% error
  bool all_days = false;       // every non-null value names a day (a date, a timestamp, ...)
};

struct AnalyzeResult {
  std::filesystem::path file;
  std::optional<SniffResult> sniff;  // without a table: how the file was read, and how sure that is
  FileSyntax syntax;
  FileFormat format = FileFormat::tsv;
  std::string table;                 // the table whose spec and file QC were used, or ""
  std::vector<ColumnSummary> columns;
  PipelineResult scan;               // rows, sizes, checksum, and the QC report (structure only without a table)
  std::uint64_t malformed_rows = 0;  // rows with the wrong number of fields (profiled up to the column count)

  std::string date_column;           // "" = none
  bool date_column_inferred = false;
  std::string date_note;             // how the date column was chosen, or why there is none
  std::map<DayNumber, std::uint64_t> rows_per_day;
  std::uint64_t rows_without_date = 0;  // empty or unparseable values in the date column

  // qc_failed when a table's file QC failed; otherwise ok (structure findings are informational).
  ExitCode exit_code() const;
};

// Throws sluice::Error for unreadable or non-text files and for an unknown --date-column.
AnalyzeResult analyze_file(const AnalyzeRequest& request, ProgressSink& progress, const Cancellation& cancel);

// ---- config generate ----

// FACT_LENDING from factLending_20240101-20240131.tsv(.gz): the name without extensions and date
// parts, camelCase split into words, upper case, words joined by "_".
std::string table_name_for_file(const std::string& file_name);

struct FilePattern {
  std::string pattern;  // the file name with {date_range} or {month} for its date part
  bool has_placeholder = false;
  std::string note;     // when the date part has no placeholder form (e.g. a single day)
};
// factLending_{date_range}.tsv from factLending_20240101-20240131.tsv.gz: compression suffixes are
// dropped (loads find .gz/.zst variants themselves).
FilePattern file_pattern_for_file(const std::string& file_name);

struct GeneratedTable {
  TableSpec spec;
  std::vector<std::string> notes;     // what a person should check before relying on the entry (CHECK:)
  std::vector<std::string> comments;  // facts behind the entry (how the date column's order was found)
  // The date column's date_format choices when its order is ambiguous: spec.date_format stays
  // empty (the automatic forms read N/N/YYYY month-first) and a person picks one.
  std::vector<DateOrder::Format> date_format_choices;
};
// The table entry an analysis suggests: syntax, columns with proposed types, the inferred date
// column (only one with a day in every row) and its date_format, no duplicate_key.
GeneratedTable table_spec_from_analysis(const AnalyzeResult& analysis, const std::string& table_name);

}  // namespace sluice

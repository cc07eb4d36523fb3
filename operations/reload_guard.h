// What "already loaded" means, for every target. A month is in a table once: a load without
// --replace is refused when the table holds rows now where the file's rows go, whatever the file
// is called, however it is compressed, or whatever the history says. The history names what is
// there (the earlier load) and catches the same data under another name; but a history row whose
// rows are gone (the table dropped, truncated or deleted from outside sluice) refuses nothing.
//
// The checks are made twice by the load paths: before the scan when the range is known (from
// --month or the file name) and for a file name the history knows; after the scan for the range
// the file's dates span and for the same contents (checksum of the data after decompression).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "core/error.h"
#include "warehouse/load_history.h"
#include "warehouse/warehouse.h"

namespace sluice {

// Rows `table` (in `schema`) holds in `range`, read as validate reads its date column; the whole
// table when `range` is nullopt (or the table has no date column).
std::uint64_t rows_in_range(Warehouse& w, const TableSpec& table, const std::string& schema,
                            const std::optional<DateRange>& range);

// The rows of this load itself in `range`, from the scan's rows per day (for a target where they
// are already in the table when it is counted: PostgreSQL after its COPY). `copied` is every row
// loaded (the answer when the table has no date column).
std::uint64_t own_rows_in_range(const std::map<DayNumber, std::uint64_t>& rows_per_day, std::uint64_t copied,
                                const TableSpec& table, const std::optional<DateRange>& range);

// The current loads of `table` that overlap `range` (all current loads when nullopt), newest first.
std::vector<HistoryRow> loads_overlapping(Warehouse& w, const TableSpec& table, const std::optional<DateRange>& range);

struct ReloadFacts {
  std::string file;                   // the file's name
  std::string target;                 // schema.table, for messages
  const TableSpec* table = nullptr;
  std::optional<DateRange> range;     // where the file's rows go; nullopt: the whole table (no date column)
  std::uint64_t rows_there = 0;       // rows the table holds there, before this load
  std::vector<HistoryRow> loads_there;
};

// --append was not given and the table holds rows where the file goes: the refusal, naming the
// range, the rows there and the loads that put them there. nullopt when the file may go.
std::optional<Error> occupied_range_refusal(const ReloadFacts& facts, bool append);

// `prev` is a current history load of the same file (by name and size, or by contents);
// `rows_still_there` the rows the table holds in prev's range now. The "already loaded" refusal
// when they are there; nullopt (and a note for the user in *note) when they are gone.
std::optional<Error> same_file_refusal(const std::string& file, const std::string& target, const HistoryRow& prev,
                                       bool by_contents, std::uint64_t rows_still_there, std::string* note);

// The checks a load path runs without --replace. `notes` collects what the user should read
// although nothing is refused (a history row whose rows are gone).
struct ReloadCheckInput {
  Warehouse* warehouse = nullptr;       // the target, inside the load's transaction where it has one
  const TableSpec* table = nullptr;
  std::string schema;                   // the table's schema, as in the config
  std::string file;                     // file name
  std::string target;                   // schema.table for messages
  bool append = false;                  // --append: rows already in the range are expected
  bool table_is_new = false;            // created by this load (--create): it holds no rows to count
};

// Before the scan: `same_name` is the history's current load of this file name and size (if
// any), `range` the range the file goes to when known before reading it (--month or the file
// name). Sets *range_checked when the range (or, for a table without a date column, the whole
// table) was checked, so the scan's own range need not be.
std::optional<Error> reload_check_before_scan(const ReloadCheckInput& in, const std::optional<HistoryRow>& same_name,
                                              const std::optional<DateRange>& range, bool* range_checked,
                                              std::vector<std::string>& notes);

// After the scan: `same_contents` is a current load of the same data (by checksum); `found` the
// range of the file's dates, checked when the range was not known before. `own_rows_in_table`:
// the file's rows are already in the table (PostgreSQL after the COPY, in the load's transaction)
// and are not counted as rows "already there"; `rows_per_day` and `copied` say which they are.
std::optional<Error> reload_check_after_scan(const ReloadCheckInput& in, const std::optional<HistoryRow>& same_contents,
                                             const std::optional<DateRange>& found, bool range_checked,
                                             bool own_rows_in_table,
                                             const std::map<DayNumber, std::uint64_t>& rows_per_day,
                                             std::uint64_t copied, std::vector<std::string>& notes);

}  // namespace sluice

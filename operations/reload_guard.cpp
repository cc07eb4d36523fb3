#include "operations/reload_guard.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/text_format.h"
#include "operations/table_sql.h"

namespace sluice {
namespace {

// "load #12 (job 7)": the history row and the job that wrote it.
std::string load_name(std::int64_t id, std::int64_t job_id) { return fmt::format("load #{} (job {})", id, job_id); }

std::string where(const std::optional<DateRange>& range) { return range ? "in " + range->str() : "(it has no date column)"; }

// "2024-01-31 10:00:00" of the warehouse's own spelling of a time ("...:00.123456+00"), for messages.
std::string short_time(const std::string& at) {
  const bool iso = at.size() >= 19 && at[4] == '-' && at[7] == '-' && at[10] == ' ' && at[13] == ':' && at[16] == ':';
  return iso ? at.substr(0, 19) : at;
}

// The delete command that empties `range` of `table`: by month when it is one.
std::string delete_command(const TableSpec& table, const DateRange& range) {
  const CivilDate first = civil_from_days(range.first);
  if (range == DateRange::month(first.year, first.month))
    return fmt::format("sluice delete --table {} --month {:04}-{:02}", table.table, first.year, first.month);
  return fmt::format("sluice delete --table {} --from {} --to {}", table.table, format_iso(range.first),
                     format_iso(range.last));
}

}  // namespace

std::uint64_t rows_in_range(Warehouse& w, const TableSpec& table, const std::string& schema,
                            const std::optional<DateRange>& range) {
  const TableSql sql(w.dialect(), table, schema);
  return sql.rows_by_day(w, sql.has_date() ? range : std::nullopt).rows;
}

std::uint64_t own_rows_in_range(const std::map<DayNumber, std::uint64_t>& rows_per_day, std::uint64_t copied,
                                const TableSpec& table, const std::optional<DateRange>& range) {
  if (table.date_column.empty() || !range) return copied;
  std::uint64_t n = 0;
  for (auto it = rows_per_day.lower_bound(range->first); it != rows_per_day.end() && it->first <= range->last; ++it)
    n += it->second;
  return n;
}

std::vector<HistoryRow> loads_overlapping(Warehouse& w, const TableSpec& table, const std::optional<DateRange>& range) {
  std::vector<HistoryRow> out;
  for (auto& h : LoadHistory(w).current(table.table)) {
    if (h.operation != "load") continue;
    if (range && h.range && (h.range->last < range->first || h.range->first > range->last)) continue;
    out.push_back(std::move(h));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Error> occupied_range_refusal(const ReloadFacts& f, bool append) {
  if (append || f.rows_there == 0) return std::nullopt;
  std::string detail;
  constexpr std::size_t kListed = 3;
  for (std::size_t i = 0; i < f.loads_there.size() && i < kListed; ++i) {
    const HistoryRow& h = f.loads_there[i];
    detail += fmt::format("{}{}: {}, {} rows{}, at {}", detail.empty() ? "" : "\n", load_name(h.id, h.job_id),
                          h.file_name, grouped(static_cast<std::uint64_t>(h.rows_loaded)),
                          h.range ? " for " + h.range->str() : "", short_time(h.at));
  }
  if (f.loads_there.size() > kListed) detail += fmt::format("\n... and {} more loads", f.loads_there.size() - kListed);
  if (f.loads_there.empty()) detail = "no sluice load is recorded there: the rows came from outside sluice";
  const std::string hint =
      f.range && f.table
          ? fmt::format("Pass --replace to replace those rows with this file, --append to add this file's rows to "
                        "them, or delete them first ({}).",
                        delete_command(*f.table, *f.range))
          : "Pass --append to add this file's rows to them, or empty the table first (without a date column "
            "--replace cannot say which rows this file replaces).";
  return usage_error(fmt::format("{} already holds {} rows {}, where {} would go", f.target, grouped(f.rows_there),
                                 where(f.range), f.file),
                     detail, hint);
}

std::optional<Error> same_file_refusal(const std::string& file, const std::string& target, const HistoryRow& prev,
                                       bool by_contents, std::uint64_t rows_still_there, std::string* note) {
  const std::string range = prev.range ? prev.range->str() : std::string("the table");
  if (rows_still_there == 0) {
    if (note)
      *note = fmt::format("{} recorded {} ({}), but {} holds no rows in {} now (emptied or dropped outside sluice): "
                          "loading it again",
                          load_name(prev.id, prev.job_id), by_contents ? "the same contents as " + file : file,
                          prev.file_name, target, range);
    return std::nullopt;
  }
  const std::string there = fmt::format("{} holds {} rows in {} now", target, grouped(rows_still_there), range);
  if (by_contents)
    return usage_error(fmt::format("the contents of {} are already loaded into {}", file, target),
                       fmt::format("{} ({}, {}) has the same checksum; {}", prev.file_name,
                                   load_name(prev.id, prev.job_id), short_time(prev.at), there),
                       "Pass --replace to load it again in place of that month.");
  return usage_error(fmt::format("{} is already loaded into {}", file, target),
                     fmt::format("{} at {}, {} rows; {}", load_name(prev.id, prev.job_id), short_time(prev.at),
                                 grouped(static_cast<std::uint64_t>(prev.rows_loaded)), there),
                     "Pass --replace to replace its date range with this file, or delete the month first.");
}

std::optional<Error> reload_check_before_scan(const ReloadCheckInput& in, const std::optional<HistoryRow>& same_name,
                                              const std::optional<DateRange>& range, bool* range_checked,
                                              std::vector<std::string>& notes) {
  *range_checked = false;
  Warehouse& w = *in.warehouse;
  // A table this load created holds nothing: no query needs to say so.
  const auto rows_now = [&](const std::optional<DateRange>& range) -> std::uint64_t {
    return in.table_is_new ? 0 : rows_in_range(w, *in.table, in.schema, range);
  };
  if (same_name) {
    std::string note;
    const std::uint64_t there = rows_now(same_name->range);
    if (auto refusal = same_file_refusal(in.file, in.target, *same_name, false, there, &note)) return refusal;
    if (!note.empty()) notes.push_back(std::move(note));
  }
  if (!range && !in.table->date_column.empty()) return std::nullopt;  // known after the scan
  *range_checked = true;
  if (in.append) return std::nullopt;
  ReloadFacts facts{in.file, in.target, in.table, in.table->date_column.empty() ? std::nullopt : range, 0, {}};
  facts.rows_there = rows_now(facts.range);
  if (facts.rows_there == 0) return std::nullopt;
  facts.loads_there = loads_overlapping(w, *in.table, facts.range);
  return occupied_range_refusal(facts, in.append);
}

std::optional<Error> reload_check_after_scan(const ReloadCheckInput& in, const std::optional<HistoryRow>& same_contents,
                                             const std::optional<DateRange>& found, bool range_checked,
                                             bool own_rows_in_table,
                                             const std::map<DayNumber, std::uint64_t>& rows_per_day,
                                             std::uint64_t copied, std::vector<std::string>& notes) {
  Warehouse& w = *in.warehouse;
  // Rows there now, less this load's own when they are in the table already.
  const auto rows_before = [&](const std::optional<DateRange>& range) -> std::uint64_t {
    if (in.table_is_new) return 0;
    const std::uint64_t all = rows_in_range(w, *in.table, in.schema, range);
    const std::uint64_t own = own_rows_in_table ? own_rows_in_range(rows_per_day, copied, *in.table, range) : 0;
    return all > own ? all - own : 0;
  };
  if (same_contents) {
    std::string note;
    if (auto refusal = same_file_refusal(in.file, in.target, *same_contents, true, rows_before(same_contents->range), &note))
      return refusal;
    if (!note.empty()) notes.push_back(std::move(note));
  }
  if (range_checked || in.append || !found) return std::nullopt;
  ReloadFacts facts{in.file, in.target, in.table, found, rows_before(found), {}};
  if (facts.rows_there == 0) return std::nullopt;
  facts.loads_there = loads_overlapping(w, *in.table, found);
  return occupied_range_refusal(facts, in.append);
}

}  // namespace sluice

#include "loaders/table_source.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace sluice {

void report_value_problem(const ValueProblem& p, std::string_view target_type, std::string_view fix_where,
                          const ValueProblemHandler& handler) {
  if (handler) return handler(p);
  throw Error(ExitCode::qc_failed, fmt::format("{}.{}: {}", p.table, p.column, p.reason), fmt::format("{}: {}", p.row, p.value),
              fmt::format("The column becomes {} in PostgreSQL. Cast it to a type that takes the value (cast: {{ {}: text }} "
                          "in the migration's table entry), fix the row in {}, or leave such rows out with --on-error skip "
                          "(they are written to a reject file).",
                          target_type, p.column, fix_where));
}

std::string postgres_fingerprint_sql(const std::string& columns, const std::string& relation_and_where) {
  // A row's text as a record prints it (every value in its type's canonical text), hashed with
  // hashtextextended (PostgreSQL 11+); summed as numeric, so the order of rows does not matter.
  return fmt::format("SELECT count(*), coalesce(sum(hashtextextended(ROW({})::text, 0)), 0)::text FROM {}", columns,
                     relation_and_where);
}

std::string watermark_window_sql(const std::vector<std::string>& columns, const std::vector<std::string>& from,
                                 bool from_inclusive, const std::vector<std::string>& to, bool with_nulls) {
  // (c_i.., c_n) compared with (v_i.., v_n): c_i <op> v_i when it is the last column, else
  // c_i <strict op> v_i OR (c_i = v_i AND the rest).
  const auto compare = [&](const std::vector<std::string>& values, const char* strict, const char* last_op) {
    std::string out;
    for (std::size_t i = columns.size(); i-- > 0;)
      out = i + 1 == columns.size() ? fmt::format("{} {} {}", columns[i], last_op, values[i])
                                    : fmt::format("({0} {1} {2} OR ({0} = {2} AND {3}))", columns[i], strict, values[i], out);
    return out;
  };
  std::vector<std::string> conditions;
  for (const auto& c : columns) conditions.push_back(c + " IS NOT NULL");
  if (!from.empty()) conditions.push_back(compare(from, ">", from_inclusive ? ">=" : ">"));
  if (!to.empty()) conditions.push_back(compare(to, "<", "<="));
  std::string values = "(" + fmt::format("{}", fmt::join(conditions, " AND ")) + ")";
  if (!with_nulls) return values;
  std::vector<std::string> nulls;
  for (const auto& c : columns) nulls.push_back(c + " IS NULL");
  return fmt::format("({} OR {})", values, fmt::join(nulls, " OR "));
}

std::string SourceRange::label() const {
  return column.empty() ? std::string("all rows") : fmt::format("{} {}..{}", column, first, last);
}

std::vector<SourceRange> equal_ranges(const std::string& column, std::int64_t lo, std::int64_t hi, std::size_t parts) {
  // Widths in unsigned arithmetic: hi - lo can exceed int64 (min and max of a bigint).
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  if (parts <= 1) return {SourceRange{column, lo, hi}};
  // span + 1 values in ceil((span + 1) / parts)-wide ranges, without computing span + 1 (which
  // overflows for a whole bigint range).
  const std::uint64_t width = span / parts + 1;
  std::vector<SourceRange> out;
  for (std::uint64_t start = 0;; start += width) {
    SourceRange r;
    r.column = column;
    r.first = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + start);
    const bool last = span - start < width;
    r.last = last ? hi : static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + start + width - 1);
    out.push_back(r);
    if (last) break;
  }
  return out;
}

CopyBatcher::CopyBatcher(ChunkSink& sink, std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel,
                         std::string subject)
    : sink_(sink), chunk_bytes_(chunk_bytes), progress_(progress), cancel_(cancel), subject_(std::move(subject)) {
  batch_.reserve(chunk_bytes + (64u << 10));
  chunk_.first_line = 1;
}

void CopyBatcher::end_row() {
  ++chunk_.rows;
  if (batch_.size() < chunk_bytes_) return;
  if (cancel_.cancelled()) throw runtime_error("cancelled", "the copy was interrupted before it finished", "");
  flush();
}

std::uint64_t CopyBatcher::finish() {
  flush();
  return rows_total_;
}

void CopyBatcher::flush() {
  if (batch_.empty()) return;  // (bytes without a row: a binary COPY's header or trailer)
  chunk_.copy_data = batch_.data();
  chunk_.copy_size = batch_.size();
  chunk_.stream_bytes = batch_.size();
  sink_.consume(chunk_);
  rows_total_ += chunk_.rows;
  bytes_total_ += batch_.size();
  progress_.update({"copy", subject_, bytes_total_, 0, rows_total_});
  chunk_.stream_offset = bytes_total_;
  chunk_.first_row = rows_total_;
  chunk_.first_line = rows_total_ + 1;
  ++chunk_.index;
  chunk_.rows = 0;
  batch_.clear();
}

}  // namespace sluice

#include "loaders/postgres/postgres_source.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/postgres/dialect.h"

namespace sluice {

std::string SourceRange::label() const {
  return column.empty() ? std::string("all rows") : fmt::format("{} {}..{}", column, first, last);
}

namespace {

std::string relation(const SourceTable& t) { return pg::quote_identifier(t.schema) + "." + pg::quote_identifier(t.name); }

const SourceColumn& find_column(const SourceTable& t, const std::string& name) {
  for (const auto& c : t.columns)
    if (c.name == name) return c;
  std::string names;
  for (const auto& c : t.columns) names += (names.empty() ? "" : ", ") + c.name;
  throw usage_error(fmt::format("{}.{} has no column {}", t.schema, t.name, name), "its columns: " + names,
                    "Name one of its columns (an integer one, to cut the table into ranges).");
}

}  // namespace

SourceTable PostgresTableSource::describe(const std::string& schema, const std::string& table) {
  // Names as the catalog holds them: the caller quotes nothing and folds nothing.
  auto res = conn_.query(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, "
      "greatest(c.reltuples, 0)::bigint FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
      "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      {schema, table});
  if (res.rows() == 0)
    throw usage_error(fmt::format("table {}.{} does not exist", schema, table), conn_.describe(),
                      "Check the schema and table names (they are compared as the catalog spells them).");
  SourceTable t;
  t.schema = schema;
  t.name = table;
  t.estimated_rows = static_cast<std::uint64_t>(res.get_int(0, 3));
  for (int r = 0; r < res.rows(); ++r) {
    SourceColumn c;
    c.name = std::string(res.get(r, 0));
    c.declared_type = std::string(res.get(r, 1));
    c.type = pg::column_type_from_catalog(c.declared_type);
    c.nullable = res.get(r, 2) == "t";
    t.columns.push_back(std::move(c));
  }
  return t;
}

std::vector<SourceRange> PostgresTableSource::plan_ranges(const SourceTable& t, const std::string& chunk_by,
                                                          std::size_t parts) {
  if (chunk_by.empty() || parts <= 1) return {SourceRange{}};
  const SourceColumn& c = find_column(t, chunk_by);
  if (!c.type || !c.type->is_integer())
    throw usage_error(fmt::format("{}.{}.{} is {}, not an integer", t.schema, t.name, c.name, c.declared_type), "",
                      "Cut the table by an integer column (an id), or copy it whole.");
  auto res = conn_.query(fmt::format("SELECT min({0})::text, max({0})::text FROM {1}", pg::quote_identifier(c.name), relation(t)));
  if (res.is_null(0, 0)) return {SourceRange{}};  // empty, or every value NULL
  const std::int64_t lo = std::stoll(std::string(res.get(0, 0))), hi = std::stoll(std::string(res.get(0, 1)));
  // Widths in unsigned arithmetic: hi - lo can exceed int64 (min and max of a bigint).
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t width = std::max<std::uint64_t>(1, span / parts + (span % parts ? 1 : 0));
  std::vector<SourceRange> out;
  for (std::uint64_t start = 0;; start += width) {
    SourceRange r;
    r.column = c.name;
    r.first = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + start);
    const bool last = span - start < width;
    r.last = last ? hi : static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + start + width - 1);
    out.push_back(r);
    if (last) break;
  }
  return out;
}

std::uint64_t PostgresTableSource::read_range(const SourceTable& t, const SourceRange& range, ChunkSink& sink,
                                              std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel) {
  std::string columns;
  for (const auto& c : t.columns) columns += (columns.empty() ? "" : ", ") + pg::quote_identifier(c.name);
  std::string where;
  if (!range.column.empty()) {
    const std::string col = pg::quote_identifier(range.column);
    where = fmt::format(" WHERE {} BETWEEN {} AND {}", col, range.first, range.last);
    // NULLs of the chunk column belong to no range of values: the last range takes them.
    auto res = conn_.query(fmt::format("SELECT max({})::text FROM {}", col, relation(t)));
    if (!res.is_null(0, 0) && std::stoll(std::string(res.get(0, 0))) == range.last) where += fmt::format(" OR {} IS NULL", col);
  }
  std::string batch;
  batch.reserve(chunk_bytes + (64u << 10));
  ScannedChunk chunk;
  chunk.first_line = 1;
  std::uint64_t rows_total = 0, bytes_total = 0;
  const std::string subject = fmt::format("{}.{} {}", t.schema, t.name, range.label());
  const auto flush = [&] {
    if (chunk.rows == 0) return;
    chunk.copy_data = batch.data();
    chunk.copy_size = batch.size();
    chunk.stream_bytes = batch.size();
    sink.consume(chunk);
    rows_total += chunk.rows;
    bytes_total += batch.size();
    progress.update({"copy", subject, bytes_total, 0, rows_total});
    chunk.stream_offset = bytes_total;
    chunk.first_row = rows_total;
    chunk.first_line = rows_total + 1;  // a table has no lines: its rows are numbered from 1
    ++chunk.index;
    chunk.rows = 0;
    batch.clear();
  };
  conn_.copy_out(fmt::format("COPY (SELECT {} FROM {}{}) TO STDOUT", columns, relation(t), where),
                 [&](const char* data, std::size_t size) {
                   batch.append(data, size);
                   ++chunk.rows;
                   if (batch.size() >= chunk_bytes) {
                     if (cancel.cancelled())
                       throw runtime_error("cancelled", "the copy was interrupted before it finished", "");
                     flush();
                   }
                 });
  flush();
  return rows_total;
}

}  // namespace sluice

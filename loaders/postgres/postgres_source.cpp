#include "loaders/postgres/postgres_source.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "warehouse/postgres/dialect.h"

namespace sluice {

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

std::vector<std::string> PostgresTableSource::list_tables(const std::string& schema) {
  auto res = conn_.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
                         {schema.empty() ? std::string("public") : schema});
  std::vector<std::string> out;
  for (int r = 0; r < res.rows(); ++r) out.emplace_back(res.get(r, 0));
  return out;
}

SourceTable PostgresTableSource::describe(const std::string& schema_or_default, const std::string& table) {
  // Names as the catalog holds them: the caller quotes nothing and folds nothing.
  const std::string schema = schema_or_default.empty() ? std::string("public") : schema_or_default;
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
    c.mapping = postgres_column_mapping(c.declared_type);
    t.columns.push_back(std::move(c));
  }
  // Indexes on plain columns, the primary key apart; an index on an expression or with a
  // WHERE is the target's to rebuild by hand, and is left out.
  auto idx = conn_.query(
      "SELECT i.relname, x.indisprimary, x.indisunique, array_to_string(array_agg(a.attname ORDER BY k.n), chr(9)), "
      "bool_and(k.attnum > 0) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
      "JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) "
      "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
      "WHERE n.nspname = $1 AND c.relname = $2 AND k.n <= x.indnkeyatts AND x.indpred IS NULL GROUP BY 1, 2, 3 ORDER BY 1",
      {schema, table});
  for (int r = 0; r < idx.rows(); ++r) {
    if (idx.get(r, 4) != "t") continue;
    std::vector<std::string> columns;
    const std::string list(idx.get(r, 3));
    for (std::size_t start = 0;;) {
      const std::size_t tab = list.find('\t', start);
      columns.push_back(list.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (idx.get(r, 1) == "t") t.primary_key = std::move(columns);
    else t.indexes.push_back(SourceIndex{std::string(idx.get(r, 0)), idx.get(r, 2) == "t", std::move(columns)});
  }
  return t;
}

std::uint64_t PostgresTableSource::count_rows(const SourceTable& t) {
  auto res = conn_.query(fmt::format("SELECT count(*) FROM {}{}", relation(t), range_where(t, SourceRange{})));
  return static_cast<std::uint64_t>(res.get_int(0, 0));
}

void PostgresTableSource::make_print_settings() {
  if (!print_settings_made_) conn_.exec(kFingerprintSettings);
  print_settings_made_ = true;
}

WatermarkExtent PostgresTableSource::watermark_extent(const SourceTable& t, const std::vector<std::string>& columns) {
  make_print_settings();
  SourceTable whole = t;
  whole.window.reset();
  const std::string where = range_where(whole, SourceRange{});
  std::string texts, not_null, is_null, descending;
  for (const auto& c : columns) {
    const std::string q = pg::quote_identifier(c);
    texts += (texts.empty() ? "" : ", ") + q + "::text";
    not_null += (not_null.empty() ? "" : " AND ") + q + " IS NOT NULL";
    is_null += (is_null.empty() ? "" : " OR ") + q + " IS NULL";
    // (qualified: a bare name in ORDER BY would be the output column, the value's text)
    descending += std::string(descending.empty() ? "" : ", ") + "source_table." + q + " DESC";
  }
  const std::string and_ = where.empty() ? " WHERE " : " AND ";
  WatermarkExtent out;
  auto max = conn_.query(
      fmt::format("SELECT {} FROM {} AS source_table{}{}{} ORDER BY {} LIMIT 1", texts, relation(t), where, and_, not_null, descending));
  if (max.rows() > 0) {
    out.max.emplace();
    for (int i = 0; i < max.columns(); ++i) out.max->emplace_back(max.get(0, i));
  }
  out.null_rows = static_cast<std::uint64_t>(
      conn_.query(fmt::format("SELECT count(*) FROM {}{}{}({})", relation(t), where, and_, is_null)).get_int(0, 0));
  return out;
}

std::string PostgresTableSource::lower_watermark(const SourceTable& t, const std::string& column, const std::string& bound,
                                                 double amount) {
  make_print_settings();
  const SourceColumn& c = find_column(t, column);
  std::string sql;
  if (c.type && c.type->is_temporal())
    sql = fmt::format("SELECT ($1::{0} - make_interval(secs => $2::float8))::{0}::text", c.declared_type);
  else if (c.type && c.type->is_integer())
    sql = fmt::format("SELECT floor($1::{0}::numeric - $2::numeric)::{0}::text", c.declared_type);
  else if (c.type && (c.type->kind == ColumnKind::numeric || c.type->kind == ColumnKind::real ||
                      c.type->kind == ColumnKind::double_precision))
    sql = fmt::format("SELECT ($1::{0} - $2::numeric::{0})::text", c.declared_type);
  else
    throw usage_error(fmt::format("{}.{}.{} is {}: a lookback lowers a number, a date or a time", t.schema, t.name, c.name,
                                  c.declared_type),
                      "", "Remove lookback from the entry.");
  return std::string(conn_.query(sql, {bound, fmt::format("{}", amount)}).get(0, 0));
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
  return equal_ranges(c.name, lo, hi, parts);
}

std::string PostgresTableSource::range_where(const SourceTable& t, const SourceRange& range) {
  std::string where;
  if (!range.column.empty()) {
    const std::string col = pg::quote_identifier(range.column);
    where = fmt::format(" WHERE ({} BETWEEN {} AND {}", col, range.first, range.last);
    // NULLs of the chunk column belong to no range of values: the last range takes them.
    auto res = conn_.query(fmt::format("SELECT max({})::text FROM {}", col, relation(t)));
    if (!res.is_null(0, 0) && std::stoll(std::string(res.get(0, 0))) == range.last) where += fmt::format(" OR {} IS NULL", col);
    where += ")";
  }
  if (!t.filter.empty()) where += fmt::format("{} ({})", where.empty() ? " WHERE" : " AND", t.filter);
  if (t.window) {
    const WatermarkWindow& w = *t.window;
    std::vector<std::string> columns, from, to, settings;
    std::vector<std::optional<std::string>> values;
    for (std::size_t i = 0; i < w.columns.size(); ++i) {
      const SourceColumn& c = find_column(t, w.columns[i]);
      columns.push_back(pg::quote_identifier(c.name));
      for (auto [bound, name, out] : {std::tuple{&w.from, "from", &from}, std::tuple{&w.to, "to", &to}}) {
        if (bound->empty()) continue;
        const std::string setting = fmt::format("sluice.wm_{}_{}", name, i);
        out->push_back(fmt::format("current_setting('{}')::{}", setting, c.declared_type));
        settings.push_back(fmt::format("set_config('{}', ${}, false)", setting, values.size() + 1));
        values.emplace_back(bound->at(i));
      }
    }
    if (!settings.empty()) conn_.query(fmt::format("SELECT {}", fmt::join(settings, ", ")), values);
    where += fmt::format("{} {}", where.empty() ? " WHERE" : " AND",
                         watermark_window_sql(columns, from, w.from_inclusive, to, w.with_nulls));
  }
  return where;
}

std::optional<RangeFingerprint> PostgresTableSource::fingerprint(const SourceTable& t, const SourceRange& range) {
  if (!copies_binary(t)) return std::nullopt;
  make_print_settings();
  std::string columns;
  for (const auto& c : t.columns) columns += (columns.empty() ? "" : ", ") + pg::quote_identifier(c.name);
  auto res = conn_.query(postgres_fingerprint_sql(columns, relation(t) + range_where(t, range)));
  return RangeFingerprint{static_cast<std::uint64_t>(res.get_int(0, 0)), {std::string(res.get(0, 1))}};
}

std::string PostgresTableSource::target_fingerprint_sql(const SourceTable& t, const std::vector<std::string>& target_columns,
                                                        const std::string& relation_and_where) const {
  // Both servers print each value in its own type (the same: every column kept its type), with
  // the verify connection's print settings (kFingerprintSettings) made the same.
  if (!copies_binary(t)) return {};
  std::string columns;
  for (const auto& c : target_columns) columns += (columns.empty() ? "" : ", ") + c;
  return postgres_fingerprint_sql(columns, relation_and_where);
}

bool PostgresTableSource::copies_binary(const SourceTable& t) const {
  return std::all_of(t.columns.begin(), t.columns.end(),
                     [](const SourceColumn& c) { return c.mapping.kind == ValueKind::passthrough && !c.mapping.cast; });
}

std::uint64_t PostgresTableSource::read_range(const SourceTable& t, const SourceRange& range, ChunkSink& sink,
                                              std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel,
                                              const ValueProblemHandler&) {
  std::string columns;
  for (const auto& c : t.columns) columns += (columns.empty() ? "" : ", ") + pg::quote_identifier(c.name);
  const std::string where = range_where(t, range);
  CopyBatcher batcher(sink, chunk_bytes, progress, cancel, fmt::format("{}.{} {}", t.schema, t.name, range.label()));
  if (!t.binary || !copies_binary(t)) {
    conn_.copy_out(fmt::format("COPY (SELECT {} FROM {}{}) TO STDOUT", columns, relation(t), where),
                   [&](const char* data, std::size_t size) {
                     batcher.text().append(data, size);
                     batcher.end_row();
                   });
    return batcher.finish();
  }
  // Binary COPY (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): an
  // 11-byte signature, flags and header extension length (19 bytes), then one message per tuple,
  // then a 16-bit -1 trailer. The server sends the header with the first tuple (or with the
  // trailer when there is none), so a message is a row unless it is only the header, the trailer
  // or both.
  constexpr std::size_t kHeader = 19;
  bool first = true;
  conn_.copy_out(fmt::format("COPY (SELECT {} FROM {}{}) TO STDOUT (FORMAT binary)", columns, relation(t), where),
                 [&](const char* data, std::size_t size) {
                   batcher.text().append(data, size);
                   std::string_view tuple(data, size);
                   if (first && size >= kHeader) tuple.remove_prefix(kHeader);
                   first = false;
                   if (tuple.empty() || tuple == std::string_view("\xff\xff", 2)) return;
                   batcher.end_row();
                 });
  return batcher.finish();
}

}  // namespace sluice

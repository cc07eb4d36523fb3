#include "loaders/sqlite/sqlite_source.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/text_format.h"
#include "loaders/sqlite/sqlite_values.h"

namespace sluice {
namespace {

std::string relation(const SourceTable& t) { return sqlite_identifier(t.name); }

std::string column_list(const SourceTable& t) {
  std::string out;
  for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + sqlite_identifier(c.name);
  return out;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

sqlite::Value value_of(const sqlite::Statement& st, int column) {
  sqlite::Value v;
  switch (st.storage_class(column)) {
    case SQLITE_INTEGER: v.storage = sqlite::StorageClass::integer, v.integer = st.int64(column); break;
    case SQLITE_FLOAT: v.storage = sqlite::StorageClass::real, v.real = st.real(column); break;
    case SQLITE_TEXT: v.storage = sqlite::StorageClass::text, v.bytes = st.bytes(column); break;
    case SQLITE_BLOB: v.storage = sqlite::StorageClass::blob, v.bytes = st.bytes(column); break;
    default: break;
  }
  return v;
}

}  // namespace

std::string sqlite_identifier(std::string_view name) { return double_quoted(name); }

std::string StorageCounts::only_class() const {
  const int kinds = (integers > 0) + (reals > 0) + (texts > 0) + (blobs > 0);
  if (kinds != 1) return "";
  return integers ? "integer" : reals ? "real" : texts ? "text" : "blob";
}

SqliteTableSource::SqliteTableSource(const std::filesystem::path& path)
    : db_(path, sqlite::OpenMode::read_only, "the SQLite source") {
  db_.set_busy_timeout(5000);
}

std::vector<std::string> SqliteTableSource::list_tables(const std::string&) {
  sqlite::Statement st(db_,
                       "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                       "ORDER BY name",
                       "listing the tables");
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

SourceTable SqliteTableSource::describe(const std::string&, const std::string& table) {
  SourceTable t;
  t.schema = "main";
  {
    // SQLite compares table names without regard to case; the file's own spelling is kept.
    sqlite::Statement st(db_, "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE",
                         "looking up the table");
    st.bind(1, table);
    if (!st.step()) {
      std::string names;
      for (const auto& n : list_tables("")) names += (names.empty() ? "" : ", ") + n;
      throw usage_error(fmt::format("table {} is not in {}", table, db_.path().string()),
                        names.empty() ? "the file holds no tables" : "its tables: " + names,
                        "Check the table name in the migration's tables:.");
    }
    t.name = st.text(0);
  }
  bool without_rowid = false;
  {
    sqlite::Statement st(db_, "SELECT wr FROM pragma_table_list(?1)", "reading the table's kind");
    st.bind(1, t.name);
    if (st.step()) without_rowid = st.int64(0) != 0;
  }
  std::vector<std::pair<int, std::string>> key;
  {
    // hidden: 0 an ordinary column, 2 and 3 generated ones (their values are read like any other),
    // 1 a virtual table's hidden column (not part of its rows).
    sqlite::Statement st(db_, "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
                         "reading the table's columns");
    st.bind(1, t.name);
    while (st.step()) {
      if (st.int64(4) == 1) continue;
      SourceColumn c;
      c.name = st.text(0);
      c.declared_type = st.text(1);
      c.nullable = st.int64(2) == 0;
      c.mapping = sqlite_column_mapping(c.declared_type);
      if (const auto pk = st.int64(3); pk > 0) key.emplace_back(static_cast<int>(pk), c.name);
      t.columns.push_back(std::move(c));
    }
  }
  std::sort(key.begin(), key.end());
  for (auto& [position, name] : key) t.primary_key.push_back(name);
  // An INTEGER PRIMARY KEY is the rowid itself: never NULL, a 64-bit integer.
  if (!without_rowid && key.size() == 1)
    for (auto& c : t.columns)
      if (c.name == key[0].second && equals_nocase(c.declared_type, "integer")) c.nullable = false;
  if (!without_rowid) t.row_id = "rowid";
  {
    sqlite::Statement st(db_, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY name",
                         "reading the table's indexes");
    st.bind(1, t.name);
    while (st.step()) {
      if (st.text(2) == "pk" || st.int64(3) != 0) continue;  // the key is the key; a partial index is left out
      SourceIndex index{st.text(0), st.int64(1) != 0, {}};
      sqlite::Statement cols(db_, "SELECT name FROM pragma_index_info(?1) ORDER BY seqno", "reading an index's columns");
      cols.bind(1, index.name);
      bool on_columns = true;
      while (cols.step()) {
        if (cols.is_null(0)) on_columns = false;  // an expression
        else index.columns.push_back(cols.text(0));
      }
      if (on_columns && !index.columns.empty()) t.indexes.push_back(std::move(index));
    }
  }
  return t;
}

namespace {

// A window's bounds are parameters ?11.. (from) and ?41.. (to): read_range's own are ?1 and ?2.
constexpr int kFromParameter = 11, kToParameter = 41, kMaxWatermarkColumns = 30;

// The conditions every read and count of `t` applies: its filter and its window.
std::vector<std::string> table_conditions(const SourceTable& t) {
  std::vector<std::string> out;
  if (!t.filter.empty()) out.push_back("(" + t.filter + ")");
  if (t.window) {
    const WatermarkWindow& w = *t.window;
    if (w.columns.size() > static_cast<std::size_t>(kMaxWatermarkColumns))
      throw usage_error(fmt::format("{}: a watermark of {} columns", t.name, w.columns.size()), "",
                        fmt::format("Name at most {} columns in watermark.", kMaxWatermarkColumns));
    std::vector<std::string> columns, from, to;
    for (std::size_t i = 0; i < w.columns.size(); ++i) {
      columns.push_back(sqlite_identifier(w.columns[i]));
      if (!w.from.empty()) from.push_back(fmt::format("?{}", kFromParameter + i));
      if (!w.to.empty()) to.push_back(fmt::format("?{}", kToParameter + i));
    }
    out.push_back(watermark_window_sql(columns, from, w.from_inclusive, to, w.with_nulls));
  }
  return out;
}

std::string where_clause(const std::vector<std::string>& conditions) {
  return conditions.empty() ? "" : fmt::format(" WHERE {}", fmt::join(conditions, " AND "));
}

// A value as "<storage class>:<text>", and bound back as that class.
std::string typed_value(const sqlite::Statement& st, int column) {
  switch (st.storage_class(column)) {
    case SQLITE_INTEGER: return fmt::format("integer:{}", st.int64(column));
    case SQLITE_FLOAT: return fmt::format("real:{}", st.real(column));  // fmt: the shortest digits that read back
    case SQLITE_BLOB: {
      std::string hex = "blob:";
      for (const unsigned char b : st.bytes(column)) hex += fmt::format("{:02x}", b);
      return hex;
    }
    default: return "text:" + std::string(st.bytes(column));
  }
}

void bind_typed(sqlite::Statement& st, int index, const std::string& value) {
  const auto colon = value.find(':');
  const std::string_view kind = std::string_view(value).substr(0, colon), text = std::string_view(value).substr(colon + 1);
  if (kind == "integer") st.bind(index, static_cast<std::int64_t>(std::stoll(std::string(text))));
  else if (kind == "real") st.bind_real(index, std::stod(std::string(text)));
  else if (kind == "blob") {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) bytes += static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16));
    st.bind_blob(index, bytes);
  } else st.bind(index, std::string(text));
}

void bind_window(sqlite::Statement& st, const SourceTable& t) {
  if (!t.window) return;
  for (std::size_t i = 0; i < t.window->from.size(); ++i) bind_typed(st, kFromParameter + static_cast<int>(i), t.window->from[i]);
  for (std::size_t i = 0; i < t.window->to.size(); ++i) bind_typed(st, kToParameter + static_cast<int>(i), t.window->to[i]);
}

}  // namespace

std::uint64_t SqliteTableSource::count_rows(const SourceTable& t) {
  sqlite::Statement st(db_, fmt::format("SELECT count(*) FROM {}{}", relation(t), where_clause(table_conditions(t))),
                       fmt::format("counting the rows of {}", t.name));
  bind_window(st, t);
  st.step();
  return st.uint64(0);
}

WatermarkExtent SqliteTableSource::watermark_extent(const SourceTable& t, const std::vector<std::string>& columns) {
  SourceTable whole = t;
  whole.window.reset();
  std::vector<std::string> quoted, not_null, is_null, descending;
  for (const auto& c : columns) {
    quoted.push_back(sqlite_identifier(c));
    not_null.push_back(quoted.back() + " IS NOT NULL");
    is_null.push_back(quoted.back() + " IS NULL");
    descending.push_back(quoted.back() + " DESC");
  }
  std::vector<std::string> with_values = table_conditions(whole);
  with_values.push_back(fmt::format("{}", fmt::join(not_null, " AND ")));
  WatermarkExtent out;
  sqlite::Statement max(db_, fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT 1", fmt::join(quoted, ", "), relation(t),
                                         where_clause(with_values), fmt::join(descending, ", ")),
                        fmt::format("finding the watermark of {}", t.name));
  if (max.step()) {
    out.max.emplace();
    for (std::size_t i = 0; i < columns.size(); ++i) out.max->push_back(typed_value(max, static_cast<int>(i)));
  }
  std::vector<std::string> with_nulls = table_conditions(whole);
  with_nulls.push_back(fmt::format("({})", fmt::join(is_null, " OR ")));
  sqlite::Statement nulls(db_, fmt::format("SELECT count(*) FROM {}{}", relation(t), where_clause(with_nulls)),
                          fmt::format("counting the rows of {} without a watermark", t.name));
  nulls.step();
  out.null_rows = nulls.uint64(0);
  return out;
}

std::string SqliteTableSource::lower_watermark(const SourceTable& t, const std::string& column, const std::string& bound,
                                               double amount) {
  // Numbers less the amount; text (SQLite has no date type: ISO text, as its date functions read
  // it) the amount in seconds earlier, printed as they print.
  sqlite::Statement st(db_,
                       "SELECT CASE typeof(?1) WHEN 'integer' THEN ?1 - CAST(?2 AS INTEGER) WHEN 'real' THEN ?1 - ?2 "
                       "WHEN 'text' THEN strftime('%Y-%m-%d %H:%M:%f', ?1, '-' || ?2 || ' seconds') END",
                       fmt::format("lowering the watermark of {}.{} by the lookback", t.name, column));
  bind_typed(st, 1, bound);
  st.bind_real(2, amount);
  st.step();
  if (st.is_null(0))
    throw usage_error(fmt::format("{}.{}: the lookback cannot lower the watermark {}", t.name, column, bound.substr(bound.find(':') + 1)),
                      "a lookback lowers a number, or a date or time written as ISO text",
                      "Remove lookback from the entry, or give the table a watermark column of numbers or ISO dates.");
  return typed_value(st, 0);
}

TableProfile SqliteTableSource::profile(const SourceTable& t, const std::vector<bool>& only) {
  TableProfile p;
  p.columns.resize(t.columns.size());
  // Five sums a column; SQLite allows 2000 result columns, so wide tables take several passes.
  constexpr std::size_t kColumnsPerPass = 390;
  for (std::size_t from = 0; from < t.columns.size() || from == 0; from += kColumnsPerPass) {
    std::string select = "count(*)";
    const std::size_t to = std::min(t.columns.size(), from + kColumnsPerPass);
    for (std::size_t i = from; i < to; ++i) {
      const std::string c = !only.empty() && !only[i] ? "NULL" : sqlite_identifier(t.columns[i].name);
      select += fmt::format(", sum(typeof({0}) = 'null'), sum(typeof({0}) = 'integer'), sum(typeof({0}) = 'real'), "
                            "sum(typeof({0}) = 'text'), sum(typeof({0}) = 'blob')",
                            c);
    }
    sqlite::Statement st(db_, fmt::format("SELECT {} FROM {}", select, relation(t)),
                         fmt::format("profiling the values of {}", t.name));
    st.step();
    p.rows = st.uint64(0);
    for (std::size_t i = from; i < to; ++i) {
      const int at = 1 + static_cast<int>(i - from) * 5;
      StorageCounts& s = p.columns[i];
      s.nulls = st.uint64(at), s.integers = st.uint64(at + 1), s.reals = st.uint64(at + 2);
      s.texts = st.uint64(at + 3), s.blobs = st.uint64(at + 4);
      if (!only.empty() && !only[i]) s = StorageCounts{};  // not read
    }
    if (t.columns.empty()) break;
  }
  return p;
}

void SqliteTableSource::type_by_contents(SourceTable& t, const TableProfile& p) {
  for (std::size_t i = 0; i < t.columns.size() && i < p.columns.size(); ++i)
    if (t.columns[i].declared_type.empty() && !t.columns[i].mapping.cast)
      t.columns[i].mapping = sqlite_column_mapping("", p.columns[i].only_class());
}

std::vector<SourceRange> SqliteTableSource::plan_ranges(const SourceTable& t, const std::string& chunk_by,
                                                        std::size_t parts) {
  // A rowid table is cut by rowid whatever chunk_by says: it is the order SQLite stores rows in, so
  // every range is one sequential read. Otherwise by an integer key column, else whole.
  std::string column = t.row_id;
  if (column.empty()) {
    column = chunk_by;
    if (column.empty() && t.primary_key.size() == 1) column = t.primary_key[0];
  }
  if (column.empty() || parts <= 1) return {SourceRange{}};
  sqlite::Statement st(db_,
                       fmt::format("SELECT min({0}), max({0}), sum(typeof({0}) <> 'integer' AND {0} IS NOT NULL) FROM {1}",
                                   column == "rowid" ? "rowid" : sqlite_identifier(column), relation(t)),
                       fmt::format("planning the ranges of {}", t.name));
  st.step();
  if (st.is_null(0) || st.int64(2) != 0) return {SourceRange{}};  // empty, or not integers throughout
  return equal_ranges(column, st.int64(0), st.int64(1), parts);
}

std::uint64_t SqliteTableSource::read_range(const SourceTable& t, const SourceRange& range, ChunkSink& sink,
                                            std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel,
                                            const ValueProblemHandler& problems) {
  const bool by_rowid = !t.row_id.empty();
  std::string sql = fmt::format("SELECT {}{} FROM {}", by_rowid ? "rowid, " : "", column_list(t), relation(t));
  std::vector<std::string> conditions;
  if (!range.column.empty()) {
    const std::string col = range.column == "rowid" ? "rowid" : sqlite_identifier(range.column);
    std::string in_range = fmt::format("{} BETWEEN ?1 AND ?2", col);
    // NULLs of the chunk column belong to no range of values: the last range takes them.
    if (range.column != "rowid") in_range += fmt::format(" OR ({} IS NULL AND ?2 = (SELECT max({}) FROM {}))", col, col, relation(t));
    conditions.push_back("(" + in_range + ")");
  }
  for (auto& c : table_conditions(t)) conditions.push_back(std::move(c));
  sql += where_clause(conditions);
  if (by_rowid) sql += " ORDER BY rowid";
  sqlite::Statement st(db_, sql, fmt::format("reading {}", t.name));
  if (!range.column.empty()) st.bind(1, range.first).bind(2, range.last);
  bind_window(st, t);

  CopyBatcher batcher(sink, chunk_bytes, progress, cancel, fmt::format("{} {}", t.name, range.label()));
  const int first_value = by_rowid ? 1 : 0;
  std::string reason;
  std::uint64_t row_number = 0;  // in the range, for a table without a rowid
  while (st.step()) {
    ++row_number;
    std::string& out = batcher.text();
    const std::size_t row_start = out.size();
    bool refused = false;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (i) out += '\t';
      const sqlite::Value v = value_of(st, first_value + static_cast<int>(i));
      if (sqlite::append_copy_value(out, t.columns[i].mapping, v, reason)) continue;
      ValueProblem problem{t.name, t.columns[i].name,
                           by_rowid ? fmt::format("rowid {}", st.int64(0)) : fmt::format("row {} of {}", row_number, range.label()),
                           sqlite::display_value(v), reason};
      report_value_problem(problem, t.columns[i].mapping.target_type, "the file", problems);
      refused = true;
      break;
    }
    if (refused) {
      out.resize(row_start);
      continue;
    }
    out += '\n';
    batcher.end_row();
  }
  return batcher.finish();
}

}  // namespace sluice

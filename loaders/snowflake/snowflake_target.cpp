#include "loaders/snowflake/snowflake_target.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/snowflake/dialect.h"
#include "warehouse/snowflake/snowflake_warehouse.h"

namespace sluice {
namespace {

namespace sf = snowflake;

constexpr std::size_t kMaxFilesPerCopy = 1000;

std::string upper(std::string_view s) { return sf::normalize_identifier(s); }

std::string lit(std::string_view v) { return sf::string_literal(v); }

std::string checksum_text(std::uint64_t c) { return fmt::format("{:016x}", c); }

// As on PostgreSQL: a load whose whole range a later `sluice delete` removed (and no restore undid)
// is no longer in the table, so loading its file again is not a reload. "L" is the load's row.
std::string not_deleted_since(const std::string& history) {
  return fmt::format("NOT EXISTS (SELECT 1 FROM {} \"D\" WHERE \"D\".\"TABLE_NAME\" = \"L\".\"TABLE_NAME\" AND "
                     "\"D\".\"OPERATION\" = 'delete' AND \"D\".\"REPLACED_BY\" IS NULL AND \"D\".\"ID\" > \"L\".\"ID\" AND "
                     "\"D\".\"DATE_FROM\" <= \"L\".\"DATE_FROM\" AND \"D\".\"DATE_TO\" >= \"L\".\"DATE_TO\")",
                     history);
}

struct Statement {
  enum Kind { other, remove_range, copy, insert_staged } kind = other;
  std::size_t file = 0;
  std::uint64_t expected_rows = 0;
  std::string sql;
};

std::string range_condition(const TableSpec& table, const DateRange& range) {
  const int idx = table.date_column_index();
  const ColumnSpec& col = table.columns.at(static_cast<std::size_t>(idx));
  const std::string c = sf::identifier(col.name);
  if (col.type.is_temporal())
    return fmt::format("{} >= {} AND {} < {}", c, lit(format_iso(range.first)), c,
                       lit(format_iso(range.last + 1)));
  if (col.type.is_integer() || col.type.kind == ColumnKind::numeric)
    return fmt::format("{} BETWEEN {} AND {}", c, format_compact(range.first), format_compact(range.last));
  // A text date column: every spelling the file QC accepts for each day of the range.
  std::string days;
  for (DayNumber d = range.first; d <= range.last; ++d) {
    const CivilDate cd = civil_from_days(d);
    for (const std::string& s : {format_iso(d), format_compact(d),
                                 fmt::format("{:02}/{:02}/{:04}", cd.month, cd.day, cd.year),
                                 fmt::format("{}/{}/{:04}", cd.month, cd.day, cd.year)})
      days += (days.empty() ? "" : ", ") + lit(s);
  }
  return fmt::format("{} IN ({})", c, days);
}

// The COPY statements of one file's staged parts into `table` (at most 1000 names each).
void copy_statements(std::vector<Statement>& out, std::size_t i, const SnowflakeFileLoad& f, const std::string& table,
                     const std::string& stage) {
  std::string columns;
  for (const auto& c : f.table->columns) columns += (columns.empty() ? "" : ", ") + sf::identifier(c.name);
  for (std::size_t from = 0; from < f.parts.size(); from += kMaxFilesPerCopy) {
    const std::size_t to = std::min(f.parts.size(), from + kMaxFilesPerCopy);
    std::string names;
    std::uint64_t rows = 0;
    for (std::size_t p = from; p < to; ++p) {
      names += (names.empty() ? "" : ", ") + lit(f.parts[p].name);
      rows += f.parts[p].rows;
    }
    out.push_back({Statement::copy, i, rows,
                   fmt::format("COPY INTO {} ({}) FROM @{}/{} FILES = ({}) FILE_FORMAT = {} "
                               "ON_ERROR = ABORT_STATEMENT PURGE = TRUE",
                               table, columns, sf::identifier(stage), f.stage_dir, names,
                               SnowflakeTarget::file_format(f.table->columns.size()))});
  }
}

std::vector<Statement> build(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id,
                             const std::string& schema, const std::string& stage,
                             const std::string& history) {
  std::vector<Statement> out;
  out.push_back({Statement::other, 0, 0, "BEGIN"});
  for (std::size_t i = 0; i < files.size(); ++i) {
    const SnowflakeFileLoad& f = files[i];
    const TableSpec& t = *f.table;
    const std::string table = sf::qualified(schema, t.table);
    const HistoryRecord& h = f.history;
    const auto opt_date = [](const std::optional<DateRange>& r, bool first) {
      // CAST: in INSERT ... SELECT a bare literal would be text to PostgreSQL (the emulator).
      return fmt::format("CAST({} AS DATE)", r ? lit(format_iso(first ? r->first : r->last)) : "NULL");
    };
    // The history row first: with --replace it counts the rows about to be deleted. Then the
    // rows it replaces (loads, deletes and restores overlapping the range) point at it.
    const std::string deleted =
        f.replace ? fmt::format("(SELECT COUNT(*) FROM {} WHERE {})", table, range_condition(t, *f.replace))
                  : std::string("0");
    out.push_back({Statement::other, i, 0,
                   fmt::format("INSERT INTO {} (\"TABLE_NAME\", \"FILE_NAME\", \"FILE_PATH\", \"FILE_SIZE\", "
                               "\"FILE_CHECKSUM\", \"COMPRESSION\", \"QC_MODE\", \"ROWS_LOADED\", "
                               "\"ROWS_DELETED\", \"ROWS_REJECTED\", \"DATE_FROM\", \"DATE_TO\", "
                               "\"JOB_ID\", \"STAGED_FILES\", \"OPERATION\", \"CONTENT_CHECKSUM\") SELECT {}, {}, {}, {}, {}, "
                               "{}, {}, {}, {}, {}, {}, {}, {}, {}, 'load', {}",
                               history, lit(upper(t.table)), lit(h.file_name), lit(h.file_path), h.file_size,
                               lit(checksum_text(h.file_checksum)), lit(h.compression), lit(h.qc_mode),
                               h.rows_loaded, deleted, h.rows_rejected, opt_date(h.range, true),
                               opt_date(h.range, false), job_id, f.parts.size(),
                               lit(checksum_text(h.content_checksum)))});
    if (f.replace)
      out.push_back({Statement::other, i, 0,
                     fmt::format("UPDATE {h} SET \"REPLACED_BY\" = \"REPLACING\".\"NEW_ID\" FROM (SELECT MAX(\"ID\") AS "
                                 "\"NEW_ID\" FROM {h} WHERE \"TABLE_NAME\" = {t} AND \"JOB_ID\" = {job} AND "
                                 "\"OPERATION\" = 'load' AND \"FILE_NAME\" = {file}) \"REPLACING\" WHERE \"TABLE_NAME\" = {t} AND "
                                 "\"REPLACED_BY\" IS NULL AND \"ID\" <> \"REPLACING\".\"NEW_ID\" AND \"DATE_FROM\" <= {last} "
                                 "AND \"DATE_TO\" >= {first}",
                                 fmt::arg("h", history), fmt::arg("t", lit(upper(t.table))), fmt::arg("job", job_id),
                                 fmt::arg("file", lit(h.file_name)), fmt::arg("last", opt_date(f.replace, false)),
                                 fmt::arg("first", opt_date(f.replace, true)))});
    if (f.replace)
      out.push_back({Statement::remove_range, i, 0,
                     fmt::format("DELETE FROM {} WHERE {}", table, range_condition(t, *f.replace))});
    if (!f.staging_table.empty()) {
      // --qc warehouse: the checked rows go over from the staging table.
      std::string columns;
      for (const auto& c : t.columns) columns += (columns.empty() ? "" : ", ") + sf::identifier(c.name);
      out.push_back({Statement::insert_staged, i, f.history.rows_loaded,
                     fmt::format("INSERT INTO {} ({cols}) SELECT {cols} FROM {}", table,
                                 sf::qualified(schema, f.staging_table), fmt::arg("cols", columns))});
      continue;
    }
    copy_statements(out, i, f, table, stage);
  }
  out.push_back({Statement::other, 0, 0, "COMMIT"});
  return out;
}

}  // namespace

SnowflakeTarget::SnowflakeTarget(snowflake::SqlApiClient& sql, std::string schema, std::string stage_name)
    : sql_(sql), schema_(std::move(schema)), stage_(std::move(stage_name)) {
  if (stage_.empty())
    throw usage_error("the Snowflake connection's stage has no name",
                      "COPY INTO reads the staged files through a named external stage.",
                      "Add name: to the stage entry (the stage created with CREATE STAGE ... URL = "
                      "the stage url).");
}

std::string SnowflakeTarget::qualified_table(const TableSpec& t) const { return sf::qualified(schema_, t.table); }

std::string SnowflakeTarget::history_table() const { return sf::load_history_table(schema_); }

std::string SnowflakeTarget::file_format(std::size_t columns) {
  // Every option that decides what a byte of the staged CSV means is spelled out, and each is one
  // Snowflake documents (COPY INTO <table>, "Format type options", and "Data unloading
  // considerations: Empty strings and NULL values"; quoted in docs/snowflake.md):
  // - FIELD_DELIMITER tab, RECORD_DELIMITER newline, MULTI_LINE: a newline inside an enclosed
  //   value is the value's;
  // - FIELD_OPTIONALLY_ENCLOSED_BY '"': an enclosed value is the string between the quotes, with
  //   "" for a quote ("When a field contains this character, escape it using the same character");
  // - ESCAPE and ESCAPE_UNENCLOSED_FIELD NONE: no escape character, so a backslash is a backslash
  //   (the unenclosed escape defaults to backslash, whose decoding of other sequences is
  //   undocumented);
  // - NULL_IF () with EMPTY_FIELD_AS_NULL: only an empty unenclosed field is NULL; "" is the
  //   empty string, and no text (\N included) means NULL;
  // - SKIP_BYTE_ORDER_MARK: a file starting with one loses it, so such a first value is enclosed;
  // - SKIP_BLANK_LINES FALSE: "blank lines produce an end-of-record error". A one-column table's
  //   NULL would be one, so its records carry a second, empty field, and ERROR_ON_COLUMN_COUNT_MISMATCH
  //   is FALSE for it: then "the matching fields are loaded in order of occurrence in the file and
  //   the remaining fields are not loaded" (every record has two fields, as that option assumes);
  // - TRIM_SPACE FALSE, SKIP_HEADER 0, ENCODING UTF8, REPLACE_INVALID_CHARACTERS FALSE.
  return fmt::format("(TYPE = CSV FIELD_DELIMITER = '\\t' RECORD_DELIMITER = '\\n' MULTI_LINE = TRUE "
                     "COMPRESSION = ZSTD FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE = NONE "
                     "ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE SKIP_BYTE_ORDER_MARK = TRUE "
                     "TRIM_SPACE = FALSE SKIP_HEADER = 0 SKIP_BLANK_LINES = FALSE ERROR_ON_COLUMN_COUNT_MISMATCH = {} "
                     "ENCODING = 'UTF8' REPLACE_INVALID_CHARACTERS = FALSE)",
                     columns == 1 ? "FALSE" : "TRUE");
}

void SnowflakeTarget::ensure_history_table() {
  sql_.execute(sf::load_history_ddl(schema_));
  sql_.execute(sf::load_history_upgrade_sql(schema_));
}

std::string SnowflakeTarget::create_staging_table(const TableSpec& table, std::int64_t job_id, std::size_t file_index) {
  // Transient: no Fail-safe and at most a day of Time Travel for rows that live minutes. One per
  // file: two months of one table in one load are checked (and published) apart.
  const std::string name = fmt::format("{}__SLUICE_STAGE_{}_{}", upper(table.table), job_id, file_index + 1);
  std::string cols;
  for (const auto& c : table.columns) cols += (cols.empty() ? "" : ", ") + sf::identifier(c.name) + " " + sf::type_name(c.type);
  sql_.execute(fmt::format("CREATE OR REPLACE TRANSIENT TABLE {} ({})", sf::qualified(schema_, name), cols));
  return name;
}

std::uint64_t SnowflakeTarget::copy_to_staging(const SnowflakeFileLoad& file, const std::string& staging) {
  std::vector<Statement> statements;
  copy_statements(statements, 0, file, sf::qualified(schema_, staging), stage_);
  std::uint64_t loaded = 0, staged = 0;
  for (const auto& s : statements) {
    const snowflake::ResultSet rs = sql_.execute(s.sql);
    staged += s.expected_rows;
    const int rows_loaded = rs.column("rows_loaded");
    if (rows_loaded < 0) continue;
    for (const auto& row : rs.rows)
      loaded += static_cast<std::uint64_t>(snowflake::jsonv2::to_int64(row[static_cast<std::size_t>(rows_loaded)].value_or("0")));
  }
  if (loaded != staged)
    throw runtime_error(fmt::format("{}: COPY loaded {} rows into the staging table {} of {} staged", file.history.file_name,
                                    loaded, staging, staged),
                        "", "Nothing was published. Keep the file and report it.");
  return loaded;
}

void SnowflakeTarget::drop_staging_table(snowflake::SqlApiClient& client, const std::string& staging) noexcept {
  try {
    client.execute(fmt::format("DROP TABLE IF EXISTS {}", sf::qualified(schema_, staging)));
  } catch (...) {
    // Left behind: a transient table named after the job, easy to find and drop by hand.
  }
}

bool SnowflakeTarget::prepare_table(const TableSpec& table, bool create) {
  snowflake::StatementOptions o;
  o.bindings = {{"TEXT", upper(schema_)}, {"TEXT", upper(table.table)}};
  const auto rs = sql_.execute(
      "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE "
      "FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
      o);
  if (rs.rows.empty()) {
    if (!create)
      throw usage_error(fmt::format("table {} does not exist", qualified_table(table)),
                        table.position.str(), "Create it, or pass --create to create it from the config.");
    std::string cols;
    for (const auto& c : table.columns)
      cols += (cols.empty() ? "" : ", ") + sf::identifier(c.name) + " " + sf::type_name(c.type);
    sql_.execute(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", qualified_table(table), cols));
    return true;
  }
  auto number = [](const std::optional<std::string>& v) -> std::optional<std::int64_t> {
    if (!v) return std::nullopt;
    return snowflake::jsonv2::to_int64(*v);
  };
  std::vector<std::string> have;
  std::vector<sf::CatalogType> types;
  for (const auto& r : rs.rows) {
    have.push_back(upper(r.at(0).value_or("")));
    types.push_back({r.at(1).value_or(""), number(r.at(2)), number(r.at(3)), number(r.at(4))});
  }
  std::string problems;
  std::vector<std::string> alters;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnSpec& c = table.columns[i];
    const std::string want = upper(c.name);
    if (i >= have.size()) {
      problems += fmt::format("\n{}.{}: missing in the table", table.table, want);
    } else if (have[i] != want) {
      problems += fmt::format("\n{}.{}: column {} of the table is {}", table.table, want, i + 1, have[i]);
    } else {
      // What this target creates for the config's type is that type here, whatever its limits.
      const std::optional<ColumnType> stored = sf::column_type(types[i]);
      const TypeFit fit = stored == sf::stored_type(c.type) ? TypeFit::same : compare_column_types(c.type, stored);
      if (fit == TypeFit::narrower || fit == TypeFit::different) {
        problems += "\n" + describe_type_mismatch(table.table + "." + want, c.type, sf::display_name(types[i]), fit);
        alters.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DATA TYPE {};", qualified_table(table),
                                     sf::identifier(c.name), sf::type_name(c.type)));
      }
    }
  }
  for (std::size_t i = table.columns.size(); i < have.size(); ++i)
    problems += fmt::format("\n{}.{}: in the table but not in the config", table.table, have[i]);
  if (!problems.empty()) {
    std::string hint = "Make the config's columns (in order) match the table, or alter the table.";
    if (!alters.empty())
      hint += fmt::format(" For the types: make the config say the table's, or widen the table (Snowflake widens a "
                          "VARCHAR's length and a NUMBER's precision in place):\n  {}",
                          fmt::join(alters, "\n  "));
    throw usage_error(fmt::format("table {} does not match the config", qualified_table(table)),
                      table.position.str() + problems, hint);
  }
  return false;
}

std::optional<HistoryEntry> SnowflakeTarget::latest_load(const std::string& condition,
                                                          const snowflake::StatementOptions& bound) {
  const auto rs = sql_.execute(
      fmt::format("SELECT \"JOB_ID\", \"LOADED_AT\", \"ROWS_LOADED\", \"FILE_NAME\", \"ID\", \"DATE_FROM\", \"DATE_TO\" "
                  "FROM {0} \"L\" WHERE {1} AND {2} "
                  "AND \"REPLACED_BY\" IS NULL AND \"OPERATION\" = 'load' ORDER BY \"LOADED_AT\" DESC",
                  history_table(), not_deleted_since(history_table()), condition),
      bound);
  if (rs.rows.empty()) return std::nullopt;
  const auto& r = rs.rows[0];
  HistoryEntry e;
  e.job_id = r[0] ? snowflake::jsonv2::to_int64(*r[0]) : 0;
  e.loaded_at = r[1] ? snowflake::jsonv2::to_iso(*r[1], snowflake::jsonv2::Type::timestamp_ntz) : "";
  e.rows = r[2] ? snowflake::jsonv2::to_int64(*r[2]) : 0;
  e.file_name = r[3].value_or("");
  e.id = r[4] ? snowflake::jsonv2::to_int64(*r[4]) : 0;
  if (r[5] && r[6])
    e.range = DateRange{static_cast<DayNumber>(snowflake::jsonv2::to_days(*r[5])),
                        static_cast<DayNumber>(snowflake::jsonv2::to_days(*r[6]))};
  return e;
}

std::optional<HistoryEntry> SnowflakeTarget::find_by_name(const TableSpec& table, const std::string& file_name,
                                                          std::uint64_t size) {
  snowflake::StatementOptions o;
  o.bindings = {{"TEXT", upper(table.table)}, {"TEXT", file_name}, {"FIXED", std::to_string(size)}};
  return latest_load("\"TABLE_NAME\" = ? AND \"FILE_NAME\" = ? AND \"FILE_SIZE\" = ?", o);
}

std::optional<HistoryEntry> SnowflakeTarget::find_by_checksum(const TableSpec& table, std::uint64_t file_checksum,
                                                              std::uint64_t content_checksum) {
  snowflake::StatementOptions o;
  o.bindings = {{"TEXT", upper(table.table)}, {"TEXT", checksum_text(content_checksum)},
                {"TEXT", checksum_text(file_checksum)}};
  // Rows recorded before CONTENT_CHECKSUM existed have only the stored bytes' checksum.
  return latest_load("\"TABLE_NAME\" = ? AND (\"CONTENT_CHECKSUM\" = ? OR \"FILE_CHECKSUM\" = ?)", o);
}

std::string SnowflakeTarget::publish_sql(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id) const {
  std::string out;
  for (const auto& s : build(files, job_id, schema_, stage_, history_table())) out += s.sql + ";\n";
  return out;
}

std::vector<SnowflakeFileResult> SnowflakeTarget::publish(const std::vector<SnowflakeFileLoad>& files,
                                                          std::int64_t job_id,
                                                          const std::function<void()>& while_running) {
  const std::vector<Statement> statements = build(files, job_id, schema_, stage_, history_table());
  std::string text;
  for (const auto& s : statements) text += s.sql + ";\n";
  snowflake::StatementOptions o;
  o.multi_statement_count = static_cast<int>(statements.size());
  o.query_tag = fmt::format("sluice:job-{}", job_id);
  o.while_running = while_running;
  const snowflake::ResultSet parent = sql_.execute(text, o);
  if (parent.statement_handles.size() != statements.size())
    throw runtime_error("Snowflake answered the load's transaction without every statement's handle",
                        fmt::format("{} handles for {} statements", parent.statement_handles.size(),
                                    statements.size()));

  // Committed. Read what each COPY did and reconcile it with what was staged.
  std::vector<SnowflakeFileResult> results(files.size());
  std::string mismatches;
  for (std::size_t k = 0; k < statements.size(); ++k) {
    const Statement& s = statements[k];
    if (s.kind == Statement::other) continue;
    const snowflake::ResultSet rs = sql_.fetch(parent.statement_handles[k]);
    SnowflakeFileResult& r = results[s.file];
    if (s.kind == Statement::remove_range) {
      r.rows_deleted += static_cast<std::uint64_t>(rs.rows_affected());
      continue;
    }
    if (s.kind == Statement::insert_staged) {
      const auto inserted = static_cast<std::uint64_t>(rs.rows_affected());
      r.rows_loaded += inserted;
      if (inserted != s.expected_rows)
        mismatches += fmt::format("\n{}: {} rows went over from the staging table, {} were checked there (statement {})",
                                  files[s.file].history.file_name, inserted, s.expected_rows, parent.statement_handles[k]);
      continue;
    }
    std::uint64_t loaded = 0;
    const int status = rs.column("status"), rows_loaded = rs.column("rows_loaded"), file = rs.column("file");
    if (rows_loaded >= 0) {
      for (const auto& row : rs.rows) {
        if (status >= 0 && row[static_cast<std::size_t>(status)].value_or("") != "LOADED")
          mismatches += fmt::format("\n{}: {}", file >= 0 ? row[static_cast<std::size_t>(file)].value_or("?") : "?",
                                    row[static_cast<std::size_t>(status)].value_or("?"));
        loaded += static_cast<std::uint64_t>(
            snowflake::jsonv2::to_int64(row[static_cast<std::size_t>(rows_loaded)].value_or("0")));
        ++r.files_loaded;
      }
    }
    r.rows_loaded += loaded;
    if (loaded != s.expected_rows)
      mismatches += fmt::format("\n{}: COPY loaded {} rows of {} staged (statement {})",
                                files[s.file].history.file_name, loaded, s.expected_rows,
                                parent.statement_handles[k]);
  }
  if (!mismatches.empty())
    throw runtime_error("the rows Snowflake loaded do not match the rows staged",
                        "The transaction was committed." + mismatches,
                        "Keep the files and the job id, and report it; Time Travel can restore the "
                        "table as it was before the load's statements.");
  return results;
}

}  // namespace sluice

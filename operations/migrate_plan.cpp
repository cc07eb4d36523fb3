#include "operations/migrate_plan.h"

#include <fnmatch.h>
#include <strings.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/text_format.h"
#include "loaders/postgres/copy_in_sink.h"
#include "loaders/postgres/postgres_source.h"
#include "loaders/snowflake/snowflake_source.h"
#include "loaders/sqlite/sqlite_source.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/postgres/dialect.h"

namespace sluice {
namespace {

constexpr std::string_view kWritableTypes =
    "smallint, integer, bigint, real, double precision, numeric(p,s), text, varchar(n), bytea, boolean, date, "
    "timestamp, timestamptz, time, json, jsonb";

bool same_name(std::string_view a, std::string_view b, bool ignore_case) {
  return ignore_case ? a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0 : a == b;
}

bool rule_matches(const MigrationTableRule& rule, const std::string& table, bool ignore_case) {
  if (!rule.is_glob()) return same_name(rule.pattern, table, ignore_case);
  return ::fnmatch(rule.pattern.c_str(), table.c_str(), ignore_case ? FNM_CASEFOLD : 0) == 0;
}

// The values of a column whose storage class its target never takes (a SQLite profile).
std::uint64_t misfits(ValueKind kind, const StorageCounts& c, std::string& note) {
  std::uint64_t texts = 0, blobs = 0, numbers = 0;
  switch (kind) {
    case ValueKind::integer:
    case ValueKind::real: texts = c.texts, blobs = c.blobs; break;
    case ValueKind::numeric:
    case ValueKind::boolean:
    case ValueKind::date:
    case ValueKind::timestamp:
    case ValueKind::timestamptz: blobs = c.blobs; break;
    case ValueKind::time: blobs = c.blobs, numbers = c.integers + c.reals; break;
    case ValueKind::text: blobs = c.blobs; break;
    case ValueKind::json: blobs = c.blobs, numbers = c.integers + c.reals; break;
    case ValueKind::bytes: numbers = c.integers + c.reals; break;
    case ValueKind::passthrough: break;
  }
  std::vector<std::string> parts;
  if (texts) parts.push_back(fmt::format("{} text value{}", texts, texts == 1 ? "" : "s"));
  if (numbers) parts.push_back(fmt::format("{} number{}", numbers, numbers == 1 ? "" : "s"));
  if (blobs) parts.push_back(fmt::format("{} blob{}", blobs, blobs == 1 ? "" : "s"));
  note = fmt::format("{}", fmt::join(parts, ", "));
  return texts + blobs + numbers;
}

std::string column_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + pg::quote_identifier(n);
  return out;
}

}  // namespace

bool MigrationPlan::runnable() const {
  return std::all_of(tables.begin(), tables.end(), [](const PlannedTable& t) { return t.problems.empty(); });
}

std::unique_ptr<TableSource> open_table_source(const Config& config, const MigrationSpec& job,
                                               const std::function<std::string(const ConnectionSpec&)>& postgres_conninfo,
                                               const Cancellation* cancel) {
  const ConnectionSpec& source = config.connections.at(job.source);
  if (const SqliteConnection* file = source.sqlite()) return std::make_unique<SqliteTableSource>(file->path);
  if (source.postgres())
    return std::make_unique<PostgresTableSource>(pg::Connection::open(postgres_conninfo(source), "sluice migrate"));
  SnowflakeSourceSettings settings;
  settings.job = job.name;
  settings.small_table_rows = job.small_table_rows;
  settings.cancel = cancel;
  return std::make_unique<SnowflakeTableSource>(*source.snowflake(), std::move(settings));
}

std::vector<SourceRange> plan_table_ranges(TableSource& source, const PlannedTable& table, std::uint64_t chunk_rows,
                                           std::uint64_t& rows, std::size_t min_parts) {
  rows = source.count_rows(table.source);
  const std::uint64_t parts = std::max<std::uint64_t>({1, (rows + chunk_rows - 1) / chunk_rows, rows > 0 ? min_parts : 1});
  return source.plan_ranges(table.source, table.chunk_by, static_cast<std::size_t>(parts));
}

// The target column a source range is cut by, when the target has it: SQLite's rowid is there
// only as an INTEGER PRIMARY KEY; "" when ranges cannot be found in the target.
std::string target_range_column(const PlannedTable& t, const SourceRange& range) {
  if (range.column.empty()) return "";
  std::string source_column = range.column;
  if (range.column == "rowid") {
    if (t.source.primary_key.size() != 1) return "";
    source_column = t.source.primary_key[0];
    const auto c = std::find_if(t.source.columns.begin(), t.source.columns.end(),
                                [&](const SourceColumn& c) { return c.name == source_column; });
    if (c == t.source.columns.end() || ascii_lower(c->declared_type) != "integer") return "";
  }
  for (const auto& c : t.columns)
    if (c.source_name == source_column) return c.target_name;
  return "";
}


std::uint64_t read_range_into_temp_table(pg::Connection& conn, TableSource& source, const SourceTable& table,
                                         const SourceRange& range, const std::string& temp_table, const std::string& columns,
                                         const std::string& target, const Cancellation& cancel,
                                         const ValueProblemHandler& problems) {
  conn.exec(fmt::format("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA", temp_table, columns, target));
  conn.copy_begin(fmt::format("COPY {} ({}) FROM STDIN", temp_table, columns));
  CopyInSink sink(conn);
  NullProgress quiet;
  const std::uint64_t rows = source.read_range(table, range, sink, 4u << 20, quiet, cancel, problems);
  sink.finish();
  conn.copy_end();
  return rows;
}

RangeFingerprint fingerprint_of(const pg::Result& result) {
  RangeFingerprint out{static_cast<std::uint64_t>(result.get_int(0, 0)), {}};
  for (int c = 1; c < result.columns(); ++c) out.values.emplace_back(result.is_null(0, c) ? "NULL" : result.get(0, c));
  return out;
}

void require_runnable(const MigrationPlan& plan) {
  if (plan.runnable()) return;
  std::string problems;
  for (const auto& t : plan.tables)
    for (const auto& p : t.problems) problems += fmt::format("{}{}: {}", problems.empty() ? "" : "\n", t.source_table, p);
  throw usage_error(fmt::format("migration \"{}\" cannot run as configured", plan.job), problems,
                    "Change the config (sluice migrate plan shows the problems), then run again.");
}

const MigrationSpec& find_migration(const Config& config, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& m : config.migrations) names.push_back(m.name);
  if (name.empty()) {
    if (config.migrations.size() == 1) return config.migrations.front();
    if (config.migrations.empty())
      throw usage_error(fmt::format("{} defines no migrations", config.path.empty() ? "the config" : config.path), "",
                        "Add one under migrations: (see the README, \"Migrating tables\").");
    throw usage_error("which migration?", fmt::format("the config defines {}", fmt::join(names, ", ")),
                      "Name one: sluice migrate plan NAME.");
  }
  if (const MigrationSpec* m = config.find_migration(name)) return *m;
  throw usage_error(fmt::format("no migration \"{}\" in {}", name, config.path.empty() ? "the config" : config.path),
                    names.empty() ? "it defines none" : fmt::format("it defines {}", fmt::join(names, ", ")),
                    "Check the name (names are compared exactly).");
}

MigrationPlan plan_migration(const Config& config, const MigrationSpec& job, TableSource& source, const std::string& only_table,
                             PlanReading reading) {
  const ConnectionSpec& source_conn = config.connections.at(job.source);
  const ConnectionSpec& target_conn = config.connections.at(job.target);
  // SQLite's names ignore case, and so do Snowflake's unquoted ones (as upper case); PostgreSQL's do not.
  const bool ignore_case = source_conn.sqlite() != nullptr || source_conn.snowflake() != nullptr;
  auto* sqlite_source = dynamic_cast<SqliteTableSource*>(&source);

  MigrationPlan plan;
  plan.job = job.name;
  plan.source = job.source;
  plan.source_kind = source_conn.sqlite() ? "sqlite" : source_conn.postgres() ? "postgres" : "snowflake";
  plan.target = job.target;
  plan.target_schema = pg::normalize_identifier(job.schema.empty() ? target_conn.postgres()->schema : job.schema);
  plan.workers = job.workers;
  plan.chunk_rows = job.chunk_rows;

  // The tables the rules name, in the source's order.
  const std::vector<std::string> all = source.list_tables(job.source_schema);
  for (const auto& rule : job.tables) {
    if (rule.exclude || rule.is_glob()) continue;
    if (std::none_of(all.begin(), all.end(), [&](const std::string& t) { return same_name(rule.pattern, t, ignore_case); }))
      throw usage_error(fmt::format("migration \"{}\" names table {}, which the source \"{}\" does not have", job.name,
                                    rule.pattern, job.source),
                        all.empty() ? "the source has no tables" : fmt::format("its tables: {}", fmt::join(all, ", ")),
                        fmt::format("Correct the name at {}, or remove the entry.", rule.position.str()));
  }
  std::vector<std::string> chosen;
  for (const auto& table : all) {
    // The last entry that names the table decides: "*" then "!tmp_*" copies all but tmp_ tables.
    bool in = false;
    for (const auto& rule : job.tables)
      if (rule_matches(rule, table, ignore_case)) in = !rule.exclude;
    if (in && (only_table.empty() || same_name(only_table, table, ignore_case))) chosen.push_back(table);
  }
  if (!only_table.empty() && chosen.empty())
    throw usage_error(fmt::format("migration \"{}\" does not copy a table {}", job.name, only_table), "",
                      "Run sluice migrate plan without --table to see the tables it copies.");

  std::map<std::string, std::string> target_owner;  // target table -> source table
  for (const auto& name : chosen) {
    // Settings: every entry that names the table, later ones over earlier ones.
    MigrationTableRule settings;
    for (const auto& rule : job.tables) {
      if (rule.exclude || !rule_matches(rule, name, ignore_case)) continue;
      if (!rule.target_table.empty()) settings.target_table = rule.target_table;
      if (!rule.chunk_by.empty()) settings.chunk_by = rule.chunk_by;
      if (!rule.where.empty()) settings.where = rule.where;
      if (rule.mode) settings.mode = rule.mode;
      for (const auto& [k, v] : rule.rename) settings.rename[k] = v;
      for (const auto& [k, v] : rule.cast) settings.cast[k] = v;
      if (!rule.watermark.empty()) settings.watermark = rule.watermark;
      if (!rule.primary_key.empty()) settings.primary_key = rule.primary_key;
      if (rule.detect_deletes) settings.detect_deletes = true;
      if (rule.null_watermark != NullWatermark::include) settings.null_watermark = rule.null_watermark;
      if (rule.lookback) settings.lookback = rule.lookback;
    }
    SourceTable desc = source.describe(job.source_schema, name);
    PlannedTable t;
    t.source_table = desc.name;
    t.target_schema = plan.target_schema;
    t.target_table = pg::normalize_identifier(settings.target_table.empty() ? desc.name : settings.target_table);
    t.mode = settings.mode.value_or(job.mode);
    t.where = settings.where;
    TableProfile profile;
    const bool typeless = std::any_of(desc.columns.begin(), desc.columns.end(),
                                      [](const SourceColumn& c) { return c.declared_type.empty(); });
    if (sqlite_source && (reading == PlanReading::every_value || typeless)) {
      // A run reads only the columns without a declared type: the rest is typed by its name.
      std::vector<bool> only;
      if (reading == PlanReading::types_only)
        for (const auto& c : desc.columns) only.push_back(c.declared_type.empty());
      profile = sqlite_source->profile(desc, only);
      SqliteTableSource::type_by_contents(desc, profile);
      desc.filter = settings.where;
      t.rows = settings.where.empty() ? profile.rows : sqlite_source->count_rows(desc);
      t.rows_known = true;
    } else if (source_conn.snowflake() && reading == PlanReading::every_value) {
      // Snowflake counts a table from its metadata; with a filter it scans, as the run will.
      desc.filter = settings.where;
      t.rows = source.count_rows(desc);
      t.rows_known = true;
    } else {
      t.rows = desc.estimated_rows;
    }
    t.chunk_by = !desc.row_id.empty() ? desc.row_id : !settings.chunk_by.empty() ? settings.chunk_by
                 : desc.primary_key.size() == 1 ? desc.primary_key[0] : "";

    const auto find_column = [&](const std::string& column) -> SourceColumn* {
      for (auto& c : desc.columns)
        if (same_name(c.name, column, ignore_case)) return &c;
      return nullptr;
    };
    for (const auto& [column, type] : settings.cast) {
      SourceColumn* c = find_column(column);
      if (!c) {
        t.problems.push_back(fmt::format("cast names column {}, which {} does not have", column, desc.name));
        continue;
      }
      auto cast = cast_mapping(type);
      if (!cast) {
        t.problems.push_back(fmt::format("cast: {{ {}: {} }}: sluice writes no values of type {} (it writes {})", column,
                                         type, type, kWritableTypes));
        continue;
      }
      cast->note = fmt::format("cast in the config (was {})", c->mapping.target_type);
      c->mapping = *cast;
    }
    // chunk_by as the source spells the column (a Snowflake config may write it in any case).
    if (SourceColumn* c = t.chunk_by.empty() ? nullptr : find_column(t.chunk_by)) t.chunk_by = c->name;
    for (const auto& [column, renamed] : settings.rename)
      if (!find_column(column)) t.problems.push_back(fmt::format("rename names column {}, which {} does not have", column, desc.name));

    std::map<std::string, std::string> target_columns;  // target name -> source name
    for (std::size_t i = 0; i < desc.columns.size(); ++i) {
      const SourceColumn& c = desc.columns[i];
      PlannedColumn pc;
      pc.source_name = c.name;
      pc.source_type = c.declared_type;
      std::string renamed = c.name;
      for (const auto& [from, to] : settings.rename)
        if (same_name(from, c.name, ignore_case)) renamed = to;
      pc.target_name = pg::normalize_identifier(renamed);
      pc.mapping = c.mapping;
      pc.nullable = c.nullable;
      if (sqlite_source && i < profile.columns.size()) pc.misfits = misfits(pc.mapping.kind, profile.columns[i], pc.misfit_note);
      if (pc.mapping.fidelity == Fidelity::lossy && !pc.mapping.cast)
        t.problems.push_back(fmt::format("{} {} -> {} may lose values ({}): cast it explicitly (cast: {{ {}: TYPE }})",
                                         c.name, c.declared_type, pc.mapping.target_type, pc.mapping.note, c.name));
      if (const auto [it, fresh] = target_columns.emplace(pc.target_name, c.name); !fresh)
        t.problems.push_back(fmt::format("columns {} and {} would both be {} in PostgreSQL: rename one (rename: {{ {}: NEW }})",
                                         it->second, c.name, pc.target_name, c.name));
      t.columns.push_back(std::move(pc));
    }
    const auto target_name = [&](const std::string& source_column) {
      for (const auto& pc : t.columns)
        if (pc.source_name == source_column) return pc.target_name;
      return pg::normalize_identifier(source_column);
    };
    // A key the config declares (a Snowflake table enforces none) is the source's from now on.
    if (!settings.primary_key.empty()) {
      std::vector<std::string> key;
      for (const auto& k : settings.primary_key) {
        if (const SourceColumn* c = find_column(k)) key.push_back(c->name);
        else t.problems.push_back(fmt::format("primary_key names column {}, which {} does not have", k, desc.name));
      }
      if (key.size() == settings.primary_key.size()) desc.primary_key = key;
    }
    for (const auto& k : desc.primary_key) t.primary_key.push_back(target_name(k));
    // Incremental sync: what it needs of the table (docs/sync.md).
    t.null_watermark = settings.null_watermark;
    t.detect_deletes = settings.detect_deletes;
    t.lookback = settings.lookback;
    for (const auto& w : settings.watermark) {
      const SourceColumn* c = find_column(w);
      if (!c) {
        t.problems.push_back(fmt::format("watermark names column {}, which {} does not have", w, desc.name));
        continue;
      }
      const ValueKind kind = c->mapping.kind;
      if (kind == ValueKind::json || kind == ValueKind::bytes || kind == ValueKind::boolean)
        t.problems.push_back(fmt::format("watermark column {} is {}: a watermark is a number, a date, a time or text that "
                                         "grows as rows change",
                                         c->name, c->declared_type.empty() ? "untyped" : c->declared_type));
      t.watermark.push_back(c->name);
    }
    if (t.mode == MigrationMode::incremental && settings.watermark.empty())
      t.problems.push_back("mode: incremental needs a watermark (watermark: [COLUMN])");
    if (t.mode == MigrationMode::full && !settings.watermark.empty())
      t.problems.push_back("a watermark is for mode: incremental or mode: append");
    if (t.mode == MigrationMode::incremental && t.primary_key.empty())
      t.problems.push_back(fmt::format(
          "mode: incremental upserts rows by their key, and {} has none: declare it (primary_key: [COLUMN]), or for "
          "a table whose rows are only ever added use mode: append with the watermark",
          desc.name));
    if (t.detect_deletes && t.mode != MigrationMode::incremental)
      t.problems.push_back("deletes: detect needs mode: incremental");
    if (t.lookback && settings.watermark.size() > 1)
      t.problems.push_back("lookback lowers a one-column watermark; this one has several columns");

    for (auto index : desc.indexes) {
      for (auto& c : index.columns) c = target_name(c);
      index.name = pg::normalize_identifier(index.name);
      t.indexes.push_back(std::move(index));
    }
    if (const auto [it, fresh] = target_owner.emplace(t.target_table, desc.name); !fresh)
      t.problems.push_back(fmt::format("tables {} and {} would both become {}.{}: give one a target_table", it->second,
                                       desc.name, t.target_schema, t.target_table));

    const std::string relation = pg::quote_identifier(t.target_schema) + "." + pg::quote_identifier(t.target_table);
    std::string columns;
    for (const auto& pc : t.columns)
      columns += fmt::format("{}\n  {} {}{}", columns.empty() ? "" : ",", pg::quote_identifier(pc.target_name),
                             pc.mapping.target_type, pc.nullable ? "" : " NOT NULL");
    t.column_sql = columns;
    t.create_sql = fmt::format("CREATE TABLE {} ({}\n)", relation, columns);
    if (!t.primary_key.empty())
      t.after_data_sql.push_back(fmt::format("ALTER TABLE {} ADD PRIMARY KEY ({})", relation, column_list(t.primary_key)));
    for (const auto& index : t.indexes)
      t.after_data_sql.push_back(fmt::format("CREATE {}INDEX {} ON {} ({})", index.unique ? "UNIQUE " : "",
                                             pg::quote_identifier(index.name), relation, column_list(index.columns)));
    desc.filter = settings.where;
    t.source = std::move(desc);
    plan.tables.push_back(std::move(t));
  }
  return plan;
}

}  // namespace sluice

#include "operations/migrate_verify.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/text_format.h"
#include "operations/migrate_plan.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/postgres/dialect.h"

namespace sluice {

bool SchemaComparison::same() const {
  return std::all_of(tables.begin(), tables.end(), [](const ComparedTable& t) { return t.same(); });
}

SchemaComparison compare_migration_schema(const Config& config, const MigrationSpec& job, TableSource& source,
                                          const std::string& target_conninfo, const std::string& only_table) {
  SchemaComparison result;
  result.job = job.name;
  const MigrationPlan plan = plan_migration(config, job, source, only_table, PlanReading::types_only);
  pg::Connection conn = pg::Connection::open(target_conninfo, "sluice migrate compare");
  const std::string catalog =
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a "
      "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
  for (const PlannedTable& t : plan.tables) {
    ComparedTable out;
    out.source_table = t.source_table;
    out.target = t.target_schema + "." + t.target_table;
    const std::string target = pg::quote_identifier(t.target_schema) + "." + pg::quote_identifier(t.target_table);
    auto actual = conn.query(catalog, {target});
    if (actual.rows() == 0) {
      out.target_exists = false;
      result.tables.push_back(std::move(out));
      continue;
    }
    // The plan's types as the server spells them: its DDL run on a table that never commits.
    conn.exec("BEGIN");
    std::map<std::string, std::pair<std::string, bool>> planned;  // name -> type, NOT NULL
    try {
      conn.exec(fmt::format("CREATE TEMP TABLE sluice_compare ({}\n)", t.column_sql));
      auto spelled = conn.query(catalog, {"pg_temp.sluice_compare"});
      for (int r = 0; r < spelled.rows(); ++r)
        planned[std::string(spelled.get(r, 0))] = {std::string(spelled.get(r, 1)), spelled.get(r, 2) == "t"};
      conn.exec("ROLLBACK");
    } catch (...) {
      conn.abandon_transaction();
      throw;
    }
    std::map<std::string, std::pair<std::string, bool>> existing;
    for (int r = 0; r < actual.rows(); ++r) existing[std::string(actual.get(r, 0))] = {std::string(actual.get(r, 1)), actual.get(r, 2) == "t"};
    for (const auto& c : t.columns) {
      const auto& [type, not_null] = planned.at(c.target_name);
      const auto it = existing.find(c.target_name);
      if (it == existing.end()) {
        out.differences.push_back({c.target_name, "missing in the target", type, ""});
        continue;
      }
      if (it->second.first != type) out.differences.push_back({c.target_name, "type", type, it->second.first});
      if (it->second.second != not_null)
        out.differences.push_back({c.target_name, "nullability", not_null ? "NOT NULL" : "NULL", it->second.second ? "NOT NULL" : "NULL"});
    }
    for (const auto& [name, spec] : existing)
      if (!planned.contains(name)) out.differences.push_back({name, "only in the target", "", spec.first});
    result.tables.push_back(std::move(out));
  }
  return result;
}

bool VerifyResult::same() const {
  return std::all_of(tables.begin(), tables.end(), [](const VerifiedTable& t) { return t.same(); });
}

VerifyResult verify_migration(const Config& config, const MigrationSpec& job,
                              const std::function<std::unique_ptr<TableSource>()>& open_source,
                              const std::string& target_conninfo, const std::string& only_table, ProgressSink& progress,
                              const Cancellation& cancel) {
  VerifyResult result;
  result.job = job.name;
  std::unique_ptr<TableSource> source = open_source();
  const MigrationPlan plan = plan_migration(config, job, *source, only_table, PlanReading::types_only);
  pg::Connection conn = pg::Connection::open(target_conninfo, "sluice migrate verify");
  conn.exec(kFingerprintSettings);  // values print as the source's digests print them
  for (const PlannedTable& t : plan.tables) {
    VerifiedTable out;
    out.source_table = t.source_table;
    out.target = t.target_schema + "." + t.target_table;
    const std::string target = pg::quote_identifier(t.target_schema) + "." + pg::quote_identifier(t.target_table);
    if (conn.query("SELECT to_regclass($1) IS NOT NULL", {target}).get(0, 0) != "t") {
      out.target_exists = false;
      result.tables.push_back(std::move(out));
      continue;
    }
    // Rows are compared by each value's text in the target's type: canonical for every type, and
    // defined where equality is not (json, point, xml).
    std::string columns, compared;
    std::vector<std::string> target_columns;  // in the order of t.source.columns, which t.columns keeps
    for (const auto& c : t.columns) {
      target_columns.push_back(pg::quote_identifier(c.target_name));
      columns += (columns.empty() ? "" : ", ") + target_columns.back();
      compared += (compared.empty() ? "" : ", ") + pg::quote_identifier(c.target_name) + "::text";
    }
    // Rows are named by the primary key, else by the column the table is cut by (a Snowflake table
    // has no enforced key; its chunk_by names its rows as well as anything does).
    std::vector<std::string> key_names = t.primary_key;
    if (key_names.empty())
      if (const std::string cut = target_range_column(t, SourceRange{t.chunk_by, 0, 0}); !cut.empty()) key_names = {cut};
    std::vector<std::string> key;
    for (const auto& k : key_names) key.push_back(pg::quote_identifier(k));

    std::uint64_t rows = 0;
    std::vector<SourceRange> ranges = plan_table_ranges(*source, t, plan.chunk_rows, rows);
    SourceTable read_as = t.source;
    read_as.estimated_rows = rows;  // a source may read a small table another way (Snowflake: result partitions)
    // Ranges the target cannot be cut by are compared whole.
    if (!ranges.empty() && target_range_column(t, ranges[0]).empty()) ranges = {SourceRange{}};
    out.ranges = ranges.size();
    progress.begin("verify", out.target, 0);
    std::uint64_t done = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const SourceRange& range = ranges[i];
      VerifiedRange v;
      v.label = range.label();
      std::string where;
      if (const std::string col = target_range_column(t, range); !col.empty()) {
        where = fmt::format(" WHERE ({0} BETWEEN {1} AND {2}{3})", pg::quote_identifier(col), range.first, range.last,
                            i + 1 == ranges.size() ? fmt::format(" OR {} IS NULL", pg::quote_identifier(col)) : "");
      }
      // Where the source's engine can digest the range as the target does, equal digests settle it
      // without reading the rows again; a difference is then looked at row by row.
      if (const std::string digest_sql = source->target_fingerprint_sql(read_as, target_columns, target + where); !digest_sql.empty())
        if (const std::optional<RangeFingerprint> in_source = source->fingerprint(read_as, range)) {
          if (const RangeFingerprint in_target = fingerprint_of(conn.query(digest_sql)); in_target == *in_source) {
            ++out.fingerprinted_ranges;
            out.source_rows += in_source->rows;
            out.target_rows += in_target.rows;
            done += in_source->rows;
            progress.update({"verify", out.target, 0, 0, done});
            continue;
          }
        }
      conn.exec("BEGIN");
      try {
        std::uint64_t unfit = 0;
        v.source_rows = read_range_into_temp_table(conn, *source, read_as, range, "sluice_verify", columns, target, cancel,
                                                   [&](const ValueProblem&) { ++unfit; });
        out.unfit_rows += unfit;
        const std::string in_target = fmt::format("SELECT {} FROM {}{}", compared, target, where);
        v.target_rows = static_cast<std::uint64_t>(conn.query(fmt::format("SELECT count(*) FROM {}{}", target, where)).get_int(0, 0));
        v.only_in_source = static_cast<std::uint64_t>(
            conn.query(fmt::format("SELECT count(*) FROM (SELECT {} FROM sluice_verify EXCEPT ALL {}) d", compared, in_target)).get_int(0, 0));
        v.only_in_target = static_cast<std::uint64_t>(
            conn.query(fmt::format("SELECT count(*) FROM ({} EXCEPT ALL SELECT {} FROM sluice_verify) d", in_target, compared)).get_int(0, 0));
        if ((v.only_in_source || v.only_in_target) && !key.empty()) {
          // The key's columns are among the compared ones; their text is read back by position.
          std::string label_expr;
          for (std::size_t k = 0; k < key_names.size(); ++k) {
            std::string name = key_names[k];
            for (std::size_t q = name.find('\''); q != std::string::npos; q = name.find('\'', q + 2)) name.insert(q, 1, '\'');
            label_expr += fmt::format("{}'{}=' || coalesce({}, 'NULL')", k ? " || ',' || " : "", name, key[k]);
          }
          auto keys = conn.query(fmt::format(
              "SELECT DISTINCT {0} FROM ((SELECT {1} FROM sluice_verify EXCEPT ALL {2}) UNION ALL ({2} EXCEPT ALL SELECT {1} FROM sluice_verify)) "
              "AS d ({3}) ORDER BY 1 LIMIT 10",
              label_expr, compared, in_target, columns));
          for (int r = 0; r < keys.rows(); ++r) v.keys.emplace_back(keys.get(r, 0));
        }
        conn.exec("COMMIT");
      } catch (...) {
        conn.abandon_transaction();
        throw;
      }
      out.source_rows += v.source_rows;
      out.target_rows += v.target_rows;
      done += v.source_rows;
      progress.update({"verify", out.target, 0, 0, done});
      if (v.only_in_source || v.only_in_target) out.differing.push_back(std::move(v));
    }
    progress.end(out.same(), out.same() ? "same" : fmt::format("{} ranges differ", out.differing.size()));
    result.tables.push_back(std::move(out));
  }
  return result;
}

}  // namespace sluice

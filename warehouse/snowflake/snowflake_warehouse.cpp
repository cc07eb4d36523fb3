#include "warehouse/snowflake/snowflake_warehouse.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <fmt/format.h>

#include "core/dates.h"
#include "warehouse/snowflake/dialect.h"

namespace sluice {
namespace {

namespace sf = snowflake;

// "2024-01-31" -> its day; throws an internal error for anything else (a bound date is always
// written by sluice in this form).
DayNumber iso_day(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char extra = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || !is_valid_date(y, m, d))
    throw runtime_error(fmt::format("a date bound for Snowflake is not YYYY-MM-DD: \"{}\"", text), "",
                        "This is a bug in sluice: report it.");
  return days_from_civil(y, m, d);
}

bool is_integer_text(const std::string& s) {
  std::size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

sf::Binding binding_of(const SqlParam& p) {
  switch (p.type) {
    case SqlType::integer:
      if (p.value && !is_integer_text(*p.value))
        throw runtime_error(fmt::format("an integer bound for Snowflake is not one: \"{}\"", *p.value), "",
                            "This is a bug in sluice: report it.");
      return {"FIXED", p.value};
    case SqlType::date:
      // The SQL API reads a DATE binding as milliseconds since the epoch (day numbers fail).
      if (!p.value) return {"DATE", std::nullopt};
      return {"DATE", std::to_string(static_cast<std::int64_t>(iso_day(*p.value)) * 86'400'000)};
    case SqlType::text: break;
  }
  return {"TEXT", p.value};
}

// A bound value as a literal, for the one place the SQL API takes no bindings: a multi-statement
// request (a transaction). Text is escaped by the dialect; integers and dates are checked first.
std::string literal_of(const SqlParam& p) {
  switch (p.type) {
    case SqlType::integer:
      if (!p.value) return "CAST(NULL AS NUMBER(38,0))";
      binding_of(p);  // checks it is an integer
      return *p.value;
    case SqlType::date:
      if (!p.value) return "CAST(NULL AS DATE)";
      return fmt::format("CAST({} AS DATE)", sf::string_literal(format_iso(iso_day(*p.value))));
    case SqlType::text: break;
  }
  return p.value ? sf::string_literal(*p.value) : "CAST(NULL AS VARCHAR)";
}

// `sql` with each `:n` placeholder outside literals and quoted names replaced by the n-th value.
std::string inline_params(const std::string& sql, const std::vector<SqlParam>& params) {
  std::string out;
  std::vector<bool> used(params.size(), false);
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      const std::size_t start = i;
      for (++i; i < sql.size(); ++i) {
        if (c == '\'' && sql[i] == '\\') {
          ++i;
          continue;
        }
        if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            ++i;
            continue;
          }
          break;
        }
      }
      out.append(sql, start, i - start + 1);
      continue;
    }
    const bool cast = (i > 0 && sql[i - 1] == ':') || (i + 1 < sql.size() && sql[i + 1] == ':');
    if (c == ':' && !cast && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      std::size_t end = i + 1;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
      const std::size_t n = std::stoul(sql.substr(i + 1, end - i - 1));
      if (n == 0 || n > params.size())
        throw runtime_error(fmt::format("placeholder :{} has no value in a statement for Snowflake", n), sql.substr(0, 300),
                            "This is a bug in sluice: report it.");
      out += literal_of(params[n - 1]);
      used[n - 1] = true;
      i = end - 1;
      continue;
    }
    out += c;
  }
  for (std::size_t n = 0; n < used.size(); ++n)
    if (!used[n])
      throw runtime_error(fmt::format("value {} is bound to no placeholder in a statement for Snowflake", n + 1), sql.substr(0, 300),
                          "This is a bug in sluice: report it.");
  return out;
}

std::string decode(const sf::Cell& cell, const sf::ColumnInfo& col) {
  const std::string& v = *cell;
  using T = sf::jsonv2::Type;
  try {
    switch (col.type) {
      case T::date: return sf::jsonv2::date_iso(v);
      case T::time:
      case T::timestamp_ntz:
      case T::timestamp_ltz:
      case T::timestamp_tz: return sf::jsonv2::to_iso(v, col.type);
      default: return v;
    }
  } catch (const std::exception&) {
    throw runtime_error(fmt::format("Snowflake sent \"{}\" for the {} column {}", v, col.type_name, col.name), "",
                        "This should not happen: report it with the log.");
  }
}

}  // namespace

std::string SnowflakeDialect::fold(std::string_view config_name) const { return sf::normalize_identifier(config_name); }

// Numbered (`:2`), not `?`: the statements are written with fmt::format, whose arguments (each a
// SqlParams::add) C++ evaluates in no fixed order, so the n-th value must say where it goes.
std::string SnowflakeDialect::placeholder(int n, SqlType) const { return fmt::format(":{}", n); }

std::string SnowflakeDialect::type_name(const ColumnType& type) const { return sf::type_name(type); }

std::string SnowflakeDialect::before_statement(const std::string& relation, const std::string& id_placeholder) const {
  return fmt::format("{} BEFORE(STATEMENT => {})", relation, id_placeholder);
}

bool SnowflakeDialect::is_time_travel_expired(const Error& error) const {
  if (const auto* api = dynamic_cast<const sf::SqlApiError*>(&error); api && api->snowflake_code() == "000707") return true;
  return error.primary().find("Time travel data is not available") != std::string::npos;
}

std::unique_ptr<SnowflakeWarehouse> SnowflakeWarehouse::open(const SnowflakeConnection& connection, const Cancellation* cancel) {
  auto client = std::make_unique<sf::SqlApiClient>(sf::sql_api_settings(connection, cancel),
                                                   std::shared_ptr<sf::TokenSource>(sf::make_token_source(connection)));
  return std::unique_ptr<SnowflakeWarehouse>(new SnowflakeWarehouse(std::move(client), connection.schema));
}

SnowflakeWarehouse::SnowflakeWarehouse(std::unique_ptr<sf::SqlApiClient> owned, std::string schema)
    : owned_(std::move(owned)), client_(owned_.get()), schema_(std::move(schema)) {}

SnowflakeWarehouse::SnowflakeWarehouse(sf::SqlApiClient& client, std::string schema) : client_(&client), schema_(std::move(schema)) {}

SnowflakeWarehouse::~SnowflakeWarehouse() = default;

SqlResult SnowflakeWarehouse::query(const std::string& sql, const std::vector<SqlParam>& params) {
  if (buffering_) {
    buffered_.push_back(inline_params(sql, params));
    return {};
  }
  sf::StatementOptions o;
  for (const auto& p : params) o.bindings.push_back(binding_of(p));
  return sf::to_sql_result(client_->execute(sql, o));
}

void SnowflakeWarehouse::begin() {
  if (buffering_) throw runtime_error("a Snowflake transaction was begun twice", "", "This is a bug in sluice: report it.");
  buffering_ = true;
  buffered_.clear();
}

void SnowflakeWarehouse::commit() {
  if (!buffering_) throw runtime_error("commit without a Snowflake transaction", "", "This is a bug in sluice: report it.");
  std::vector<std::string> statements = std::move(buffered_);
  buffering_ = false;
  buffered_.clear();
  transaction_results_.clear();
  if (statements.empty()) return;
  std::string text = "BEGIN;\n";
  for (const auto& s : statements) text += s + ";\n";
  text += "COMMIT;\n";
  sf::StatementOptions o;
  o.multi_statement_count = static_cast<int>(statements.size() + 2);
  const sf::ResultSet parent = client_->execute(text, o);
  if (parent.statement_handles.size() != statements.size() + 2)
    throw runtime_error("Snowflake answered a transaction without every statement's handle",
                        fmt::format("{} handles for {} statements; the transaction was committed",
                                    parent.statement_handles.size(), statements.size() + 2));
  for (std::size_t i = 0; i < statements.size(); ++i)
    transaction_results_.push_back(sf::to_sql_result(client_->fetch(parent.statement_handles[i + 1])));
}

void SnowflakeWarehouse::rollback() noexcept {
  // Nothing was sent: the buffered statements are dropped.
  buffering_ = false;
  buffered_.clear();
}

void SnowflakeWarehouse::lock_table(const std::string&, const std::string&) {}

void SnowflakeWarehouse::ensure_load_history() {
  client_->execute(sf::load_history_ddl(schema_));
  for (const auto& statement : sf::load_history_upgrade_sql(schema_)) client_->execute(statement);
}

namespace snowflake {

SqlApiSettings sql_api_settings(const SnowflakeConnection& c, const Cancellation* cancel) {
  SqlApiSettings s;
  s.base_url = base_url_for(c);
  s.database = c.database;
  s.schema = normalize_identifier(c.schema);
  s.warehouse = c.warehouse;
  s.role = c.role;
  s.cancel = cancel;
  s.http.ca_file = c.ca_file;
  return s;
}

SqlResult to_sql_result(const ResultSet& rs) {
  SqlResult out;
  out.statement_id = rs.statement_handle;
  for (const auto& c : rs.columns) out.columns.push_back(c.name);
  out.rows.reserve(rs.rows.size());
  for (const auto& row : rs.rows) {
    auto& r = out.rows.emplace_back();
    r.reserve(row.size());
    for (std::size_t i = 0; i < row.size(); ++i)
      r.push_back(row[i] && i < rs.columns.size() ? SqlValue(decode(row[i], rs.columns[i])) : row[i]);
  }
  out.affected = static_cast<std::uint64_t>(std::max<std::int64_t>(rs.rows_affected(), 0));
  return out;
}

std::string load_history_table(const std::string& schema) { return qualified(schema, "SLUICE_LOAD_HISTORY"); }

std::string load_history_ddl(const std::string& schema) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (\"ID\" NUMBER(38,0) AUTOINCREMENT, \"TABLE_NAME\" VARCHAR NOT NULL, "
      "\"FILE_NAME\" VARCHAR NOT NULL, \"FILE_PATH\" VARCHAR NOT NULL, \"FILE_SIZE\" NUMBER(38,0) NOT NULL, "
      "\"FILE_CHECKSUM\" VARCHAR NOT NULL, \"COMPRESSION\" VARCHAR NOT NULL, \"QC_MODE\" VARCHAR NOT NULL, "
      "\"ROWS_LOADED\" NUMBER(38,0) NOT NULL, \"ROWS_DELETED\" NUMBER(38,0) DEFAULT 0 NOT NULL, "
      "\"ROWS_REJECTED\" NUMBER(38,0) DEFAULT 0 NOT NULL, \"DATE_FROM\" DATE, \"DATE_TO\" DATE, \"JOB_ID\" NUMBER(38,0), "
      "\"STAGED_FILES\" NUMBER(38,0) DEFAULT 0 NOT NULL, \"LOADED_BY\" VARCHAR DEFAULT CURRENT_USER(), "
      "\"LOADED_AT\" TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP(), \"REPLACED_BY\" NUMBER(38,0), "
      "\"OPERATION\" VARCHAR DEFAULT 'load' NOT NULL, \"CONTENT_CHECKSUM\" VARCHAR)",
      load_history_table(schema));
}

std::vector<std::string> load_history_upgrade_sql(const std::string& schema) {
  const std::string h = load_history_table(schema);
  // An older sluice wrote Snowflake's checksums as bare hex; PostgreSQL's were always
  // "xxh3:<hex>", which is the spelling now (one history implementation reads both targets).
  // Delete and restore rows have an empty checksum.
  const auto bare = [](const char* column) {
    return fmt::format("(\"{0}\" <> '' AND \"{0}\" NOT LIKE 'xxh3:%')", column);
  };
  const auto spelled = [&](const char* column) {
    return fmt::format("\"{0}\" = CASE WHEN {1} THEN 'xxh3:' || \"{0}\" ELSE \"{0}\" END", column, bare(column));
  };
  return {fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS \"CONTENT_CHECKSUM\" VARCHAR", h),
          fmt::format("UPDATE {} SET {}, {} WHERE {} OR {}", h, spelled("FILE_CHECKSUM"), spelled("CONTENT_CHECKSUM"),
                      bare("FILE_CHECKSUM"), bare("CONTENT_CHECKSUM"))};
}

}  // namespace snowflake
}  // namespace sluice

#include "loaders/snowflake/snowflake_source.h"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "core/dates.h"
#include "core/error.h"
#include "core/text_format.h"
#include "loaders/input/byte_source.h"
#include "warehouse/s3/s3_client.h"
#include "warehouse/s3/stage_settings.h"
#include "warehouse/snowflake/auth.h"
#include "warehouse/snowflake/dialect.h"
#include "warehouse/snowflake/jsonv2.h"
#include "warehouse/snowflake/snowflake_warehouse.h"
#include "warehouse/snowflake/sql_api_client.h"

namespace sluice {
namespace sf = snowflake;
namespace {

// The Snowflake data type a column was described with: "NUMBER(38,0)" -> "NUMBER".
std::string base_type(const SourceColumn& c) {
  return c.declared_type.substr(0, c.declared_type.find('('));
}

bool is_datetime(const std::string& type) {
  return type == "TIME" || type == "TIMESTAMP_NTZ" || type == "TIMESTAMP_LTZ" || type == "TIMESTAMP_TZ";
}

// A column's value as text both engines print alike, for verify's fingerprint ({} = the column):
// numbers as their type prints them (TO_VARCHAR of a NUMBER has "the number of digits in the
// fractional part determined by the scale", as a numeric does), FLOAT as TME (the shortest digits
// that read back as the double, d.dddE<exponent>; PostgreSQL's shortest digits rewritten so, over
// `float_parts`), times to the microsecond (a value with nanoseconds was refused or cast), LTZ in
// UTC (the fingerprint runs with TIMEZONE = UTC). nullopt for VARIANT (jsonb prints JSON its own
// way) and cast columns: a table with one is compared row by row.
struct ColumnText {
  std::string snowflake, postgres;
};
std::optional<ColumnText> column_text(const SourceColumn& c) {
  const std::string type = base_type(c);
  if (c.mapping.cast) return std::nullopt;
  if (type == "NUMBER" || type == "BOOLEAN") return ColumnText{"TO_VARCHAR({0})", "{0}::text"};
  if (type == "TEXT" || type == "VARCHAR") return ColumnText{"{0}", "{0}::text"};
  if (type == "BINARY") return ColumnText{"HEX_ENCODE({0}, 0)", "encode({0}, 'hex')"};
  if (type == "DATE") return ColumnText{"TO_VARCHAR({0}, 'YYYY-MM-DD')", "to_char({0}, 'YYYY-MM-DD')"};
  if (type == "TIME") return ColumnText{"TO_VARCHAR({0}, 'HH24:MI:SS.FF6')", "to_char({0}, 'HH24:MI:SS.US')"};
  if (type == "TIMESTAMP_NTZ")
    return ColumnText{"TO_VARCHAR({0}, 'YYYY-MM-DD HH24:MI:SS.FF6')", "to_char({0}, 'YYYY-MM-DD HH24:MI:SS.US')"};
  if (type == "TIMESTAMP_LTZ")
    return ColumnText{"TO_VARCHAR({0}, 'YYYY-MM-DD HH24:MI:SS.FF6')", "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"};
  if (type == "FLOAT") {
    // {1}: regexp_match of the shortest text (sign, integer digits, fraction digits, exponent).
    const std::string digits = "({1}[2] || coalesce({1}[3], ''))";
    const std::string significant = fmt::format("rtrim(ltrim({}, '0'), '0')", digits);
    const std::string exponent =
        fmt::format("(length({{1}}[2]) - 1 - (length({0}) - length(ltrim({0}, '0'))) + coalesce({{1}}[4]::int, 0))", digits);
    return ColumnText{
        "TO_VARCHAR({0}, 'TME')",
        fmt::format("CASE WHEN {{0}} IS NULL THEN NULL WHEN {{0}} = 'NaN' THEN 'NaN' WHEN {{0}} = 'Infinity' THEN 'inf' "
                    "WHEN {{0}} = '-Infinity' THEN '-inf' WHEN {0} = '' THEN {{1}}[1] || '0E0' ELSE {{1}}[1] || left({0}, 1) || "
                    "CASE WHEN length({0}) > 1 THEN '.' || substr({0}, 2) ELSE '' END || 'E' || {1} END",
                    significant, exponent)};
  }
  return std::nullopt;
}
// The parts of a double's shortest text (extra_float_digits = 1: the verify connection's).
constexpr const char* kFloatParts = "regexp_match({}::text, '^(-?)([0-9]+)(?:[.]([0-9]+))?(?:e([-+][0-9]+))?$')";

// The hashed text of a row: each value as 'V' <length> ':' <text>, or 'N' for NULL, so no two
// rows' values run into each other. The same SQL on both engines but for the values' texts.
std::string row_text(const std::vector<std::string>& columns, const std::vector<std::string>& texts) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i)
    out += fmt::format("{0}CASE WHEN {1} IS NULL THEN 'N' ELSE 'V' || LENGTH({2}) || ':' || {2} END", out.empty() ? "" : " || ",
                       columns[i], texts[i]);
  return out;
}

// One field of a row as read: its text (unescaped), or NULL.
struct Field {
  std::string_view value;
  bool null = false;
};

}  // namespace

// Writes rows into COPY text, checking what PostgreSQL could not take as it is. Both read paths
// hand their rows to it: result partitions as values (row), unload files as records in
// Snowflake's escaped form (unloaded).
class SnowflakeRowWriter {
 public:
  SnowflakeRowWriter(const SourceTable& t, const SourceRange& range, CopyBatcher& batcher, const ValueProblemHandler& problems)
      : table_(t), range_(range), batcher_(batcher), problems_(problems) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const SourceColumn& c = t.columns[i];
      Rule r;
      r.no_nul = c.mapping.kind == ValueKind::text || c.mapping.kind == ValueKind::json;
      r.json = c.mapping.kind == ValueKind::json;
      // A cast says the user takes PostgreSQL's rounding to microseconds.
      r.micro = is_datetime(base_type(c)) && !c.mapping.cast;
      if (r.json || r.micro) checked_.push_back(i);
      rules_.push_back(r);
      if (!range.column.empty() && c.name == range.column) key_column_ = static_cast<int>(i);
    }
  }

  // One row of values (unescaped text, or NULL).
  void row(const Field* fields, std::size_t n) {
    ++row_number_;
    require_columns(n);
    std::string& out = batcher_.text();
    const std::size_t start = out.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += '\t';
      if (fields[i].null) {
        out += "\\N";
        continue;
      }
      if (const char* why = check(rules_[i], fields[i].value)) {
        out.resize(start);
        refuse(i, key_column_ >= 0 && !fields[key_column_].null ? fields[key_column_].value : std::string_view(),
               fields[i].value, why);
        return;
      }
      append_copy_escaped(out, fields[i].value);
    }
    out += '\n';
    batcher_.end_row();
  }

  // One record as read_unloaded asks Snowflake to write it: fields split by tabs, a backslash
  // before a tab, a newline or a backslash of the data, \N for NULL. That is PostgreSQL's COPY text
  // with the same meaning (there, too, a backslash followed by any other character is that
  // character), but for carriage returns, which PostgreSQL takes for line ends. So the record is
  // copied as it is, with only the fields that need a check looked at.
  void unloaded(std::string_view raw) {
    ++row_number_;
    const bool has_nul = std::memchr(raw.data(), 0, raw.size()) != nullptr;
    if (!checked_.empty() || has_nul) {  // (the key column is read only for a refused row)
      split(raw);
      require_columns(raw_fields_.size());
      const auto check_field = [&](std::size_t i) {
        const std::string_view f = raw_fields_[i];
        if (f == "\\N") return true;
        const std::string_view v = f.find('\\') == std::string_view::npos ? f : unescape(f);
        const char* why = check(rules_[i], v);
        if (!why) return true;
        refuse(i, key_column_ >= 0 && raw_fields_[key_column_] != "\\N" ? raw_fields_[key_column_] : std::string_view(), v, why);
        return false;
      };
      if (has_nul) {
        for (std::size_t i = 0; i < raw_fields_.size(); ++i)
          if (!check_field(i)) return;
      } else {
        for (std::size_t i : checked_)
          if (!check_field(i)) return;
      }
    }
    std::string& out = batcher_.text();
    for (std::size_t at = 0;;) {
      const void* cr = std::memchr(raw.data() + at, '\r', raw.size() - at);
      if (!cr) {
        out.append(raw.data() + at, raw.size() - at);
        break;
      }
      const std::size_t i = static_cast<std::size_t>(static_cast<const char*>(cr) - raw.data());
      out.append(raw.data() + at, i - at);
      out += "\\r";
      at = i + 1;
    }
    out += '\n';
    batcher_.end_row();
  }

 private:
  struct Rule {
    bool no_nul = false;  // text and JSON: PostgreSQL holds no U+0000
    bool json = false;
    bool micro = false;   // TIME / TIMESTAMP_*: at most microseconds
  };

  void require_columns(std::size_t n) const {
    if (n != rules_.size())
      throw runtime_error(fmt::format("{}.{}: a row of {} with {} values, not {}", table_.schema, table_.name, range_.label(), n,
                                      rules_.size()),
                          fmt::format("row {} of the read", row_number_),
                          "The unloaded data does not have the layout sluice asked for: report this with the statement's id.");
  }

  // JSON text holding the escape \u0000 (not an escaped backslash followed by "u0000").
  static bool json_nul(std::string_view v) {
    for (std::size_t p = v.find("\\u0000"); p != std::string_view::npos; p = v.find("\\u0000", p + 1)) {
      std::size_t before = 0;
      while (before < p && v[p - 1 - before] == '\\') ++before;
      if (before % 2 == 0) return true;
    }
    return false;
  }

  static const char* check(const Rule& r, std::string_view v) {
    if (r.no_nul && std::memchr(v.data(), 0, v.size()))
      return "U+0000 in the value (PostgreSQL text cannot hold it)";
    if (r.json && json_nul(v)) return "\\u0000 in the JSON (PostgreSQL's jsonb cannot hold it)";
    if (r.micro) {
      // [YYYY-MM-DD ]HH24:MI:SS.FF9[ TZH:TZM] (select_list): the first '.' starts the nine digits.
      const std::size_t dot = v.find('.');
      if (dot != std::string_view::npos && v.size() >= dot + 10 && v.substr(dot + 7, 3) != "000")
        return "nanoseconds (PostgreSQL keeps microseconds): cast the column to accept rounding, or to text";
    }
    return nullptr;
  }

  void split(std::string_view raw) {
    raw_fields_.clear();
    std::size_t start = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\') ++i;
      else if (raw[i] == '\t') raw_fields_.push_back(raw.substr(start, i - start)), start = i + 1;
    }
    raw_fields_.push_back(raw.substr(std::min(start, raw.size())));
  }

  std::string_view unescape(std::string_view f) {
    unescaped_.clear();
    for (std::size_t i = 0; i < f.size(); ++i) unescaped_ += f[i] == '\\' && i + 1 < f.size() ? f[++i] : f[i];
    return unescaped_;
  }

  void refuse(std::size_t column, std::string_view key, std::string_view value, const char* why) {
    std::string shown;
    for (char c : value.substr(0, 200)) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    if (value.size() > 200) shown += "...";
    const std::string row = !key.empty() ? fmt::format("{} {}", range_.column, key)
                                         : fmt::format("row {} of {}", row_number_, range_.label());
    ValueProblem problem{table_.name, table_.columns[column].name, row, shown, why};
    report_value_problem(problem, table_.columns[column].mapping.target_type, "Snowflake", problems_);
  }

  const SourceTable& table_;
  const SourceRange& range_;
  CopyBatcher& batcher_;
  const ValueProblemHandler& problems_;
  std::vector<Rule> rules_;
  std::vector<std::size_t> checked_;  // columns whose values are checked
  int key_column_ = -1;
  std::uint64_t row_number_ = 0;
  std::vector<std::string_view> raw_fields_;
  std::string unescaped_;
};

namespace {

// The records of Snowflake's unloaded CSV as read_unloaded asks for it (RECORD_DELIMITER newline,
// ESCAPE_UNENCLOSED_FIELD backslash: copy-into-location says the escape character precedes
// "instances of the FIELD_DELIMITER or RECORD_DELIMITER characters in the data ... [and] instances
// of itself"): a newline ends a record unless an odd number of backslashes precede it. Bytes
// arrive in pieces; a record may span them.
class UnloadedRecords {
 public:
  template <class OnRecord>
  void feed(const char* data, std::size_t n, OnRecord&& on_record) {
    buffer_.append(data, n);
    const char* base = buffer_.data();
    for (;;) {
      const void* nl = std::memchr(base + scan_, '\n', buffer_.size() - scan_);
      if (!nl) {
        scan_ = buffer_.size();
        break;
      }
      const std::size_t i = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      std::size_t backslashes = 0;
      while (i - backslashes > start_ && base[i - backslashes - 1] == '\\') ++backslashes;
      scan_ = i + 1;
      if (backslashes % 2 == 1) continue;  // a newline of the data
      on_record(std::string_view(base + start_, i - start_));
      start_ = i + 1;
    }
    if (start_ > 0 && (start_ == buffer_.size() || start_ > (1u << 20))) {
      buffer_.erase(0, start_);
      scan_ -= start_;
      start_ = 0;
    }
  }
  // Bytes of an unfinished record at the end (a file cut short).
  bool has_partial_record() const { return start_ < buffer_.size(); }

 private:
  std::string buffer_;
  std::size_t start_ = 0, scan_ = 0;
};

// An S3 object read front to back in pieces of `piece` bytes.
class S3ObjectInput final : public RawInput {
 public:
  S3ObjectInput(s3::S3Client& s3, std::string key, std::uint64_t size, std::size_t piece)
      : s3_(s3), key_(std::move(key)), size_(size), piece_(piece) {}
  std::size_t read(char* out, std::size_t n) override {
    if (at_ >= pending_.size()) {
      if (offset_ >= size_) return 0;
      pending_ = s3_.get_object_range(key_, offset_, std::min<std::uint64_t>(piece_, size_ - offset_));
      at_ = 0;
      if (pending_.empty())
        throw runtime_error(fmt::format("s3://{}/{} ended at byte {} of {}", s3_.settings().bucket, key_, offset_, size_), "",
                            "The unloaded file changed or was removed while it was read: run the command again.");
      offset_ += pending_.size();
    }
    const std::size_t k = std::min(n, pending_.size() - at_);
    std::memcpy(out, pending_.data() + at_, k);
    at_ += k;
    return k;
  }
  std::uint64_t size() const override { return size_; }

 private:
  s3::S3Client& s3_;
  std::string key_;
  std::uint64_t size_, offset_ = 0;
  std::size_t piece_;
  std::string pending_;
  std::size_t at_ = 0;
};

std::string folder_name(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out.empty() ? "_" : out;
}

std::string attempt_id() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

SnowflakeTableSource::SnowflakeTableSource(const SnowflakeConnection& connection, SnowflakeSourceSettings settings)
    : connection_(connection), settings_(std::move(settings)) {
  sql_ = std::make_unique<sf::SqlApiClient>(sf::sql_api_settings(connection, settings_.cancel),
                                            std::shared_ptr<sf::TokenSource>(sf::make_token_source(connection)));
}

SnowflakeTableSource::~SnowflakeTableSource() {
  // Unloads prepared and never read: stopped on Snowflake (their files, if any, go with the job's
  // folder at the end of the run, or the next run's).
  for (const auto& [range, p] : prepared_) sql_->cancel(p.handle);
}

std::vector<std::string> SnowflakeTableSource::list_tables(const std::string& schema) {
  sf::StatementOptions o;
  o.bindings = {{"TEXT", sf::normalize_identifier(schema.empty() ? connection_.schema : schema)}};
  const auto rs = sql_->execute(
      "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", o);
  std::vector<std::string> out;
  for (const auto& r : rs.rows) out.push_back(r.at(0).value_or(""));
  return out;
}

SourceTable SnowflakeTableSource::describe(const std::string& schema, const std::string& table) {
  SourceTable t;
  t.schema = sf::normalize_identifier(schema.empty() ? connection_.schema : schema);
  const auto columns = [&](const std::string& name) {
    sf::StatementOptions o;
    o.bindings = {{"TEXT", t.schema}, {"TEXT", name}};
    return sql_->execute(
        "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, IS_NULLABLE "
        "FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        o);
  };
  // As the source spells it, else as Snowflake reads the name unquoted.
  t.name = table;
  auto rs = columns(t.name);
  if (rs.rows.empty()) rs = columns(t.name = sf::normalize_identifier(table));
  if (rs.rows.empty())
    throw usage_error(fmt::format("Snowflake has no table {}.{}", t.schema, table), "",
                      "Check the name and the migration's source_schema (sluice migrate plan lists the tables).");
  const auto number = [](const std::optional<std::string>& v) -> std::optional<std::int64_t> {
    if (!v) return std::nullopt;
    return sf::jsonv2::to_int64(*v);
  };
  for (const auto& r : rs.rows) {
    const sf::CatalogType type{r.at(1).value_or(""), number(r.at(2)), number(r.at(3)), number(r.at(4))};
    SourceColumn c;
    c.name = r.at(0).value_or("");
    c.declared_type = sf::display_name(type);
    c.type = sf::column_type(type);
    c.nullable = r.at(5).value_or("YES") != "NO";
    c.mapping = snowflake_column_mapping(type.data_type, type.precision, type.scale);
    t.columns.push_back(std::move(c));
  }
  return t;
}

s3::S3Client& SnowflakeTableSource::stage() {
  if (!s3_) {
    s3::StageTarget stage = s3::stage_target(connection_.stage);
    stage.settings.http.cancel = settings_.cancel;
    stage_prefix_ = stage.location.prefix;
    s3_ = std::make_unique<s3::S3Client>(stage.settings);
  }
  return *s3_;
}

std::string SnowflakeTableSource::job_folder() const { return fmt::format("migrate/{}/", folder_name(settings_.job)); }

void SnowflakeTableSource::remove_leftovers() {
  if (connection_.stage.name.empty() || connection_.stage.url.empty()) return;
  stage().delete_prefix(stage_prefix_ + job_folder());
}

std::string SnowflakeTableSource::relation(const SourceTable& t) const {
  std::string r = sf::quote_identifier(t.schema) + "." + sf::quote_identifier(t.name);
  if (!t.snapshot.empty()) r += fmt::format(" AT(STATEMENT => {})", sf::string_literal(t.snapshot));
  return r;
}

namespace {

// A column as the text PostgreSQL reads back exactly (a read's SELECT list, a watermark's value).
std::string column_projection(const SourceColumn& c) {
  const std::string col = sf::quote_identifier(c.name);
  const std::string type = base_type(c);
  if (type == "NUMBER" || type == "BOOLEAN" || type == "TEXT" || type == "VARCHAR") return col;
  if (type == "FLOAT") return fmt::format("TO_VARCHAR({}, 'TME')", col);
  if (type == "BINARY") return fmt::format("'\\\\x' || HEX_ENCODE({})", col);  // bytea's hex input
  if (type == "DATE") return fmt::format("TO_VARCHAR({}, 'YYYY-MM-DD')", col);
  if (type == "TIME") return fmt::format("TO_VARCHAR({}, 'HH24:MI:SS.FF9')", col);
  if (type == "TIMESTAMP_NTZ") return fmt::format("TO_VARCHAR({}, 'YYYY-MM-DD HH24:MI:SS.FF9')", col);
  if (type == "TIMESTAMP_LTZ" || type == "TIMESTAMP_TZ") return fmt::format("TO_VARCHAR({}, 'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM')", col);
  if (type == "VARIANT" || type == "OBJECT" || type == "ARRAY") return fmt::format("TO_JSON({})", col);
  return fmt::format("TO_VARCHAR({})", col);
}

// A watermark value (as column_projection printed it) as a literal of the column's type. A
// literal, not a binding: an unload's COPY INTO <location> takes its query as text, and the
// documentation promises bindings for none of it. The value comes from Snowflake (the greatest
// watermark, or that less the lookback) and is quoted by the dialect layer.
std::string watermark_literal(const SourceColumn& c, const std::string& value) {
  const std::string type = base_type(c);
  const std::string cast = type == "NUMBER"          ? c.declared_type
                           : type == "FLOAT"         ? "FLOAT"
                           : type == "DATE"          ? "DATE"
                           : type == "TIME"          ? "TIME(9)"
                           : type == "TIMESTAMP_NTZ" ? "TIMESTAMP_NTZ(9)"
                           : type == "TIMESTAMP_LTZ" ? "TIMESTAMP_LTZ(9)"
                           : type == "TIMESTAMP_TZ"  ? "TIMESTAMP_TZ(9)"
                                                     : "VARCHAR";
  return sf::string_literal(value) + "::" + cast;
}

const SourceColumn& column_named(const SourceTable& t, const std::string& name) {
  for (const auto& c : t.columns)
    if (c.name == name) return c;
  throw usage_error(fmt::format("{}.{} has no column {}", t.schema, t.name, name), "", "Name one of its columns.");
}

}  // namespace

std::string SnowflakeTableSource::select_list(const SourceTable& t) {
  std::string out;
  for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + column_projection(c);
  return out;
}

std::string SnowflakeTableSource::pin_snapshot(const SourceTable& t) {
  // The count a run reconciles with, taken by the statement whose point every read then names
  // (AT(STATEMENT) is "inclusive of any changes made by" it: what it saw).
  SourceTable live = t;
  live.snapshot.clear();
  const auto rs = sql_->execute(fmt::format("SELECT COUNT(*) FROM {}{}", relation(live), t.filter.empty() ? "" : " WHERE (" + t.filter + ")"));
  pinned_counts_[rs.statement_handle] = static_cast<std::uint64_t>(sf::jsonv2::to_int64(rs.rows.at(0).at(0).value_or("0")));
  return rs.statement_handle;
}

std::uint64_t SnowflakeTableSource::count_rows(const SourceTable& t) {
  if (const auto it = pinned_counts_.find(t.snapshot); !t.snapshot.empty() && !t.window && it != pinned_counts_.end()) return it->second;
  const auto rs = sql_->execute(fmt::format("SELECT COUNT(*) FROM {}{}", relation(t), range_condition(t, SourceRange{})));
  return static_cast<std::uint64_t>(sf::jsonv2::to_int64(rs.rows.at(0).at(0).value_or("0")));
}

WatermarkExtent SnowflakeTableSource::watermark_extent(const SourceTable& t, const std::vector<std::string>& columns) {
  SourceTable whole = t;
  whole.window.reset();
  const std::string where = range_condition(whole, SourceRange{});
  const std::string and_ = where.empty() ? " WHERE " : " AND ";
  std::string values, not_null, is_null, descending;
  for (const auto& name : columns) {
    const SourceColumn& c = column_named(t, name);
    const std::string q = sf::quote_identifier(c.name);
    values += (values.empty() ? "" : ", ") + column_projection(c);
    not_null += (not_null.empty() ? "" : " AND ") + q + " IS NOT NULL";
    is_null += (is_null.empty() ? "" : " OR ") + q + " IS NULL";
    descending += (descending.empty() ? "" : ", ") + q + " DESC";
  }
  WatermarkExtent out;
  const auto max = sql_->execute(fmt::format("SELECT {} FROM {}{}{}{} ORDER BY {} LIMIT 1", values, relation(t), where, and_,
                                             not_null, descending));
  if (!max.rows.empty()) {
    out.max.emplace();
    for (const auto& cell : max.rows[0]) out.max->push_back(cell.value_or(""));
  }
  const auto nulls = sql_->execute(fmt::format("SELECT COUNT(*) FROM {}{}{}({})", relation(t), where, and_, is_null));
  out.null_rows = static_cast<std::uint64_t>(sf::jsonv2::to_int64(nulls.rows.at(0).at(0).value_or("0")));
  return out;
}

namespace {

// A date, time or timestamp as column_projection prints it ("YYYY-MM-DD", "HH24:MI:SS.FF9",
// "YYYY-MM-DD HH24:MI:SS.FF9[ TZH:TZM]") less `seconds`, printed the same way (the offset kept:
// the same instant less the same time). nullopt when the text is not one of those.
std::optional<std::string> earlier_datetime(const std::string& text, double seconds) {
  constexpr __int128 kDay = static_cast<__int128>(86400) * 1000000000;
  const auto less = static_cast<__int128>(std::llround(seconds * 1e9));
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  long long frac = 0;
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && used == 10) {
    const auto days = static_cast<std::int64_t>(days_from_civil(y, mo, d)) - static_cast<std::int64_t>(std::ceil(seconds / 86400));
    return format_iso(static_cast<DayNumber>(days));
  }
  if (std::sscanf(text.c_str(), "%2d:%2d:%2d.%9lld%n", &h, &mi, &sec, &frac, &used) == 4 && used == 18 && text.size() == 18) {
    __int128 ns = (static_cast<__int128>(h) * 3600 + mi * 60 + sec) * 1000000000 + frac - less;
    if (ns < 0) ns = 0;
    const auto v = static_cast<long long>(ns);
    return fmt::format("{:02}:{:02}:{:02}.{:09}", v / 3600000000000LL, v / 60000000000LL % 60, v / 1000000000LL % 60, v % 1000000000LL);
  }
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d.%9lld%n", &y, &mo, &d, &h, &mi, &sec, &frac, &used) != 7 || used != 29)
    return std::nullopt;
  __int128 ns = static_cast<__int128>(days_from_civil(y, mo, d)) * kDay +
                (static_cast<__int128>(h) * 3600 + mi * 60 + sec) * 1000000000 + frac - less;
  __int128 days = ns / kDay, rest = ns % kDay;
  if (rest < 0) rest += kDay, --days;
  const CivilDate c = civil_from_days(static_cast<DayNumber>(days));
  const auto r = static_cast<long long>(rest);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09}{}", c.year, c.month, c.day, r / 3600000000000LL,
                     r / 60000000000LL % 60, r / 1000000000LL % 60, r % 1000000000LL, text.substr(29));
}

}  // namespace

std::string SnowflakeTableSource::lower_watermark(const SourceTable& t, const std::string& column, const std::string& bound,
                                                  double amount) {
  const SourceColumn& c = column_named(t, column);
  const std::string type = base_type(c);
  if (type == "NUMBER" || type == "FLOAT") {
    // Snowflake subtracts, and prints the difference as the column's values print.
    SourceColumn lowered = c;
    lowered.name = "L";
    std::string projection = column_projection(lowered);
    const std::string name = sf::quote_identifier("L");
    projection.replace(projection.find(name), name.size(),
                       fmt::format("({} - {})", watermark_literal(c, bound),
                                   type == "NUMBER" && c.mapping.scale == 0 ? fmt::format("{}", std::ceil(amount)) : fmt::format("{}", amount)));
    return sql_->execute("SELECT " + projection).rows.at(0).at(0).value_or(bound);
  }
  if (auto earlier = earlier_datetime(bound, amount)) return *earlier;
  throw usage_error(fmt::format("{}.{}.{} is {}: a lookback lowers a number, a date or a time", t.schema, t.name, c.name,
                                c.declared_type),
                    "", "Remove lookback from the entry.");
}

std::vector<SourceRange> SnowflakeTableSource::plan_ranges(const SourceTable& t, const std::string& chunk_by, std::size_t parts) {
  // A table cut by a column is read by ranges of it even when one range holds it all: a finding
  // then names the row by that column.
  if (chunk_by.empty()) return {SourceRange{}};
  // The config's names are Snowflake's unquoted ones: as spelled, else whatever their case.
  auto it = std::find_if(t.columns.begin(), t.columns.end(), [&](const SourceColumn& c) { return c.name == chunk_by; });
  if (it == t.columns.end())
    it = std::find_if(t.columns.begin(), t.columns.end(), [&](const SourceColumn& c) {
      return c.name.size() == chunk_by.size() && ::strncasecmp(c.name.data(), chunk_by.data(), c.name.size()) == 0;
    });
  if (it == t.columns.end())
    throw usage_error(fmt::format("{}.{} has no column {} to cut it by", t.schema, t.name, chunk_by), "",
                      "Name one of its columns in chunk_by, or leave chunk_by out to copy it whole.");
  const bool whole_numbers = it->mapping.kind == ValueKind::integer || (it->mapping.kind == ValueKind::numeric && it->mapping.scale == 0);
  const auto not_cuttable = [&] {
    return usage_error(fmt::format("{}.{}.{} is {}, not an integer column whose values fit 64 bits", t.schema, t.name, it->name,
                                   it->declared_type),
                       "", "Cut the table by an integer column (an id, a YYYYMMDD day), or copy it whole.");
  };
  if (!whole_numbers) throw not_cuttable();
  const std::string col = sf::quote_identifier(it->name);
  const auto rs = sql_->execute(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}{2}", col, relation(t),
                                            t.filter.empty() ? "" : " WHERE (" + t.filter + ")"));
  const auto& row = rs.rows.at(0);
  if (!row.at(0)) return {SourceRange{}};  // empty, or every value NULL
  std::int64_t lo = 0, hi = 0;
  try {
    lo = sf::jsonv2::to_int64(*row.at(0));
    hi = sf::jsonv2::to_int64(*row.at(1));
  } catch (const std::exception&) {
    throw not_cuttable();
  }
  return equal_ranges(it->name, lo, hi, std::max<std::size_t>(parts, 1));
}

std::optional<RangeFingerprint> SnowflakeTableSource::fingerprint(const SourceTable& t, const SourceRange& range) {
  std::vector<std::string> columns, texts;
  for (const auto& c : t.columns) {
    const auto text = column_text(c);
    if (!text) return std::nullopt;
    columns.push_back(sf::quote_identifier(c.name));
    texts.push_back(fmt::format(fmt::runtime(text->snowflake), columns.back()));
  }
  sf::StatementOptions options;
  options.parameters = {{"TIMEZONE", "UTC"}};
  const auto rs = sql_->execute(fmt::format("SELECT COUNT(*), COALESCE(SUM(MD5_NUMBER_LOWER64({})), 0) FROM {}{}",
                                            row_text(columns, texts), relation(t), range_condition(t, range)),
                                options);
  const auto& row = rs.rows.at(0);
  return RangeFingerprint{static_cast<std::uint64_t>(sf::jsonv2::to_int64(row.at(0).value_or("0"))), {row.at(1).value_or("")}};
}

std::string SnowflakeTableSource::target_fingerprint_sql(const SourceTable& t, const std::vector<std::string>& target_columns,
                                                         const std::string& relation_and_where) const {
  std::vector<std::string> texts;
  std::string parts;  // the FLOAT columns' regexp_match, named "p<i>"
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto text = column_text(t.columns[i]);
    if (!text) return {};
    const std::string part = fmt::format("\"p{}\"", i);
    if (base_type(t.columns[i]) == "FLOAT") parts += fmt::format(", {} AS {}", fmt::format(fmt::runtime(kFloatParts), target_columns.at(i)), part);
    texts.push_back(fmt::format(fmt::runtime(text->postgres), target_columns.at(i), part));
  }
  std::string columns;
  for (const auto& c : target_columns) columns += (columns.empty() ? "" : ", ") + c;
  // MD5_NUMBER_LOWER64: the digest's last 8 bytes, an unsigned number.
  return fmt::format(
      "SELECT count(*), coalesce(sum(CASE WHEN h < 0 THEN h + 18446744073709551616 ELSE h END), 0)::text FROM "
      "(SELECT ('x' || right(md5({}), 16))::bit(64)::bigint::numeric AS h FROM (SELECT {}{} FROM {}) r) d",
      row_text(target_columns, texts), columns, parts, relation_and_where);
}

std::string SnowflakeTableSource::range_condition(const SourceTable& t, const SourceRange& range) const {
  std::vector<std::string> conditions;
  if (!range.column.empty()) {
    const std::string col = sf::quote_identifier(range.column);
    // NULLs of the chunk column belong to no range of values: the last range takes them.
    conditions.push_back(fmt::format("({0} BETWEEN {1} AND {2} OR ({0} IS NULL AND {2} = (SELECT MAX({0}) FROM {3})))", col,
                                     range.first, range.last, relation(t)));
  }
  if (!t.filter.empty()) conditions.push_back("(" + t.filter + ")");
  if (t.window) {
    const WatermarkWindow& w = *t.window;
    std::vector<std::string> columns, from, to;
    for (std::size_t i = 0; i < w.columns.size(); ++i) {
      const SourceColumn& c = column_named(t, w.columns[i]);
      columns.push_back(sf::quote_identifier(c.name));
      if (!w.from.empty()) from.push_back(watermark_literal(c, w.from[i]));
      if (!w.to.empty()) to.push_back(watermark_literal(c, w.to[i]));
    }
    conditions.push_back(watermark_window_sql(columns, from, w.from_inclusive, to, w.with_nulls));
  }
  std::string where;
  for (const auto& c : conditions) where += (where.empty() ? " WHERE " : " AND ") + c;
  return where;
}

std::uint64_t SnowflakeTableSource::read_range(const SourceTable& t, const SourceRange& range, ChunkSink& sink,
                                               std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel,
                                               const ValueProblemHandler& problems) {
  CopyBatcher batcher(sink, chunk_bytes, progress, cancel, fmt::format("{}.{} {}", t.schema, t.name, range.label()));
  SnowflakeRowWriter writer(t, range, batcher, problems);
  const std::string where = range_condition(t, range);
  if (reads_partitions(t)) read_partitions(t, where, writer);
  else read_unloaded(t, range, where, writer);
  return batcher.finish();
}

bool SnowflakeTableSource::reads_partitions(const SourceTable& t) const {
  return t.estimated_rows > 0 && t.estimated_rows <= settings_.small_table_rows;
}

std::string SnowflakeTableSource::unload_sql(const SourceTable& t, const std::string& where, const std::string& folder) const {
  return fmt::format(
      "COPY INTO @{}/{} FROM (SELECT {} FROM {}{}) "
      "FILE_FORMAT = (TYPE = CSV COMPRESSION = ZSTD FIELD_DELIMITER = '\\t' RECORD_DELIMITER = '\\n' "
      "ESCAPE_UNENCLOSED_FIELD = '\\\\' FIELD_OPTIONALLY_ENCLOSED_BY = NONE NULL_IF = ('\\\\N') EMPTY_FIELD_AS_NULL = FALSE) "
      "MAX_FILE_SIZE = {} INCLUDE_QUERY_ID = TRUE DETAILED_OUTPUT = TRUE HEADER = FALSE",
      sf::identifier(connection_.stage.name), folder, select_list(t), relation(t), where, settings_.max_file_size);
}

void SnowflakeTableSource::prepare_range(const SourceTable& t, const SourceRange& range) {
  if (reads_partitions(t) || connection_.stage.name.empty() || prepared_.count(range.label())) return;
  const std::string folder = fmt::format("{}{}/{}/", job_folder(), folder_name(t.name), attempt_id());
  const std::string handle = sql_->submit(unload_sql(t, range_condition(t, range), folder));
  prepared_[range.label()] = Prepared{folder, handle};
}

void SnowflakeTableSource::read_partitions(const SourceTable& t, const std::string& where, SnowflakeRowWriter& writer) {
  // Every column is projected to text, so each cell is the value's own text (jsonv2 sends every
  // value as a string, NULL as null: developer-guide/sql-api/handling-responses).
  const auto rs = sql_->execute(fmt::format("SELECT {} FROM {}{}", select_list(t), relation(t), where));
  std::vector<Field> fields(t.columns.size());
  for (const auto& row : rs.rows) {
    for (std::size_t i = 0; i < fields.size() && i < row.size(); ++i)
      fields[i] = row[i] ? Field{*row[i], false} : Field{{}, true};
    writer.row(fields.data(), std::min(fields.size(), row.size()));
  }
}

void SnowflakeTableSource::read_unloaded(const SourceTable& t, const SourceRange& range, const std::string& where,
                                         SnowflakeRowWriter& writer) {
  if (connection_.stage.name.empty())
    throw usage_error(fmt::format("the Snowflake connection has no stage to unload {}.{} to", t.schema, t.name),
                      "A table larger than small_table_rows is unloaded to the connection's S3 stage and read from there.",
                      "Add the stage (name: and url: of an external stage on S3) to the connection, or raise the migration's "
                      "small_table_rows to read the table through the SQL API.");
  stage();
  // A folder of this attempt's own: an unload never finds files there, and whatever it leaves
  // (a retried unload's strays) is removed with the folder. A prepared range's unload is running
  // already (prepare_range): its result is waited for.
  std::string folder, handle;
  if (const auto it = prepared_.find(range.label()); it != prepared_.end()) {
    folder = it->second.folder;
    handle = it->second.handle;
    prepared_.erase(it);
  } else {
    folder = fmt::format("{}{}/{}/", job_folder(), folder_name(t.name), attempt_id());
  }
  struct RemoveFolder {
    s3::S3Client& s3;
    std::string prefix;
    ~RemoveFolder() {
      try {
        s3.delete_prefix(prefix);
      } catch (...) {
        // Best effort: a later run's folder is another one; the leftover is named in no record.
      }
    }
  } remove{*s3_, stage_prefix_ + folder};
  const sf::ResultSet rs = handle.empty() ? sql_->execute(unload_sql(t, where, folder)) : sql_->wait(handle);
  const int name_col = rs.column("file_name"), size_col = rs.column("file_size"), rows_col = rs.column("row_count");
  if (name_col < 0 || size_col < 0 || rows_col < 0)
    throw runtime_error(fmt::format("the unload of {}.{} {} did not list its files", t.schema, t.name, range.label()),
                        fmt::format("statement {}", rs.statement_handle),
                        "COPY INTO <location> with DETAILED_OUTPUT = TRUE answers file_name, file_size and row_count.");
  std::vector<char> buffer(1u << 20);
  for (const auto& r : rs.rows) {
    const std::string name = r.at(static_cast<std::size_t>(name_col)).value_or("");
    const auto size = static_cast<std::uint64_t>(sf::jsonv2::to_int64(r.at(static_cast<std::size_t>(size_col)).value_or("0")));
    const auto expected = static_cast<std::uint64_t>(sf::jsonv2::to_int64(r.at(static_cast<std::size_t>(rows_col)).value_or("0")));
    // The file's path as given to COPY INTO, or relative to that path.
    const std::string key = stage_prefix_ + (name.starts_with(folder) ? name : folder + name);
    auto input = open_byte_source(fmt::format("s3://{}/{}", s3_->settings().bucket, key),
                                  std::make_unique<S3ObjectInput>(*s3_, key, size, settings_.read_piece), Compression::zstd);
    UnloadedRecords records;
    std::uint64_t in_file = 0;
    for (std::size_t n; (n = input->read(buffer.data(), buffer.size())) > 0;)
      records.feed(buffer.data(), n, [&](std::string_view record) {
        ++in_file;
        writer.unloaded(record);
      });
    if (records.has_partial_record() || in_file != expected)
      throw runtime_error(fmt::format("s3://{}/{} holds {} rows{}, but the unload reported {}", s3_->settings().bucket, key,
                                      in_file, records.has_partial_record() ? " and a cut-off one" : "", expected),
                          fmt::format("unload statement {}", rs.statement_handle), "Run the command again: the chunk is unloaded afresh.");
  }
}

}  // namespace sluice

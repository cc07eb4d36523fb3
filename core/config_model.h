// The validated, immutable configuration: connections and tables. app/config parses YAML into it;
// every other layer reads it. Positions (file:line:column) are kept so later errors can point back
// at the config entry that caused them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/column_type.h"

namespace sluice {

struct SourcePosition {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string str() const;  // "file:line:column"
};

enum class FileFormat { tsv, csv, auto_detect };
enum class TextEncoding { utf8, latin1, windows1252 };

struct ColumnSpec {
  std::string name;
  ColumnType type;
  bool required = false;  // a NULL / empty value is a QC finding
};

// How a table's monthly files are written: where they are and their syntax. Kept apart from the
// table itself because a table is also filled from other sources (a migrated table has no feed).
struct FeedSpec {
  std::string file_pattern;   // may contain {month} (YYYY-MM) or {date_range} (YYYYMMDD-YYYYMMDD)
  FileFormat format = FileFormat::tsv;
  bool header = false;
  char delimiter = '\t';      // defaults: tab for tsv, ',' for csv
  char quote = '"';           // CSV only
  std::string null_marker;    // besides the empty field, e.g. "\\N" or "NULL"; empty = none
  TextEncoding encoding = TextEncoding::utf8;  // latin1: transcoded to UTF-8 while scanning
  bool backslash_escapes = false;  // TSV in PostgreSQL text form: \t \n \\ escapes, \N is NULL
};

// A warehouse table as the checks see it: its columns, the date that splits it into months, the
// key that makes a row unique, the connection it lives in; and the feed its files arrive by.
struct TableSpec {
  std::string table;          // as written in the config; the dialect decides case and quoting
  std::string connection;     // optional per-table target; empty = the config's target
  std::string date_column;    // empty = no date QC for this table
  std::string date_format;    // empty = auto (YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY); else strftime-like
  std::vector<ColumnSpec> columns;
  std::vector<std::string> duplicate_key;
  // low_days: days with far fewer rows than the others (under 10% of the mean, or outliers below
  // the IQR fence) fail file QC and validate; false (low_days: warn) makes them warnings, for
  // data where weekends or holidays are legitimately thin.
  bool low_days_fail = true;
  FeedSpec feed;
  SourcePosition position;    // where the entry starts in the config file

  // Index of a column by name (case-insensitive), or -1.
  int column_index(const std::string& name) const;
  int date_column_index() const { return date_column.empty() ? -1 : column_index(date_column); }
};

enum class ConnectionType { postgres, snowflake, sqlite };

struct PostgresConnection {
  bool embedded = false;
  std::string dsn;            // libpq connection string; no password (use ~/.pgpass or PGPASSWORD)
  std::string schema = "public";
};

struct SnowflakeAuth {
  std::string method;             // "keypair" | "oauth" | "pat" (programmatic access token)
  std::string private_key_file;   // keypair: path (~ expanded)
  std::string passphrase_env;     // keypair: name of the variable holding the key passphrase
  std::string token_env;          // oauth/pat: name of the variable holding the token, or
  std::string token_file;         //   a file holding it (~ expanded; re-read when refused)
};

struct SnowflakeStage {
  std::string name;
  std::string url;       // s3://bucket/prefix/
  std::string region;    // empty: $AWS_REGION, else $AWS_DEFAULT_REGION
  std::string endpoint;  // S3 endpoint override (https; http only to loopback); empty:
                         // $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS's regional endpoint
  std::string addressing = "auto";  // auto | path | virtual
  // Names of the environment variables holding the credentials (never the values).
  std::string access_key_id_env = "AWS_ACCESS_KEY_ID";
  std::string secret_access_key_env = "AWS_SECRET_ACCESS_KEY";
  std::string session_token_env = "AWS_SESSION_TOKEN";
  // CA certificates (PEM) for the S3 endpoint's TLS, instead of the system's; empty: the
  // connection's ca_file, else $AWS_CA_BUNDLE, else the system's.
  std::string ca_file;
};

struct SnowflakeConnection {
  std::string account, user, warehouse, database, schema = "PUBLIC", role;
  SnowflakeAuth auth;
  SnowflakeStage stage;
  std::string endpoint;  // optional base URL override (tests, private link); https unless loopback
  std::string ca_file;   // CA certificates (PEM) for the SQL API's TLS (and the stage's by default)
};

// A SQLite database file: a migration source only, opened read-only and never written.
struct SqliteConnection {
  std::string path;  // ~ expanded
};

// A named connection: one backend's settings. Code that needs a particular backend asks for it
// (postgres(), snowflake()) and gets nullptr from any other, so a new backend is one more
// alternative here and a compile error at every std::visit that forgets it.
struct ConnectionSpec {
  std::string name;
  std::variant<PostgresConnection, SnowflakeConnection, SqliteConnection> backend;
  SourcePosition position;

  // The alternatives are in ConnectionType's order.
  ConnectionType type() const { return static_cast<ConnectionType>(backend.index()); }
  const PostgresConnection* postgres() const { return std::get_if<PostgresConnection>(&backend); }
  const SnowflakeConnection* snowflake() const { return std::get_if<SnowflakeConnection>(&backend); }
  const SqliteConnection* sqlite() const { return std::get_if<SqliteConnection>(&backend); }
  PostgresConnection* postgres() { return std::get_if<PostgresConnection>(&backend); }
  // Loads go into PostgreSQL and Snowflake; SQLite files are only read (by migrate).
  bool can_be_loaded_into() const { return !sqlite(); }
};

static_assert(std::variant_size_v<decltype(ConnectionSpec::backend)> ==
              static_cast<std::size_t>(ConnectionType::sqlite) + 1);

enum class MigrationMode {
  full,         // the table is built under a staging name and swapped in when every chunk is done
  append,       // rows are added to the existing table chunk by chunk
  incremental,  // copied whole once, then each run upserts the rows past the watermark (docs/sync.md)
};

// What an incremental table does about rows whose watermark is NULL (they belong to no window).
enum class NullWatermark {
  include,  // every run reads them too and upserts them by key (unchanged rows are not rewritten)
  skip,     // never copied
  fail,     // a run stops while the source holds one
};

// One entry of a migration's tables: a source table name or a glob of them ("!glob" excludes), and
// the settings for the tables it names.
struct MigrationTableRule {
  std::string pattern;       // "events", "fact_*", "*"
  bool exclude = false;      // written "!pattern"
  std::string target_table;  // only for an entry naming one table; empty = the source's name
  std::string chunk_by;      // a column to cut the table into ranges by; empty = the rowid / a key
  std::string where;         // a condition in the source's SQL, written by the config's author
  std::optional<MigrationMode> mode;            // unset: the migration's (full)
  std::map<std::string, std::string> rename;    // source column -> target column
  std::map<std::string, std::string> cast;      // source column -> target PostgreSQL type
  // Incremental sync (mode: incremental, or append with a watermark): the columns whose values
  // only grow as rows are added or changed, compared as one ordered tuple.
  std::vector<std::string> watermark;
  std::vector<std::string> primary_key;         // the rows' key; empty: the source's declared one
  bool detect_deletes = false;                  // deletes: detect
  NullWatermark null_watermark = NullWatermark::include;
  // Subtracted from the last mark when a window starts, for watermarks stamped before their
  // writer commits: a number (in the watermark's units), or seconds for a date or time.
  std::optional<double> lookback;
  SourcePosition position;

  bool is_glob() const { return pattern.find_first_of("*?[") != std::string::npos; }
};

// A named migration job: tables of one source connection copied into one PostgreSQL target.
struct MigrationSpec {
  std::string name;
  std::string source, target;        // connection names
  std::string source_schema;         // empty: the source's default (main, public, the connection's)
  std::string schema;                // target schema; empty: the target connection's
  int workers = 0;                   // 0: sized to the cores and the source
  std::uint64_t chunk_rows = 1000000;  // rows a chunk holds, about
  // A Snowflake table of at most this many rows is read through the SQL API's result partitions
  // instead of an unload to the stage.
  std::uint64_t small_table_rows = 100000;
  MigrationMode mode = MigrationMode::full;
  std::vector<MigrationTableRule> tables;
  SourcePosition position;
};

struct Config {
  std::string path;                 // the file it was read from ("" for the built-in default)
  std::string target;               // connection name loads go to
  std::map<std::string, ConnectionSpec> connections;
  std::vector<TableSpec> tables;
  std::vector<MigrationSpec> migrations;

  // The connection a table loads into (its own, else the config's target).
  const ConnectionSpec& connection_for(const TableSpec& table) const;
  const ConnectionSpec& target_connection() const;
  const TableSpec* find_table(const std::string& name) const;  // case-insensitive
  const MigrationSpec* find_migration(const std::string& name) const;  // exact
};

}  // namespace sluice

// The Snowflake SQL API (REST v2) client: statements over HTTPS + JSON, no Snowflake driver.
//
// execute() submits with async=true (so the client always holds the statement handle), polls
// GET /api/v2/statements/<handle> until the statement ends (each wait an eighth of the time it has
// run so far, between poll_first and poll_max: the end is noticed within about 12 % of the
// statement's time, where doubling waits lost up to as much again), then fetches the
// remaining result partitions (gzip, decoded by libcurl). Every submit carries a fresh requestId;
// a re-send of it (after a network error, 429 or 5xx, with jittered backoff) adds retry=true so
// Snowflake does not run the statement twice; the submit also takes a fresh connection, because
// libcurl silently re-sends a request once on a reused connection that answers nothing, and that
// re-send would lack retry=true. A 401 renews the token once. Cancellation (Ctrl-C, abort) and the
// optional deadline cancel the statement on the server (POST .../cancel) before throwing.
//
// Failures are SqlApiError (a sluice::Error): Snowflake's code, SQLSTATE, message and statement
// handle, plus the HTTP status. Tokens never appear in errors or logs.
//
// Plain http is accepted only to a loopback host (the emulator); https is always verified.
// One client may be used from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/error.h"
#include "core/version.h"
#include "warehouse/http/http_client.h"
#include "warehouse/http/retry.h"
#include "warehouse/snowflake/auth.h"
#include "warehouse/snowflake/jsonv2.h"

namespace sluice::snowflake {

class SqlApiError : public Error {
 public:
  SqlApiError(std::string primary, std::string detail, std::string hint, long http_status,
              std::string code, std::string sql_state, std::string handle)
      : Error(ExitCode::runtime, std::move(primary), std::move(detail), std::move(hint)),
        http_status_(http_status), code_(std::move(code)), sql_state_(std::move(sql_state)),
        handle_(std::move(handle)) {}
  long http_status() const { return http_status_; }
  const std::string& snowflake_code() const { return code_; }  // "002003"
  const std::string& sql_state() const { return sql_state_; }  // "42S02"
  const std::string& statement_handle() const { return handle_; }

 private:
  long http_status_;
  std::string code_, sql_state_, handle_;
};

struct ColumnInfo {
  std::string name;
  jsonv2::Type type = jsonv2::Type::unknown;
  std::string type_name;  // as sent ("fixed")
  std::optional<int> precision, scale;
  std::optional<std::int64_t> length;
  bool nullable = true;
};

using Cell = std::optional<std::string>;  // nullopt = SQL NULL

struct ResultSet {
  std::string statement_handle;
  std::string request_id;
  std::vector<std::string> statement_handles;  // a multi-statement request's children
  std::vector<ColumnInfo> columns;
  std::vector<std::vector<Cell>> rows;          // every partition, in order
  nlohmann::json stats;                         // DML: numRowsInserted, ... (may be null)
  int partitions = 1;

  // Index of a column by name (exact first, then case-insensitive), or -1.
  int column(std::string_view name) const;
  // DML row count from the "number of rows inserted/updated/deleted" column, else stats.
  std::int64_t rows_affected() const;
};

struct Binding {
  std::string type;  // FIXED REAL TEXT BOOLEAN DATE TIME TIMESTAMP_NTZ ... BINARY
  std::optional<std::string> value;
};

struct StatementOptions {
  std::vector<Binding> bindings;      // "?" placeholders, in order
  int multi_statement_count = 1;      // 0: any number
  std::chrono::seconds timeout{0};    // server-side statement timeout; 0: the account's default
  std::string query_tag;
  // Session parameters for this statement alone ({"TIMEZONE", "UTC"}): what its output depends on
  // is then the statement's, not the user's defaults.
  std::vector<std::pair<std::string, std::string>> parameters;
  std::chrono::seconds deadline{0};   // client-side: cancel and fail after this; 0: none
  // Called at each poll that finds the statement still running (at most poll_max apart): a long
  // COPY's progress line shows its elapsed time through it.
  std::function<void()> while_running;
};

struct SqlApiSettings {
  std::string base_url;  // https://<account>.snowflakecomputing.com (or the endpoint override)
  std::string database, schema, warehouse, role;
  std::string user_agent = sluice::user_agent();
  http::RetryPolicy retry;
  std::chrono::milliseconds poll_first{25};
  std::chrono::milliseconds poll_max{1000};
  const Cancellation* cancel = nullptr;
  http::ClientOptions http;  // timeouts, CA file; user agent and cancel are taken from above
  std::function<void(const std::string& what)> on_retry;  // a log line; no secrets in it
};

class SqlApiClient {
 public:
  SqlApiClient(SqlApiSettings settings, std::shared_ptr<TokenSource> tokens);
  ~SqlApiClient();

  // Runs the statement(s) to completion and returns the whole result.
  ResultSet execute(const std::string& sql, const StatementOptions& options = {});

  // The pieces: submit (async) returns the handle; wait polls until done; cancel asks the
  // server to stop it; fetch gets a finished statement's result (e.g. a child of a
  // multi-statement request).
  std::string submit(const std::string& sql, const StatementOptions& options = {},
                     std::optional<ResultSet>* finished = nullptr);
  ResultSet wait(const std::string& handle, std::chrono::seconds deadline = std::chrono::seconds(0),
                 const std::function<void()>& while_running = {});
  void cancel(const std::string& handle);
  ResultSet fetch(const std::string& handle);

  const SqlApiSettings& settings() const { return settings_; }
  std::uint64_t requests_sent() const { return requests_.load(); }
  std::uint64_t retries() const { return retries_.load(); }

 private:
  enum class Kind { submit, status, cancel };
  http::Response send(Kind kind, const std::string& method, const std::string& path,
                      const std::string& body, std::string& request_id, bool cancellable);
  ResultSet result_from(const http::Response& first, const std::string& handle);
  [[noreturn]] void fail(const http::Response& r, const std::string& handle,
                         const std::string& sql) const;

  SqlApiSettings settings_;
  std::shared_ptr<TokenSource> tokens_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<http::Client>> pool_;
  std::unique_ptr<http::Client> acquire();
  void release(std::unique_ptr<http::Client>);
  std::atomic<std::uint64_t> requests_{0}, retries_{0};
};

// https://<account>.snowflakecomputing.com, or the connection's endpoint override.
std::string base_url_for(const SnowflakeConnection& connection);
// A random (version 4) UUID.
std::string new_request_id();

}  // namespace sluice::snowflake

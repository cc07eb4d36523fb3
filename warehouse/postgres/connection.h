// A libpq connection wrapped once in RAII: queries with bound parameters, COPY FROM STDIN, and
// server errors turned into sluice::Error with PostgreSQL's own primary/detail/hint/context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

struct pg_conn;
struct pg_result;

namespace sluice::pg {

// A server-side error, keeping the fields PostgreSQL reports separately.
class ServerError : public Error {
 public:
  ServerError(std::string primary, std::string detail, std::string hint, std::string sqlstate,
              std::string context)
      : Error(ExitCode::runtime, std::move(primary), std::move(detail), std::move(hint)),
        sqlstate_(std::move(sqlstate)), context_(std::move(context)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& context() const { return context_; }  // e.g. "COPY t, line 3, column c: \"x\""

 private:
  std::string sqlstate_;
  std::string context_;
};

class Result {
 public:
  explicit Result(pg_result* res);
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  int columns() const;
  std::string column_name(int col) const;
  bool is_null(int row, int col) const;
  std::string_view get(int row, int col) const;        // "" when NULL
  std::optional<std::string> get_optional(int row, int col) const;
  std::int64_t get_int(int row, int col) const;        // throws if NULL or not an integer
  std::uint64_t affected_rows() const;                 // PQcmdTuples

 private:
  pg_result* res_;
};

using Param = std::optional<std::string>;  // nullopt binds SQL NULL

class Connection {
 public:
  // Opens a connection; on failure throws Error (runtime) naming the server and a hint.
  // `application_name` is set so the session is identifiable in pg_stat_activity.
  static Connection open(const std::string& conninfo, const std::string& application_name = "sluice");

  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL with no parameters (may hold several statements). Throws ServerError.
  void exec(const std::string& sql);
  // Runs one statement with parameters bound as text ($1, $2, ...). Throws ServerError.
  Result query(const std::string& sql, const std::vector<Param>& params = {});

  // COPY ... FROM STDIN. begin() sends the statement; put() streams bytes; end() finishes and
  // returns the number of rows the server copied; abort() makes the server fail the COPY.
  void copy_begin(const std::string& copy_sql);
  void copy_put(const char* data, std::size_t size);
  std::uint64_t copy_end();
  void copy_abort(const std::string& reason);
  // After a failure inside a transaction: ends a COPY in progress and rolls back, so the session
  // can be used again. Best effort and silent, like copy_abort.
  void abandon_transaction();
  // COPY ... TO STDOUT: `row` gets each row as the server sends it (one line of COPY text, its
  // newline included); returns the rows copied. The caller stops early by throwing from `row`
  // (the connection is then reset: libpq cannot leave a COPY OUT halfway).
  std::uint64_t copy_out(const std::string& copy_sql, const std::function<void(const char*, std::size_t)>& row);

  // The server's process id for this session (to cancel or inspect it).
  int backend_pid() const;
  // "host=/path port=5432 dbname=x user=y" without any password, for messages.
  std::string describe() const;
  pg_conn* raw() { return conn_; }

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  [[noreturn]] void throw_result_error(pg_result* res, const std::string& what);
  pg_conn* conn_ = nullptr;
};

}  // namespace sluice::pg

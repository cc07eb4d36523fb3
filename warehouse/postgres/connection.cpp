#include "warehouse/postgres/connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <regex>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "core/text_format.h"

namespace sluice::pg {
namespace {

constexpr const char* kConnectHint =
    "Is the server running? For the embedded server run `sluice db start`; check the dsn in the "
    "config.";

// SQLSTATEs (https://www.postgresql.org/docs/15/errcodes-appendix.html) that say the server
// itself cannot go on, not that a statement or a value was wrong: their report names the
// condition and what to do. A prefix of two characters stands for its whole class.
struct ServerCondition {
  const char* sqlstate;
  const char* primary;
  const char* hint;
};
constexpr ServerCondition kServerConditions[] = {
    {"53100", "the PostgreSQL server is out of disk space",
     "Free space on the server's disk (for the embedded server, the file system of its directory: "
     "`sluice db status`), then run the same command again."},
    {"53200", "the PostgreSQL server ran out of memory",
     "Run again when the server is less busy, or give it more memory (work_mem, shared_buffers)."},
    {"53300", "the PostgreSQL server accepts no more connections",
     "Too many sessions are open (max_connections): wait for some to end, or raise the limit."},
    {"53", "the PostgreSQL server ran out of a resource", "Check the server's log, free the resource, and run again."},
    {"42501", "the PostgreSQL server refused: permission denied",
     "The role sluice connects as lacks a privilege the detail names: have the object's owner GRANT it "
     "(or connect as a role that has it)."},
    {"58", "the PostgreSQL server could not read or write its files",
     "Check the server's log and its disk; then run the same command again."},
    {"57014", "the statement was cancelled on the server",
     "It was cancelled by an administrator or a statement_timeout; run again, or raise the timeout."},
    {"XX", "the PostgreSQL server reported an internal error",
     "Check the server's log (data corruption or a bug in the server); nothing was changed by this statement."},
};

const ServerCondition* server_condition(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return nullptr;
  for (const auto& c : kServerConditions) {
    const std::string_view code = c.sqlstate;
    if (sqlstate.substr(0, code.size()) == code) return &c;
  }
  return nullptr;
}

std::string field(const PGresult* res, int code) {
  const char* v = res ? PQresultErrorField(res, code) : nullptr;
  return v ? v : "";
}

// Quotes a conninfo value the way libpq parses it back, so a described target can be pasted.
std::string conninfo_value(std::string_view v) {
  if (!v.empty() && v.find_first_of(" \t\n'\\") == std::string_view::npos) return std::string(v);
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// The target as host/port/dbname/user only: the password (and anything else) never appears.
std::string describe_target(PGconn* conn) {
  if (!conn) return "(no connection)";
  std::string out;
  auto add = [&](const char* key, const char* value) {
    if (!value || !*value) return;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", key, conninfo_value(value));
  };
  if (PQstatus(conn) == CONNECTION_OK) {
    add("host", PQhost(conn));
    add("port", PQport(conn));
    add("dbname", PQdb(conn));
    add("user", PQuser(conn));
    return out;
  }
  // Before a connection is made PQhost() may be empty; the parsed options say what was tried.
  PQconninfoOption* opts = PQconninfo(conn);
  if (!opts) return "(unknown target)";
  for (const char* key : {"host", "hostaddr", "port", "dbname", "user"})
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::string_view(o->keyword) == key) add(key, o->val);
  PQconninfoFree(opts);
  return out.empty() ? "(libpq defaults)" : out;
}

// libpq echoes pieces of a malformed conninfo in its messages ("missing \"=\" after ..."), which
// may include the password; mask every form of it we can find before the text goes anywhere.
std::string redact_password(std::string text, const std::string& conninfo) {
  std::vector<std::string> secrets;
  if (PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), nullptr)) {
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::string_view(o->keyword) == "password" && o->val && *o->val) secrets.emplace_back(o->val);
    PQconninfoFree(opts);
  }
  static const std::regex kv(R"(password\s*=?\s*('(?:[^'\\]|\\.)*'|[^\s&]+))", std::regex::icase);
  static const std::regex uri(R"(://[^:/@\s]*:([^@/\s]+)@)");
  for (const auto* re : {&kv, &uri})
    for (std::sregex_iterator it(conninfo.begin(), conninfo.end(), *re), end; it != end; ++it)
      secrets.push_back((*it)[1].str());
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 8))
      text.replace(pos, secret.size(), "********");
  }
  return text;
}

// A COPY started through exec()/query() has no one to feed or drain it; end it so the session stays
// usable, then refuse.
[[noreturn]] void refuse_stray_copy(PGconn* conn, ExecStatusType status) {
  if (status == PGRES_COPY_IN) {
    PQputCopyEnd(conn, "COPY must go through copy_begin()");
  } else {
    char* buf = nullptr;
    while (PQgetCopyData(conn, &buf, 0) > 0) PQfreemem(buf);
  }
  while (PGresult* res = PQgetResult(conn)) {
    const auto s = PQresultStatus(res);
    PQclear(res);
    if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || PQstatus(conn) != CONNECTION_OK) break;
  }
  throw runtime_error("COPY statements must go through copy_begin()",
                      "exec() and query() cannot stream COPY data; the COPY was cancelled");
}

// Notices ("table does not exist, skipping") would land on stderr in the middle of progress output.
void ignore_notice(void*, const char*) {}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Result

Result::Result(pg_result* res) : res_(res) {}
Result::~Result() { PQclear(res_); }
Result::Result(Result&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(res_);
    res_ = std::exchange(other.res_, nullptr);
  }
  return *this;
}

int Result::rows() const { return res_ ? PQntuples(res_) : 0; }
int Result::columns() const { return res_ ? PQnfields(res_) : 0; }

std::string Result::column_name(int col) const {
  const char* name = res_ ? PQfname(res_, col) : nullptr;
  return name ? name : "";
}

bool Result::is_null(int row, int col) const {
  if (row < 0 || row >= rows() || col < 0 || col >= columns())
    throw std::out_of_range(fmt::format("result has no row {} column {} ({} rows, {} columns)", row,
                                        col, rows(), columns()));
  return PQgetisnull(res_, row, col) != 0;
}

std::string_view Result::get(int row, int col) const {
  if (is_null(row, col)) return {};
  return {PQgetvalue(res_, row, col), static_cast<std::size_t>(PQgetlength(res_, row, col))};
}

std::optional<std::string> Result::get_optional(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return std::string(get(row, col));
}

std::int64_t Result::get_int(int row, int col) const {
  const char* name = PQfname(res_, col);
  if (is_null(row, col))
    throw runtime_error("expected an integer, got NULL",
                        fmt::format("row {}, column {} ({})", row, col, name ? name : "?"));
  const std::string_view text = get(row, col);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    throw runtime_error(fmt::format("expected an integer, got \"{}\"", text),
                        fmt::format("row {}, column {} ({})", row, col, name ? name : "?"));
  return value;
}

std::uint64_t Result::affected_rows() const {
  const char* n = res_ ? PQcmdTuples(res_) : nullptr;
  std::uint64_t value = 0;
  if (n && *n) std::from_chars(n, n + std::char_traits<char>::length(n), value);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection Connection::open(const std::string& conninfo, const std::string& application_name) {
  // expand_dbname=1 parses the first "dbname" as a whole conninfo or URI; the later
  // application_name overrides one given there so every sluice session shows up as ours.
  const char* keys[] = {"dbname", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), application_name.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (!conn) throw runtime_error("cannot connect to PostgreSQL", "libpq is out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string detail = redact_password(trim(PQerrorMessage(conn)), conninfo);
    detail += fmt::format("\nTarget: {}", describe_target(conn));
    PQfinish(conn);
    throw runtime_error("cannot connect to PostgreSQL", std::move(detail), kConnectHint);
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return Connection(conn);
}

Connection::~Connection() { PQfinish(conn_); }
Connection::Connection(Connection&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

void Connection::throw_result_error(pg_result* res, const std::string& what) {
  std::string primary = field(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string sqlstate = field(res, PG_DIAG_SQLSTATE);
  std::string detail = field(res, PG_DIAG_MESSAGE_DETAIL);
  std::string hint = field(res, PG_DIAG_MESSAGE_HINT);
  std::string context = field(res, PG_DIAG_CONTEXT);
  std::string client_message = trim(res ? PQresultErrorMessage(res) : "");
  if (client_message.empty()) client_message = trim(conn_ ? PQerrorMessage(conn_) : "");
  PQclear(res);

  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    // The server may have said why (57P01 admin shutdown) or just vanished; either way the session
    // is gone and the caller must reconnect, which the primary message has to make obvious.
    std::string why = primary.empty() ? client_message : primary;
    throw ServerError(
        "the server closed the connection",
        fmt::format("during {}: {}\nTarget: {}", what, why.empty() ? "no reason given" : why,
                    describe_target(conn_)),
        "The server may have been stopped or restarted, or the session was terminated; run again "
        "once it is up (`sluice db status` for the embedded server).",
        sqlstate.empty() ? "08006" : sqlstate, context);
  }
  if (primary.empty()) {
    // Raised by libpq itself (no SQLSTATE from the server), e.g. a protocol misuse.
    primary = client_message.empty() ? fmt::format("{} failed", what) : client_message;
  }
  // Conditions of the server rather than of the statement or its data are told as what they are,
  // with what to do; the server's own words move to the detail.
  if (const ServerCondition* c = server_condition(sqlstate)) {
    std::string server = primary + (detail.empty() ? "" : "\n" + detail);
    throw ServerError(c->primary, fmt::format("during {}: {}\nTarget: {}", what, server, describe_target(conn_)),
                      c->hint, std::move(sqlstate), std::move(context));
  }
  throw ServerError(std::move(primary), std::move(detail), std::move(hint), std::move(sqlstate),
                    std::move(context));
}

void Connection::exec(const std::string& sql) {
  PGresult* res = PQexec(conn_, sql.c_str());
  const auto status = PQresultStatus(res);
  switch (status) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      PQclear(res);
      return;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
      PQclear(res);
      refuse_stray_copy(conn_, status);
    default:
      throw_result_error(res, "a statement");
  }
}

Result Connection::query(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(res);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return Result(res);
  if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
    PQclear(res);
    refuse_stray_copy(conn_, status);
  }
  throw_result_error(res, "a query");
}

void Connection::copy_begin(const std::string& copy_sql) {
  PGresult* res = PQexec(conn_, copy_sql.c_str());
  const auto status = PQresultStatus(res);
  if (status == PGRES_COPY_IN) {
    PQclear(res);
    return;
  }
  if (status == PGRES_COPY_OUT) {
    PQclear(res);
    refuse_stray_copy(conn_, status);
  }
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    PQclear(res);
    throw runtime_error("copy_begin() needs a COPY ... FROM STDIN statement",
                        fmt::format("the statement was: {}", copy_sql));
  }
  throw_result_error(res, "COPY");
}

void Connection::copy_put(const char* data, std::size_t size) {
  while (size > 0) {
    const int chunk = static_cast<int>(std::min<std::size_t>(size, INT_MAX / 2));
    if (PQputCopyData(conn_, data, chunk) != 1) {
      // The server may already have failed the COPY and sent its error; prefer that over libpq's.
      PGresult* error = nullptr;
      while (PGresult* res = PQgetResult(conn_)) {
        const auto status = PQresultStatus(res);
        if (!error && status == PGRES_FATAL_ERROR) error = res;
        else PQclear(res);
        // Still in COPY_IN, PQgetResult would return the same state forever.
        if (status == PGRES_COPY_IN || PQstatus(conn_) != CONNECTION_OK) break;
      }
      throw_result_error(error, "COPY");
    }
    data += chunk;
    size -= static_cast<std::size_t>(chunk);
  }
}

std::uint64_t Connection::copy_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1) throw_result_error(nullptr, "COPY");
  PGresult* error = nullptr;
  std::uint64_t rows = 0;
  while (PGresult* res = PQgetResult(conn_)) {
    const auto status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK) {
      rows = Result(res).affected_rows();
      continue;
    }
    if (!error && status != PGRES_COPY_IN) error = res;
    else PQclear(res);
    // In COPY_IN again only if the end message was not sent; no further result would come.
    if (status == PGRES_COPY_IN || PQstatus(conn_) != CONNECTION_OK) break;
  }
  if (error) throw_result_error(error, "COPY");
  return rows;
}

void Connection::copy_abort(const std::string& reason) {
  // Best effort and silent: called on error paths, where the original error is the one to report.
  if (!conn_) return;
  PQputCopyEnd(conn_, reason.c_str());
  while (PGresult* res = PQgetResult(conn_)) {
    const auto status = PQresultStatus(res);
    PQclear(res);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || PQstatus(conn_) != CONNECTION_OK)
      break;
  }
}

void Connection::abandon_transaction() {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) return;
  if (PQtransactionStatus(conn_) == PQTRANS_ACTIVE) copy_abort("abandoned");
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
}

std::uint64_t Connection::copy_out(const std::string& copy_sql, const std::function<void(const char*, std::size_t)>& row) {
  PGresult* res = PQexec(conn_, copy_sql.c_str());
  const auto status = PQresultStatus(res);
  if (status != PGRES_COPY_OUT) {
    if (status == PGRES_COPY_IN) {
      PQclear(res);
      refuse_stray_copy(conn_, status);
    }
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      PQclear(res);
      throw runtime_error("copy_out() needs a COPY ... TO STDOUT statement", fmt::format("the statement was: {}", copy_sql));
    }
    throw_result_error(res, "COPY");
  }
  PQclear(res);
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(conn_, &buf, 0);
    if (n > 0) {
      try {
        row(buf, static_cast<std::size_t>(n));
      } catch (...) {
        PQfreemem(buf);
        PQreset(conn_);  // the only way out of a COPY OUT before its end
        throw;
      }
      PQfreemem(buf);
      continue;
    }
    if (n == -1) break;  // done: the result follows
    throw_result_error(nullptr, "COPY");  // -2: the connection failed
  }
  PGresult* error = nullptr;
  std::uint64_t rows = 0;
  while (PGresult* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      rows = Result(r).affected_rows();
      continue;
    }
    if (!error) error = r;
    else PQclear(r);
  }
  if (error) throw_result_error(error, "COPY");
  return rows;
}

int Connection::backend_pid() const { return conn_ ? PQbackendPID(conn_) : 0; }

std::string Connection::describe() const { return describe_target(conn_); }

}  // namespace sluice::pg

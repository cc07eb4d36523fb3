#include "warehouse/sqlite/database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.h"

namespace sluice::sqlite {
namespace {

Trouble trouble_of(int result_code) {
  switch (result_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Trouble::busy;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return Trouble::access;
    case SQLITE_FULL:
    case SQLITE_IOERR: return Trouble::disk;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Trouble::not_a_database;
    default: return Trouble::other;
  }
}

std::string general_hint(Trouble trouble, const std::filesystem::path& path, OpenMode mode) {
  switch (trouble) {
    case Trouble::busy: return "Another process held the database for more than its busy timeout; try again.";
    case Trouble::access:
      return mode == OpenMode::read_only ? fmt::format("Check that {} exists and is readable.", path.string())
                                         : fmt::format("Check that {} exists and is writable.", path.parent_path().string());
    case Trouble::disk: return fmt::format("Check free space and the health of the disk holding {}.", path.string());
    case Trouble::not_a_database: return fmt::format("{} is not a SQLite database, or it is damaged.", path.string());
    case Trouble::other: return {};
  }
  return {};
}

}  // namespace

Database::Database(const std::filesystem::path& path, OpenMode mode, std::string_view name, HintFor hint)
    : path_(path), mode_(mode), hint_(std::move(hint)) {
  const int flags = mode == OpenMode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 hands back a handle even on failure (for the message); it must be closed.
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    fail_with(fmt::format("cannot open {}", name), rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::set_busy_timeout(int milliseconds) const { sqlite3_busy_timeout(db_, milliseconds); }

void Database::exec(const char* sql, std::string_view what) const {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(what, rc);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

void Database::fail(std::string_view what, int result_code) const {
  fail_with(what, result_code, sqlite3_errmsg(db_));
}

void Database::fail_with(std::string_view what, int result_code, const std::string& message) const {
  const Trouble trouble = trouble_of(result_code);
  std::string hint = hint_ ? hint_(trouble, path_) : std::string();
  if (hint.empty()) hint = general_hint(trouble, path_, mode_);
  throw runtime_error(std::string(what), fmt::format("{}: {}", path_.string(), message), hint);
}

Statement::Statement(const Database& db, const std::string& sql, std::string_view what) : db_(db), what_(what) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(what_, rc);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::uint64_t value) { return bind(index, static_cast<std::int64_t>(value)); }

Statement& Statement::bind(int index, const std::string& value) {
  check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  check(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_real(int index, double value) {
  check(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(what_, rc);
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

int Statement::storage_class(int column) const { return sqlite3_column_type(stmt_, column); }

std::string_view Statement::bytes(int column) const {
  // sqlite3_column_blob before sqlite3_column_bytes: the order SQLite documents as safe, and for
  // text it returns the text's bytes without converting them.
  const void* p = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string_view();
}

void Statement::check(int result_code) const {
  if (result_code != SQLITE_OK) db_.fail(what_, result_code);
}

Transaction::Transaction(const Database& db, std::string_view what) : db_(db), what_(what) {
  db_.exec("BEGIN IMMEDIATE", what_);
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT", what_);
  open_ = false;
}

}  // namespace sluice::sqlite

// A SQLite database file wrapped once in RAII: the job store keeps its history in one, and a
// migration reads source files through it (OpenMode::read_only never writes or creates). Every
// failure is a sluice::Error (runtime) that names the file and what was being done, with SQLite's
// message as the detail and a hint for what the result code says about the file.
//
// A Database is not synchronised: a caller that shares one between threads holds its own mutex
// around each use, as the job store does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::sqlite {

enum class OpenMode {
  read_write,  // created when missing (its directory must exist)
  read_only,   // must exist; never written to
};

// What a failure says about the file, from SQLite's result code.
enum class Trouble {
  busy,            // another connection held a lock past the busy timeout
  access,          // cannot be opened, or written to (permissions, a read-only file)
  disk,            // full, or an I/O error
  not_a_database,  // not SQLite's format, or damaged
  other,
};

// The hint an owner gives for a trouble with its file ("" keeps the general one): the job store
// knows that a broken job store may simply be moved aside.
using HintFor = std::function<std::string(Trouble, const std::filesystem::path&)>;

class Database {
 public:
  // Opens (or, read_write, creates) the file; throws "cannot open <name>" naming the path when that
  // fails.
  Database(const std::filesystem::path& path, OpenMode mode, std::string_view name = "the SQLite file",
           HintFor hint = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::filesystem::path& path() const { return path_; }
  OpenMode mode() const { return mode_; }

  // Waits up to this long for another connection's lock before a statement fails as busy.
  void set_busy_timeout(int milliseconds) const;
  // Runs SQL that returns no rows (one or more statements); `what` heads the error.
  void exec(const char* sql, std::string_view what) const;
  std::int64_t last_insert_rowid() const;
  int changes() const;  // rows changed by the last INSERT, UPDATE or DELETE

  [[noreturn]] void fail(std::string_view what, int result_code) const;
  sqlite3* handle() const { return db_; }

 private:
  [[noreturn]] void fail_with(std::string_view what, int result_code, const std::string& message) const;

  std::filesystem::path path_;
  OpenMode mode_;
  HintFor hint_;
  sqlite3* db_ = nullptr;
};

// One prepared statement: bind by 1-based index, step through the rows, read by 0-based column.
class Statement {
 public:
  Statement(const Database& db, const std::string& sql, std::string_view what);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  // Stored as the same 64 bits, signed (SQLite integers are): read back with uint64().
  Statement& bind(int index, std::uint64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind_real(int index, double value);
  Statement& bind_blob(int index, std::string_view bytes);

  // True while there is a row to read.
  bool step();
  // Steps to the end (a statement whose rows are not wanted).
  void run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::uint64_t uint64(int column) const { return static_cast<std::uint64_t>(int64(column)); }
  double real(int column) const;
  std::string text(int column) const;  // "" for NULL

  // The value as stored, for a reader that takes every storage class (a migration): its class
  // (SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL), and a text's or a
  // blob's bytes, valid until the next step.
  int column_count() const;
  int storage_class(int column) const;
  std::string_view bytes(int column) const;

 private:
  void check(int result_code) const;

  const Database& db_;
  std::string what_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE (the write lock is taken at once, so two writers never deadlock half-way); rolls
// back when left without commit() (an exception).
class Transaction {
 public:
  Transaction(const Database& db, std::string_view what);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  const Database& db_;
  std::string what_;
  bool open_ = true;
};

}  // namespace sluice::sqlite

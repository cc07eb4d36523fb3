// The reject file of --on-error skip: every row set aside, with its file, line and reason, so no
// row is ever lost silently. Tab-separated: file, line, reason, then the row as read with
// backslash, tab, newline and carriage return escaped (so one row is one line).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "loaders/scan/chunk_scanner.h"

namespace sluice {

class RejectFile {
 public:
  // Creates or truncates `path` and writes the header line. Throws Error (runtime) on failure.
  explicit RejectFile(std::filesystem::path path);
  ~RejectFile();
  RejectFile(const RejectFile&) = delete;
  RejectFile& operator=(const RejectFile&) = delete;

  // `line_offset` turns the row's chunk-relative line into the file line.
  void write(const std::string& file, const RejectedRow& row, std::uint64_t line_offset);
  // Flushes and syncs; throws on a write error (disk full) so the load can fail cleanly.
  void close();

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t rows() const { return rows_; }

 private:
  [[noreturn]] void fail(int err);
  std::filesystem::path path_;
  std::FILE* f_ = nullptr;
  std::uint64_t rows_ = 0;
};

}  // namespace sluice

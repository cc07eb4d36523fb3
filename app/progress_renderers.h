// The command line's ProgressSink implementations: a progress bar on stderr when it is a
// terminal (phase, bytes, MB/s, rows/s, ETA), JSON lines on stderr for scripts (--progress=json),
// and a quiet one that only logs phase ends.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "core/progress.h"

namespace sluice {

class TerminalProgress final : public ProgressSink {
 public:
  explicit TerminalProgress(std::FILE* out = stderr);
  void begin(std::string_view phase, std::string_view subject, std::uint64_t total_bytes) override;
  void update(const ProgressUpdate& u) override;
  void end(bool ok, std::string_view summary) override;
  void note(std::string_view message) override;

 private:
  void draw(bool final_line, std::string_view tail);
  std::FILE* out_;
  std::string phase_, subject_;
  std::uint64_t total_ = 0, done_ = 0, rows_ = 0;
  std::chrono::steady_clock::time_point started_, last_draw_;
  bool drawn_ = false;
};

// No progress (not a terminal, or --progress none), but the notes (a table created, a load
// resumed, a history entry whose rows are gone) are things the user must read: one line each on
// stderr.
class NotesOnlyProgress final : public ProgressSink {
 public:
  explicit NotesOnlyProgress(std::FILE* out = stderr) : out_(out) {}
  void begin(std::string_view, std::string_view, std::uint64_t) override {}
  void update(const ProgressUpdate&) override {}
  void end(bool, std::string_view) override {}
  void note(std::string_view message) override;

 private:
  std::FILE* out_;
};

class JsonProgress final : public ProgressSink {
 public:
  explicit JsonProgress(std::FILE* out = stderr);
  void begin(std::string_view phase, std::string_view subject, std::uint64_t total_bytes) override;
  void update(const ProgressUpdate& u) override;
  void end(bool ok, std::string_view summary) override;
  void note(std::string_view message) override;

 private:
  void emit(const std::string& line);
  std::FILE* out_;
  std::string phase_, subject_;
  std::uint64_t total_ = 0, done_ = 0, rows_ = 0;
  std::chrono::steady_clock::time_point started_, last_emit_;
};

}  // namespace sluice

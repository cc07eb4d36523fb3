// Where long operations report what they are doing. Operations never print; they report phases and
// counters here, and the face in use (terminal bars, JSON lines, the menu, or nothing) renders them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

struct ProgressUpdate {
  std::string_view phase;      // "scan+copy", "generate", "commit", ...
  std::string_view subject;    // usually the file or table being worked on
  std::uint64_t done_bytes = 0;
  std::uint64_t total_bytes = 0;  // 0 when unknown
  std::uint64_t rows = 0;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // A new phase starts; total_bytes may be 0 when unknown.
  virtual void begin(std::string_view phase, std::string_view subject, std::uint64_t total_bytes) = 0;
  // Cumulative counters for the current phase. Called often: implementations throttle rendering.
  virtual void update(const ProgressUpdate& u) = 0;
  // The phase ended (ok=false when it failed); `summary` is a short line such as "1.2M rows".
  virtual void end(bool ok, std::string_view summary) = 0;
  // A notable event a person should see between bars (e.g. "table created").
  virtual void note(std::string_view message) = 0;
};

class NullProgress final : public ProgressSink {
 public:
  void begin(std::string_view, std::string_view, std::uint64_t) override {}
  void update(const ProgressUpdate&) override {}
  void end(bool, std::string_view) override {}
  void note(std::string_view) override {}
};

}  // namespace sluice

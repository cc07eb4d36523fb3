#include "output/json_text.h"
#include "app/progress_renderers.h"
#include "core/text_format.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int terminal_width(std::FILE* f) {
  winsize ws{};
  if (::ioctl(::fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 100;
}

}  // namespace

TerminalProgress::TerminalProgress(std::FILE* out) : out_(out) {}

void TerminalProgress::begin(std::string_view phase, std::string_view subject, std::uint64_t total) {
  phase_ = phase;
  subject_ = subject;
  total_ = total;
  done_ = rows_ = 0;
  started_ = last_draw_ = Clock::now();
  drawn_ = false;
  draw(false, "");
}

void TerminalProgress::update(const ProgressUpdate& u) {
  // A subject given with an update says more than the phase's (a migration's "12/30 chunks").
  if (!u.subject.empty()) subject_ = u.subject;
  done_ = u.done_bytes;
  if (u.total_bytes) total_ = u.total_bytes;
  rows_ = u.rows;
  // Ten redraws a second keep the bar live without costing the hot loop anything.
  if (Clock::now() - last_draw_ < std::chrono::milliseconds(100)) return;
  draw(false, "");
}

void TerminalProgress::end(bool ok, std::string_view summary) {
  if (total_) done_ = ok ? total_ : done_;
  draw(true, fmt::format("{} {} in {}", ok ? "done:" : "FAILED:", summary, human_duration(seconds_since(started_))));
}

void TerminalProgress::note(std::string_view message) {
  if (drawn_) std::fputs("\r\033[K", out_);
  std::fprintf(out_, "%.*s\n", static_cast<int>(message.size()), message.data());
  drawn_ = false;
  std::fflush(out_);
}

void NotesOnlyProgress::note(std::string_view message) {
  std::fprintf(out_, "sluice: %.*s\n", static_cast<int>(message.size()), message.data());
  std::fflush(out_);
}

void TerminalProgress::draw(bool final_line, std::string_view tail) {
  last_draw_ = Clock::now();
  const double secs = std::max(seconds_since(started_), 1e-3);
  const int width = terminal_width(out_);
  std::string subject = subject_;
  if (subject.size() > 26) subject = subject.substr(0, 11) + "..." + subject.substr(subject.size() - 12);
  const std::string label = fmt::format("{:<6} {}", phase_, subject);
  std::string stats;
  if (final_line) {
    stats = std::string(tail);
  } else if (!total_ && !done_ && !rows_) {
    stats = "working, " + human_duration(secs);  // a phase that counts no bytes (warehouse queries)
  } else {
    const double rate = done_ / secs;
    stats = human_bytes(done_);
    if (total_) stats += "/" + human_bytes(total_);
    stats += fmt::format("  {}/s", human_bytes(rate));
    if (rows_) stats += fmt::format("  {} rows/s", human_count(rows_ / secs));
    if (width < 110 && total_) stats.erase(0, stats.find("  ") + 2);  // narrow: the bar's percent stands for the bytes
    if (total_ && done_ > 0 && done_ < total_) stats += "  ETA " + human_duration((total_ - done_) / rate);
  }
  // The bar takes what the text leaves, and disappears on a narrow terminal.
  std::string bar;
  const int room = width - static_cast<int>(label.size() + stats.size()) - 13;
  if (total_ && room >= 10) {
    const int bar_width = std::min(30, room);
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    const int filled = static_cast<int>(frac * bar_width);
    bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(bar_width - filled), '-') + fmt::format("] {:3.0f}%", frac * 100);
  }
  std::string line = fmt::format("{}  {}  {}", label, bar, stats);
  if (static_cast<int>(line.size()) >= width) line.resize(static_cast<std::size_t>(width - 1));
  std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  drawn_ = !final_line;
  std::fflush(out_);
}

JsonProgress::JsonProgress(std::FILE* out) : out_(out) {}

void JsonProgress::emit(const std::string& line) {
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void JsonProgress::begin(std::string_view phase, std::string_view subject, std::uint64_t total) {
  phase_ = phase;
  subject_ = subject;
  total_ = total;
  done_ = rows_ = 0;
  started_ = last_emit_ = Clock::now();
  emit(json_text(nlohmann::json{{"event", "begin"}, {"phase", phase_}, {"subject", subject_}, {"total_bytes", total_}}, -1));
}

void JsonProgress::update(const ProgressUpdate& u) {
  // A subject given with an update says more than the phase's (a migration's "12/30 chunks").
  if (!u.subject.empty()) subject_ = u.subject;
  done_ = u.done_bytes;
  if (u.total_bytes) total_ = u.total_bytes;
  rows_ = u.rows;
  if (Clock::now() - last_emit_ < std::chrono::milliseconds(500)) return;
  last_emit_ = Clock::now();
  const double secs = std::max(seconds_since(started_), 1e-3);
  nlohmann::json j{{"event", "progress"}, {"phase", phase_}, {"subject", subject_}, {"done_bytes", done_},
                   {"total_bytes", total_}, {"rows", rows_}, {"bytes_per_s", static_cast<std::uint64_t>(done_ / secs)},
                   {"rows_per_s", static_cast<std::uint64_t>(rows_ / secs)}, {"elapsed_s", secs}};
  if (total_ && done_ > 0 && done_ < total_) j["eta_s"] = (total_ - done_) / (done_ / secs);
  emit(json_text(std::move(j), -1));
}

void JsonProgress::end(bool ok, std::string_view summary) {
  emit(json_text(nlohmann::json{{"event", "end"}, {"phase", phase_}, {"subject", subject_}, {"ok", ok},
                      {"summary", std::string(summary)}, {"seconds", seconds_since(started_)},
                      {"done_bytes", done_}, {"rows", rows_}}, -1));
}

void JsonProgress::note(std::string_view message) {
  emit(json_text(nlohmann::json{{"event", "note"}, {"message", std::string(message)}}, -1));
}

}  // namespace sluice

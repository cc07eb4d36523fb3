#include "loaders/scan/duplicate_confirm.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"
#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

// The key fields of one row, captured while walking it. Values point into the chunk, or into the
// field's own scratch when CSV unquoting had to rewrite them.
struct KeyFields {
  explicit KeyFields(const std::vector<int>& key_fields) : keys(key_fields) {
    int max_field = -1;
    for (int f : key_fields) max_field = std::max(max_field, f);
    slot_of.assign(static_cast<std::size_t>(max_field + 1), -1);
    for (std::size_t s = 0; s < keys.size(); ++s)
      if (keys[s] >= 0) slot_of[static_cast<std::size_t>(keys[s])] = static_cast<int>(s);
    values.resize(keys.size());
  }
  struct Value {
    const char* data = nullptr;
    std::size_t size = 0;
    bool quoted = false, present = false;
    std::string scratch;
  };
  int slot(int field) const {
    return static_cast<std::size_t>(field) < slot_of.size() ? slot_of[static_cast<std::size_t>(field)] : -1;
  }
  void reset() {
    for (auto& v : values) v.present = false;
  }
  // The same NULL rule as the scanner: an unquoted empty field or the table's null marker. Latin-1
  // values are transcoded as the pipeline does before scanning, so the bytes are those hashed.
  void encode(const FileSyntax& syntax, std::string& out) {
    out.clear();
    for (const Value& v : values) {
      if (!v.present) {
        append_absent_key_field(out);
        continue;
      }
      const bool is_null = !v.quoted && (v.size == 0 || (!syntax.null_marker.empty() &&
                                                         v.size == syntax.null_marker.size() &&
                                                         std::memcmp(v.data, syntax.null_marker.data(), v.size) == 0));
      if (syntax.latin1 && !is_null) {
        append_key_field(out, utf8.data(), syntax.to_utf8(v.data, v.size, utf8), false);
      } else {
        append_key_field(out, v.data, v.size, is_null);
      }
    }
  }

  std::vector<int> keys;
  std::vector<int> slot_of;
  std::vector<Value> values;
  std::vector<char> utf8;
};

// TSV: one row per line; returns the position after the row. Mirrors scan_unquoted.
const char* walk_tsv_row(const char* p, const char* end, char delim, KeyFields* capture) {
  const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  if (capture) {
    const char* rend = nl ? nl : end;
    if (rend > p && rend[-1] == '\r') --rend;
    const char* f = p;
    for (int field = 0; field < static_cast<int>(capture->slot_of.size()); ++field) {
      const char* d = static_cast<const char*>(std::memchr(f, delim, static_cast<std::size_t>(rend - f)));
      const char* fe = d ? d : rend;
      if (const int s = capture->slot(field); s >= 0) {
        auto& v = capture->values[static_cast<std::size_t>(s)];
        v.data = f;
        v.size = static_cast<std::size_t>(fe - f);
        v.quoted = false;
        v.present = true;
      }
      if (!d) break;
      f = d + 1;
    }
  }
  return nl ? nl + 1 : end;
}

// CSV: mirrors scan_quoted's walk exactly (quoted newlines, "" escapes, text after a closing quote,
// CRLF, a stray CR ending the row), so rows start on the same lines as in the scan. Not split_row():
// that cannot tell a quoted empty string from an empty (NULL) field. `line` advances by the newlines
// inside quotes; the caller adds the row's own.
const char* walk_csv_row(const char* p, const char* end, const FileSyntax& syntax, std::uint64_t& line,
                         KeyFields* capture) {
  const char delim = syntax.delimiter;
  const char quote = syntax.quote;
  int field = 0;
  for (;;) {
    const int s = capture ? capture->slot(field) : -1;
    KeyFields::Value* v = s >= 0 ? &capture->values[static_cast<std::size_t>(s)] : nullptr;
    if (p < end && *p == quote) {
      if (v) v->scratch.clear();
      ++p;
      while (p < end) {
        const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<std::size_t>(end - p)));
        const char* seg_end = q ? q : end;
        line += static_cast<std::uint64_t>(std::count(p, seg_end, '\n'));
        if (v) v->scratch.append(p, static_cast<std::size_t>(seg_end - p));
        if (!q) {
          p = end;
          break;
        }
        if (q + 1 < end && q[1] == quote) {
          if (v) v->scratch.push_back(quote);
          p = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
      const char* tail = p;
      while (p < end && *p != delim && *p != '\n' && *p != '\r') ++p;
      if (v) {
        v->scratch.append(tail, static_cast<std::size_t>(p - tail));
        v->data = v->scratch.data();
        v->size = v->scratch.size();
        v->quoted = true;
        v->present = true;
      }
    } else {
      const char* f = p;
      while (p < end && *p != delim && *p != '\n') ++p;
      const char* fe = p;
      if (fe > f && fe[-1] == '\r' && (p == end || *p == '\n')) --fe;
      if (v) {
        v->data = f;
        v->size = static_cast<std::size_t>(fe - f);
        v->quoted = false;
        v->present = true;
      }
    }
    ++field;
    if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') ++p;
    if (p >= end) return p;
    if (*p == delim) {
      ++p;
    } else {
      return p + 1;
    }
  }
}

[[noreturn]] void file_changed(const std::filesystem::path& file, std::uint64_t line) {
  throw runtime_error(fmt::format("{} changed during the duplicate-key check", file.string()),
                      fmt::format("no row starts at line {}, where the scan found one", line),
                      "Do not modify files while they are being loaded; run the command again.");
}

// Keeps the best `n` groups seen: most rows first, then earliest first line.
class TopKeys {
 public:
  explicit TopKeys(std::size_t n) : n_(n) {}
  static bool better(std::uint64_t ca, std::uint64_t la, std::uint64_t cb, std::uint64_t lb) {
    return ca != cb ? ca > cb : la < lb;
  }
  void offer(std::string_view key, std::uint64_t count, const std::uint64_t* lines, std::size_t n_lines) {
    if (n_ == 0) return;
    if (heap_.size() == n_ && !better(count, lines[0], heap_.front().count, heap_.front().lines[0])) return;
    DuplicateExample e;
    e.key = key_display_text(key);  // only for keys that make the list: millions may not
    e.count = count;
    e.lines.assign(lines, lines + n_lines);
    heap_.push_back(std::move(e));
    std::push_heap(heap_.begin(), heap_.end(), worse_on_top);
    if (heap_.size() > n_) {
      std::pop_heap(heap_.begin(), heap_.end(), worse_on_top);
      heap_.pop_back();
    }
  }
  std::vector<DuplicateExample> take() {
    std::sort(heap_.begin(), heap_.end(), [](const DuplicateExample& a, const DuplicateExample& b) {
      return better(a.count, a.lines[0], b.count, b.lines[0]);
    });
    return std::move(heap_);
  }

 private:
  static bool worse_on_top(const DuplicateExample& a, const DuplicateExample& b) {
    return better(a.count, a.lines[0], b.count, b.lines[0]);
  }
  std::size_t n_;
  std::vector<DuplicateExample> heap_;
};

}  // namespace

DuplicateReport confirm_duplicates(const std::filesystem::path& file, const FileSyntax& syntax,
                                   const std::vector<int>& key_fields, const CandidateSet& candidates,
                                   std::size_t top_n, const ConfirmOptions& options) {
  DuplicateReport report;
  report.candidate_rows = candidates.rows();
  if (candidates.empty()) return report;

  // Budget: the candidate set's own memory run is already counted by the index (B/4); its merge
  // buffers get B/16, the grouper B/2, the splitter one chunk.
  const std::size_t budget = std::max<std::size_t>(options.memory_budget, 256u << 10);
  CandidateSet::Reader next_candidate = candidates.reader(budget / 16);
  KeyGrouper grouper(options.spill_dir, budget / 2);
  KeyHash target{};
  bool have = next_candidate.next(target);

  auto source = open_byte_source(file);
  Splitter splitter(*source, syntax, options.chunk_bytes);
  if (options.progress) options.progress->begin("duplicates", file.filename().string(), source->file_size());
  Chunk chunk;
  KeyFields fields(key_fields);
  std::string encoded;
  std::uint64_t line = 1;
  std::uint64_t bytes_done = 0;
  while (have && splitter.next(chunk)) {
    if (options.cancel && options.cancel->cancelled())
      throw runtime_error("cancelled", "the duplicate-key check was interrupted before it finished",
                          "Nothing was published; run the command again.");
    const char* p = chunk.data.data();
    const char* const end = p + chunk.size;
    if (chunk.index == 0) {  // as the pipeline does: a UTF-8 byte order mark, then the header line
      if (chunk.size >= 3 && p[0] == '\xEF' && p[1] == '\xBB' && p[2] == '\xBF') p += 3;
      if (syntax.header) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        p = nl ? static_cast<const char*>(nl) + 1 : end;
        line = 2;
      }
    }
    if (!syntax.quoted) {
      while (p < end && have) {
        while (line < target.line && p < end) {  // skip to the next candidate a line at a time
          const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
          if (!nl) {
            p = end;
            break;
          }
          p = static_cast<const char*>(nl) + 1;
          ++line;
        }
        if (p >= end) break;
        if (line != target.line) file_changed(file, target.line);
        fields.reset();
        p = walk_tsv_row(p, end, syntax.delimiter, &fields);
        fields.encode(syntax, encoded);
        grouper.add(target.hash, line, encoded);
        ++line;
        have = next_candidate.next(target);
      }
    } else {
      while (p < end && have) {
        const std::uint64_t row_line = line;
        if (row_line > target.line) file_changed(file, target.line);
        const bool wanted = row_line == target.line;
        if (wanted) fields.reset();
        p = walk_csv_row(p, end, syntax, line, wanted ? &fields : nullptr);
        ++line;
        if (wanted) {
          fields.encode(syntax, encoded);
          grouper.add(target.hash, row_line, encoded);
          have = next_candidate.next(target);
        }
      }
    }
    bytes_done += chunk.size;
    if (options.progress)
      options.progress->update({"duplicates", "", source->compression() == Compression::none ? bytes_done
                                                                                             : source->file_bytes_read(),
                                source->file_size(), 0});
  }
  if (have) file_changed(file, target.line);

  TopKeys top(top_n);
  grouper.finish([&](std::string_view key, std::uint64_t count, const std::uint64_t* lines, std::size_t n_lines) {
    ++report.duplicate_keys;
    report.excess_rows += count - 1;
    top.offer(key, count, lines, n_lines);
  });
  report.top = top.take();
  if (options.progress) options.progress->end(true, fmt::format("{} duplicate keys", report.duplicate_keys));
  return report;
}

Finding duplicate_key_finding(const DuplicateReport& report, const std::vector<std::string>& key_names) {
  Finding f;
  f.check = "duplicate_key";
  f.severity = Severity::error;
  f.count = report.excess_rows;
  std::string names;
  for (const auto& n : key_names) names += (names.empty() ? "" : ", ") + n;
  f.message = fmt::format("{} key{} ({}) occur{} on more than one row: {} extra row{}", report.duplicate_keys,
                          report.duplicate_keys == 1 ? "" : "s", names, report.duplicate_keys == 1 ? "s" : "",
                          report.excess_rows, report.excess_rows == 1 ? "" : "s");
  for (const auto& d : report.top) {
    Example e;
    e.line = d.lines.empty() ? 0 : d.lines[0];
    e.value = d.key;
    std::string lines;
    for (auto l : d.lines) lines += (lines.empty() ? "" : ", ") + std::to_string(l);
    e.note = fmt::format("{} rows, lines {}{}", d.count, lines, d.count > d.lines.size() ? ", ..." : "");
    f.examples.push_back(std::move(e));
  }
  return f;
}

}  // namespace sluice

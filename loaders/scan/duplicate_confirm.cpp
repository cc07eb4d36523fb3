#include "loaders/scan/duplicate_confirm.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"
#include "loaders/scan/chunk_scanner.h"
#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

// The key fields of one row, captured while walking it, each in its own scratch.
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

// The row at `p`, read with the Splitter's row_length (the scanner's rules: quoted newlines, CR LF,
// a CR alone ending a line), so rows start on the same lines as in the scan; with `capture`, its
// key fields through split_fields (which, unlike split_row, tells a quoted empty string from an
// empty, NULL field). Returns the position after the row; `line` advances by the line ends inside
// quotes, and the caller adds the row's own.
const char* walk_row(const char* p, const char* end, const FileSyntax& syntax, std::uint64_t& line,
                     KeyFields* capture, RowFields& fields) {
  std::uint64_t quoted_newlines = 0;
  std::size_t length = row_length(p, static_cast<std::size_t>(end - p), syntax, &quoted_newlines);
  if (length == 0) length = static_cast<std::size_t>(end - p);  // the last row, without a line end
  line += quoted_newlines;
  if (capture) {
    std::size_t size = length;
    while (size > 0 && is_line_end_byte(p[size - 1])) --size;
    split_fields(p, size, syntax, fields);
    for (std::size_t field = 0; field < fields.values.size(); ++field) {
      const int s = capture->slot(static_cast<int>(field));
      if (s < 0) continue;
      auto& v = capture->values[static_cast<std::size_t>(s)];
      v.scratch = std::move(fields.values[field]);
      v.data = v.scratch.data();
      v.size = v.scratch.size();
      v.quoted = fields.quoted[field];
      v.present = true;
    }
  }
  return p + length;
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
  RowFields split;
  std::string encoded;
  std::uint64_t line = 1;
  std::uint64_t bytes_done = 0;
  while (have && splitter.next(chunk)) {
    if (options.cancel && options.cancel->cancelled())
      throw runtime_error("cancelled", "the duplicate-key check was interrupted before it finished",
                          "Nothing was published; run the command again.");
    const char* p = chunk.data.data();
    const char* const end = p + chunk.size;
    if (chunk.index == 0) {  // as the pipeline does: a UTF-8 byte order mark, then the header
      p += utf8_bom_length(p, chunk.size);
      if (syntax.header) {
        const HeaderSpan h = header_span(p, static_cast<std::size_t>(end - p), syntax);
        p += h.skip;
        line += h.lines;
      }
    }
    while (p < end && have) {
      const std::uint64_t row_line = line;
      if (row_line > target.line) file_changed(file, target.line);
      const bool wanted = row_line == target.line;
      if (wanted) fields.reset();
      p = walk_row(p, end, syntax, line, wanted ? &fields : nullptr, split);
      ++line;
      if (wanted) {
        fields.encode(syntax, encoded);
        grouper.add(target.hash, row_line, encoded);
        have = next_candidate.next(target);
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
  std::string names;
  for (const auto& n : key_names) names += (names.empty() ? "" : ", ") + n;
  Finding f = make_finding(Check::duplicate_key, report.excess_rows, fmt::arg("keys", report.duplicate_keys),
                           fmt::arg("keys_s", plural_s(report.duplicate_keys)), fmt::arg("columns", names),
                           fmt::arg("occur", report.duplicate_keys == 1 ? "occurs" : "occur"));
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

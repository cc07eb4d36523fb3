#include "loaders/scan/chunk_scanner.h"

#include <cstring>

#include <fmt/format.h>

#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

// Appends to a reusable byte vector, growing geometrically.
class OutBuffer {
 public:
  explicit OutBuffer(std::vector<char>& v, std::size_t& size) : v_(v), size_(size) {}
  char* reserve(std::size_t n) {
    if (size_ + n > v_.size()) v_.resize(std::max(v_.size() * 2, size_ + n + 4096));
    return v_.data() + size_;
  }
  void commit(std::size_t n) { size_ += n; }
  void put(const char* p, std::size_t n) {
    std::memcpy(reserve(n), p, n);
    size_ += n;
  }
  void put(char c) {
    *reserve(1) = c;
    ++size_;
  }
  std::size_t size() const { return size_; }
  void truncate(std::size_t n) { size_ = n; }

 private:
  std::vector<char>& v_;
  std::size_t& size_;
};

// Writes a value in COPY text format: backslash, tab, newline and carriage return are escaped.
inline void put_escaped(OutBuffer& out, const char* p, std::size_t n) {
  char* o = out.reserve(2 * n);
  char* const start = o;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = p[i];
    switch (c) {
      case '\\': *o++ = '\\'; *o++ = '\\'; break;
      case '\t': *o++ = '\\'; *o++ = 't'; break;
      case '\n': *o++ = '\\'; *o++ = 'n'; break;
      case '\r': *o++ = '\\'; *o++ = 'r'; break;
      default: *o++ = c;
    }
  }
  out.commit(static_cast<std::size_t>(o - start));
}

// Per-row state shared by the TSV and CSV walkers.
class RowChecker {
 public:
  RowChecker(const ScanConfig& cfg, ChunkScanResult& res)
      : cfg_(cfg), qc_(*cfg.qc), res_(res), out_(res.copy, res.copy_size),
        expected_(qc_.expected_fields()) {}

  void begin_row(const char* row_start, std::uint64_t line) {
    row_start_ = row_start;
    line_ = line;
    field_ = 0;
    row_out_start_ = out_.size();
    row_error_ = nullptr;
    has_day_ = false;
  }

  // One field's value (unquoted); `quoted` values are never NULL.
  void field(const char* p, std::size_t n, bool quoted, const char* raw_start, bool needs_escape) {
    const int i = field_++;
    if (i >= expected_) return;  // the row is reported as ragged in end_row
    const bool is_null = !quoted && (n == 0 || (!cfg_.syntax.null_marker.empty() &&
                                                n == cfg_.syntax.null_marker.size() &&
                                                std::memcmp(p, cfg_.syntax.null_marker.data(), n) == 0));
    if (res_.observer) res_.observer->field(i, p, n, is_null, line_);
    if (cfg_.encode_copy) {
      if (i > 0) out_.put('\t');
      if (is_null) out_.put("\\N", 2);
      else if (needs_escape) put_escaped(out_, p, n);
      else out_.put(p, n);
    }
    if (is_null && qc_.required[static_cast<std::size_t>(i)])
      flag(res_.qc.missing_required, {line_, column_of(raw_start), i + 1, "",
                                      qc_.column_names[static_cast<std::size_t>(i)] + " is empty"});
    // The date column's value must also be one the column's type accepts ("2024-01-31 junk"
    // parses as a day but is no date to PostgreSQL).
    if (i == qc_.date_field) {
      if (check_date(p, n, is_null, raw_start) && !qc_.value_checks.empty()) check_value(i, p, n, raw_start);
    } else if (!is_null && !qc_.value_checks.empty()) {
      check_value(i, p, n, raw_start);
    }
  }

  // Called before field() is given the value, so the field's 1-based number is field_ + 1.
  void unterminated_quote(const char* field_start, const char* end) {
    flag(res_.qc.unterminated_quote, {line_, column_of(field_start), field_ + 1,
                                      display_value(field_start, static_cast<std::size_t>(end - field_start)), ""});
  }

  void end_row(std::size_t raw_row_length) {
    const std::uint64_t row_index = res_.rows++;
    check_utf8(raw_row_length);
    if (field_ != expected_) {
      flag(res_.qc.wrong_field_count, {line_, 0, 0, display_value(row_start_, raw_row_length),
                                       raw_row_length == 0 ? "blank line"
                                                           : fmt::format("{} field{}, expected {}", field_,
                                                                         field_ == 1 ? "" : "s", expected_)});
    }
    // With --on-error skip a set-aside row does not count for its day (it will not be loaded);
    // otherwise the day is in the file whatever else is wrong with the row.
    if (has_day_ && (!row_error_ || !cfg_.skip_bad_rows)) res_.qc.days.add(day_);
    if (row_error_) {
      out_.truncate(row_out_start_);  // a bad row is never sent
      if (res_.observer) res_.observer->row_end(false);
      ++res_.rejected_rows;
      if (cfg_.skip_bad_rows && res_.rejects.size() < cfg_.max_rejects_kept)
        res_.rejects.push_back({line_, row_index, row_error_reason(), std::string(row_start_, raw_row_length)});
      return;
    }
    if (cfg_.encode_copy) out_.put('\n');
    if (res_.observer) res_.observer->row_end(true);
  }

  OutBuffer& out() { return out_; }

 private:
  std::uint32_t column_of(const char* p) const { return static_cast<std::uint32_t>(p - row_start_ + 1); }

  // The whole chunk was validated up front (the common case finds nothing); only a chunk with
  // bad bytes is checked again row by row, which keeps memory bounded even for binary garbage.
  void check_utf8(std::size_t raw_row_length) {
    if (!res_.utf8_suspect) return;
    const std::size_t k = find_invalid_utf8(row_start_, raw_row_length);
    if (k == static_cast<std::size_t>(-1)) return;
    const char* p = row_start_ + k;
    flag(res_.qc.invalid_utf8, {line_, static_cast<std::uint32_t>(k + 1), 0,
                                display_value(p, std::min<std::size_t>(8, raw_row_length - k)),
                                fmt::format("byte 0x{:02x}", static_cast<unsigned char>(*p))});
  }

  // Records a problem of this row; the first one becomes the row's reason in the reject file.
  void flag(ExampleList& list, Example e) {
    if (!row_error_) {
      row_error_ = &list;
      row_error_example_ = e;
    }
    list.add(std::move(e));
  }

  std::string row_error_reason() const {
    const ChunkQc& q = res_.qc;
    const Example& e = row_error_example_;
    // A ragged row's unterminated quote can be in a field past the last column: no name then.
    const std::string field = e.field > 0 && e.field <= expected_
                                  ? qc_.column_names[static_cast<std::size_t>(e.field - 1)] : "";
    if (row_error_ == &q.wrong_field_count) return "wrong number of fields: " + e.note;
    if (row_error_ == &q.missing_required) return "required value missing: " + e.note;
    if (row_error_ == &q.empty_date) return "no date in " + field;
    if (row_error_ == &q.bad_date) return "not a valid date in " + field + ": " + e.value;
    if (row_error_ == &q.out_of_range) return "date outside the expected range in " + field + ": " + e.value;
    if (row_error_ == &q.unterminated_quote) return "quoted field never closed";
    if (row_error_ == &q.bad_value) return e.note + ": " + e.value;
    if (row_error_ == &q.invalid_utf8) return "not valid UTF-8 at column " + std::to_string(e.column) + " (" + e.note + ")";
    return "rejected";
  }

  void check_value(int i, const char* p, std::size_t n, const char* raw_start) {
    const auto& checker = qc_.value_checks[static_cast<std::size_t>(i)];
    if (!checker) return;
    const ValueError e = checker->check(p, n);
    if (e == ValueError::none) return;
    flag(res_.qc.bad_value, {line_, column_of(raw_start), i + 1, display_value(p, n),
                             qc_.column_names[static_cast<std::size_t>(i)] + ": " + checker->describe(e)});
  }

  // True when the value is a valid date.
  bool check_date(const char* p, std::size_t n, bool is_null, const char* raw_start) {
    if (is_null) {
      if (qc_.check_dates) flag(res_.qc.empty_date, {line_, column_of(raw_start), field_, "", "empty"});
      return false;
    }
    DayNumber day;
    if (!qc_.date_parser.parse({p, n}, day)) {
      if (qc_.check_dates) flag(res_.qc.bad_date, {line_, column_of(raw_start), field_, display_value(p, n), ""});
      return false;
    }
    // Counted in end_row, once the row's fate is known.
    day_ = day;
    has_day_ = true;
    if (qc_.check_dates && qc_.expected_range && !qc_.expected_range->contains(day))
      flag(res_.qc.out_of_range, {line_, column_of(raw_start), field_, display_value(p, n), ""});
    return true;
  }

  const ScanConfig& cfg_;
  const QcSettings& qc_;
  ChunkScanResult& res_;
  OutBuffer out_;
  const int expected_;
  const char* row_start_ = nullptr;
  std::uint64_t line_ = 0;
  int field_ = 0;
  std::size_t row_out_start_ = 0;
  const ExampleList* row_error_ = nullptr;
  Example row_error_example_;
  DayNumber day_ = 0;
  bool has_day_ = false;
};

// TSV-style rows: a field never contains the delimiter or a newline, so memchr finds both.
void scan_unquoted(const char* data, std::size_t size, const ScanConfig& cfg, ChunkScanResult& res) {
  RowChecker rc(cfg, res);
  const char delim = cfg.syntax.delimiter;
  const char* p = data;
  const char* const end = data + size;
  std::uint64_t line = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* row_end = nl ? nl : end;
    const char* rend = row_end;
    if (rend > p && rend[-1] == '\r') --rend;  // CRLF
    const std::size_t len = static_cast<std::size_t>(rend - p);
    // Values needing COPY escapes are rare; test the row once instead of every field.
    const bool needs_escape = cfg.encode_copy && !cfg.syntax.backslash_escapes &&
        (std::memchr(p, '\\', len) || std::memchr(p, '\r', len) || (delim != '\t' && std::memchr(p, '\t', len)));
    rc.begin_row(p, line);
    // A blank line has no fields to check (unless the table has a single column).
    const char* f = len == 0 && cfg.qc->expected_fields() > 1 ? rend + 1 : p;
    while (f <= rend) {
      const char* d = static_cast<const char*>(std::memchr(f, delim, static_cast<std::size_t>(rend - f)));
      const char* fe = d ? d : rend;
      rc.field(f, static_cast<std::size_t>(fe - f), false, f, needs_escape);
      if (!d) break;
      f = d + 1;
    }
    rc.end_row(len);
    ++line;
    p = nl ? nl + 1 : end;
  }
  res.lines = line;
}

// CSV rows (RFC 4180): quoted fields may hold delimiters, doubled quotes and newlines.
void scan_quoted(const char* data, std::size_t size, const ScanConfig& cfg, ChunkScanResult& res) {
  RowChecker rc(cfg, res);
  const char delim = cfg.syntax.delimiter;
  const char quote = cfg.syntax.quote;
  const char* p = data;
  const char* const end = data + size;
  std::uint64_t line = 0;
  std::string& scratch = res.scratch;
  while (p < end) {
    const char* row_start = p;
    const std::uint64_t row_line = line;
    rc.begin_row(p, line);
    bool row_done = false;
    while (!row_done) {
      const char* field_start = p;
      if (p < end && *p == quote) {
        // Quoted: copy segments between quotes; "" is one quote.
        scratch.clear();
        ++p;
        bool closed = false;
        while (p < end) {
          const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<std::size_t>(end - p)));
          const char* seg_end = q ? q : end;
          for (const char* c = p; c < seg_end; ++c) line += (*c == '\n');
          scratch.append(p, static_cast<std::size_t>(seg_end - p));
          if (!q) { p = end; break; }
          if (q + 1 < end && q[1] == quote) {
            scratch.push_back(quote);
            p = q + 2;
            continue;
          }
          p = q + 1;
          closed = true;
          break;
        }
        if (!closed) rc.unterminated_quote(field_start, end);
        // Text after the closing quote up to the delimiter is kept, as PostgreSQL's CSV reader does.
        while (p < end && *p != delim && *p != '\n' && *p != '\r') scratch.push_back(*p++);
        rc.field(scratch.data(), scratch.size(), true, field_start, true);
      } else {
        const char* f = p;
        while (p < end && *p != delim && *p != '\n') ++p;
        const char* fe = p;
        if (fe > f && fe[-1] == '\r' && (p == end || *p == '\n')) --fe;
        rc.field(f, static_cast<std::size_t>(fe - f), false, f, true);
      }
      if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') ++p;
      if (p >= end) {
        row_done = true;
      } else if (*p == delim) {
        ++p;
      } else {  // '\n' (or a stray '\r')
        ++p;
        row_done = true;
      }
    }
    const char* row_end = p;
    while (row_end > row_start && (row_end[-1] == '\n' || row_end[-1] == '\r')) --row_end;
    rc.end_row(static_cast<std::size_t>(row_end - row_start));
    if (line != row_line) res.rows_span_lines = true;
    ++line;
  }
  res.lines = line;
}

}  // namespace

void scan_chunk(const char* data, std::size_t size, const ScanConfig& config, ChunkScanResult& out) {
  out.reset();
  out.utf8_suspect = find_invalid_utf8(data, size) != static_cast<std::size_t>(-1);
  if (config.syntax.quoted) scan_quoted(data, size, config, out);
  else scan_unquoted(data, size, config, out);
}

std::vector<std::string> split_row(const char* data, std::size_t size, const FileSyntax& syntax) {
  std::vector<std::string> fields;
  std::string cur;
  bool in_quotes = false;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (syntax.quoted && c == syntax.quote) {
      if (in_quotes && i + 1 < size && data[i + 1] == syntax.quote) {
        cur.push_back(c);
        ++i;
      } else {
        in_quotes = !in_quotes;
      }
    } else if (c == syntax.delimiter && !in_quotes) {
      fields.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r' || i + 1 < size) {
      cur.push_back(c);
    }
  }
  fields.push_back(std::move(cur));
  return fields;
}

}  // namespace sluice

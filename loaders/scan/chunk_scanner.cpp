#include "loaders/scan/chunk_scanner.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
    if (n == 0) return;  // an unused buffer has no storage yet, and memcpy to null is undefined
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

inline bool starts_with_bom(const char* p, std::size_t n) {
  return n >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0;
}

// Snowflake's staged CSV (CopyFormat::snowflake_csv): true when a value must be enclosed to read
// back as itself under SnowflakeTarget::file_format's rules. Unenclosed, an empty field is NULL;
// a tab or newline would end the field or record, a carriage return before a newline would be
// read as part of it, and a quote could open an enclosure; a byte order mark that starts a staged
// file is dropped (SKIP_BYTE_ORDER_MARK), and a file starts with a row's first value.
inline bool must_enclose(const char* p, std::size_t n, bool first_in_row) {
  if (n == 0) return true;
  if (first_in_row && starts_with_bom(p, n)) return true;
  for (std::size_t i = 0; i < n; ++i) {
    switch (p[i]) {
      case '\t': case '\n': case '\r': case '"': return true;
      default: break;
    }
  }
  return false;
}

// Writes a value of Snowflake's staged CSV: as is, or enclosed in quotes with its quotes doubled.
inline void put_staged(OutBuffer& out, const char* p, std::size_t n, bool first_in_row) {
  if (!must_enclose(p, n, first_in_row)) {
    out.put(p, n);
    return;
  }
  char* o = out.reserve(2 * n + 2);
  char* const start = o;
  *o++ = '"';
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == '"') *o++ = '"';
    *o++ = p[i];
  }
  *o++ = '"';
  out.commit(static_cast<std::size_t>(o - start));
}

// An escaped TSV's value (FileSyntax::backslash_escapes) is PostgreSQL COPY text. Staged for
// Snowflake it is decoded first, the way PostgreSQL's COPY reads it, so both warehouses load the
// same value: \b \f \n \r \t \v; a backslash and one to three octal digits, or x and one or two
// hex digits, is that byte; a backslash before any other character is that character
// (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"). A backslash that ends
// the value stays.
void decode_copy_text(const char* p, std::size_t n, std::string& out) {
  out.clear();
  const auto digit = [](char c, int base) {
    if (c >= '0' && c <= '7') return c - '0';
    if (base == 16 && c >= '8' && c <= '9') return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != '\\' || i + 1 == n) {
      out.push_back(p[i]);
      continue;
    }
    const char c = p[++i];
    int base = 0, max_digits = 0;
    std::size_t first = i;
    if (c >= '0' && c <= '7') {
      base = 8, max_digits = 3;
    } else if (c == 'x' && i + 1 < n && digit(p[i + 1], 16) >= 0) {
      base = 16, max_digits = 2, first = i + 1;
    }
    if (base) {
      int value = 0;
      std::size_t k = first;
      for (; k < n && k < first + static_cast<std::size_t>(max_digits) && digit(p[k], base) >= 0; ++k)
        value = value * base + digit(p[k], base);
      out.push_back(static_cast<char>(value));
      i = k - 1;
      continue;
    }
    switch (c) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      default: out.push_back(c);
    }
  }
}

// What to do with each column's values, flattened from QcSettings once per chunk so the per-field
// path reads one small struct instead of four containers.
struct ColumnPlan {
  const ValueChecker* checker = nullptr;  // none for unbounded text and --qc none
  int key_slot = -1;                      // position in the duplicate key, or -1
  bool required = false;
  bool is_date = false;
};

// Per-row state shared by the TSV and CSV walkers.
class RowChecker {
 public:
  RowChecker(const ScanConfig& cfg, ChunkScanResult& res)
      : cfg_(cfg), qc_(*cfg.qc), res_(res), out_(res.copy, res.copy_size),
        expected_(qc_.expected_fields()), observer_(res.observer), encode_copy_(cfg.encode_copy),
        staged_csv_(cfg.encode_copy && cfg.copy_format == CopyFormat::snowflake_csv),
        whole_rows_(staged_csv_ && cfg.syntax.rows_are_snowflake_csv() && expected_ > 1),
        decode_escapes_(staged_csv_ && cfg.syntax.backslash_escapes),
        padded_(staged_csv_ && expected_ == 1),
        null_data_(cfg.syntax.null_marker.data()),
        null_size_(cfg.syntax.null_marker.empty() ? SIZE_MAX : cfg.syntax.null_marker.size()),
        keep_rejects_(cfg.skip_bad_rows && cfg.max_rejects_kept > 0) {
    plan_.resize(static_cast<std::size_t>(expected_));
    for (int i = 0; i < expected_; ++i) {
      ColumnPlan& c = plan_[static_cast<std::size_t>(i)];
      const auto u = static_cast<std::size_t>(i);
      if (u < qc_.value_checks.size() && qc_.value_checks[u]) c.checker = &*qc_.value_checks[u];
      c.key_slot = res.key_hasher ? res.key_hasher->slot(i) : -1;
      c.required = qc_.required[u];
      c.is_date = i == qc_.date_field;
    }
  }

  void begin_row(const char* row_start, std::uint64_t line) {
    row_start_ = row_start;
    line_ = line;
    field_ = 0;
    row_out_start_ = out_.size();
    row_whole_ = whole_rows_;
    row_bad_ = false;
    has_day_ = false;
  }

  // One field's value (unquoted); `quoted` values are never NULL. The hot path of the scan.
  // `needs_escape`: the value may need escaping (PostgreSQL text) or enclosing (Snowflake's CSV);
  // false only when it holds none of the bytes that can.
  [[gnu::always_inline]] void field(const char* p, std::size_t n, bool quoted, const char* raw_start,
                                    bool needs_escape) {
    const int i = field_++;
    if (i >= expected_) return;  // the row is reported as ragged in end_row
    const ColumnPlan& c = plan_[static_cast<std::size_t>(i)];
    const bool is_null = !quoted && (n == 0 || (n == null_size_ && std::memcmp(p, null_data_, n) == 0));
    if (observer_) observer_->field(i, p, n, is_null, line_);
    if (c.key_slot >= 0) res_.key_hasher->set(c.key_slot, p, n, is_null);
    if (encode_copy_) {
      if (!row_whole_) {
        encode(i, p, n, is_null, needs_escape);
      } else if (needs_escape || (i == 0 && starts_with_bom(p, n))) {
        // The row up to this value is its own staged text; the rest goes field by field.
        end_verbatim();
        out_.put(row_start_, static_cast<std::size_t>(raw_start - row_start_));
        row_whole_ = false;
        put_value(i, p, n, is_null, true);
      }
    }
    if (is_null && c.required) missing_required(i, raw_start);
    // The date column's value must also be one the column's type accepts ("2024-01-31 junk"
    // parses as a day but is no date to PostgreSQL).
    if (c.is_date) {
      if (check_date(p, n, is_null, raw_start) && c.checker) check_value(i, *c.checker, p, n, raw_start);
    } else if (!is_null && c.checker) {
      check_value(i, *c.checker, p, n, raw_start);
    }
  }

  // A quote RFC 4180 does not allow: inside an unquoted field, or a closing quote with text after
  // it. The value is read as PostgreSQL's CSV reader reads it (and Python's csv module), so the row
  // stays good and this is a warning. Named by the line and column of the quote itself, since the
  // row may span lines. Called before field() is given the value: the field's number is field_ + 1.
  [[gnu::noinline, gnu::cold]] void stray_quote(std::uint64_t line, const char* line_start, const char* quote,
                                                const char* value, std::size_t size, const char* note) {
    res_.qc.list(Check::stray_quote).add_with([&] {
      return Example{line, static_cast<std::uint32_t>(quote - line_start + 1), field_ + 1, display_value(value, size), note};
    });
  }

  // Called before field() is given the value, so the field's 1-based number is field_ + 1.
  void unterminated_quote(const char* field_start, const char* end) {
    flag(Check::unterminated_quote, [&] {
      return Example{line_, column_of(field_start), field_ + 1,
                     display_value(field_start, static_cast<std::size_t>(end - field_start)), ""};
    });
  }

  void end_row(std::size_t raw_row_length) {
    const std::uint64_t row_index = res_.rows++;
    check_utf8(raw_row_length);
    if (field_ != expected_) {
      ++res_.qc.rows_by_field_count[field_];
      flag(Check::column_count, [&] {
        return Example{line_, 0, 0, display_value(row_start_, raw_row_length),
                       raw_row_length == 0 ? "blank line"
                                           : fmt::format("{} field{}, expected {}", field_, plural_s(field_), expected_)};
      });
    }
    // With --on-error skip a set-aside row does not count for its day (it will not be loaded);
    // otherwise the day is in the file whatever else is wrong with the row.
    if (has_day_ && (!row_bad_ || !cfg_.skip_bad_rows)) res_.qc.days.add(day_);
    if (res_.key_hasher) {
      std::uint64_t hash;  // finish() also resets the hasher, so it runs for every row
      if (res_.key_hasher->finish(hash) && !row_bad_) res_.key_hashes.push_back({hash, line_});
    }
    if (row_bad_) {
      end_verbatim();
      out_.truncate(row_out_start_);  // a bad row is never sent
      if (res_.observer) res_.observer->row_end(false);
      ++res_.rejected_rows;
      if (rejects_wanted()) res_.rejects.push_back({line_, row_index, row_reason_, std::string(row_start_, raw_row_length)});
      return;
    }
    if (cfg_.encode_copy && !verbatim_) {  // verbatim: still the input's own bytes
      if (row_whole_) out_.put(row_start_, raw_row_length);
      if (padded_) out_.put('\t');
      out_.put('\n');
    }
    if (res_.observer) res_.observer->row_end(true);
  }

  OutBuffer& out() { return out_; }

  // With whole rows, as long as every row of the chunk is staged whole, the COPY text is the
  // scanned bytes themselves: nothing is copied (ChunkScanResult::copy_is_input) until a row that
  // is not (a value to enclose, an error) makes the rows before it the start of the COPY buffer.
  void begin_chunk(const char* data) {
    chunk_start_ = data;
    verbatim_ = whole_rows_;
  }
  void end_verbatim() {
    if (!verbatim_) return;
    verbatim_ = false;
    out_.put(chunk_start_, static_cast<std::size_t>(row_start_ - chunk_start_));
    row_out_start_ = out_.size();
  }
  // At the chunk's end: true when the COPY text is exactly data[0, size). The rows end at `rows_end`
  // (the blank lines after them are not rows). A last row without its newline is copied, to end
  // with one like every other chunk's text.
  bool finish_chunk(const char* rows_end, const char* end) {
    if (!verbatim_) return false;
    const bool newline = rows_end == chunk_start_ || rows_end[-1] == '\n';
    if (rows_end == end && newline) return true;
    row_start_ = rows_end;
    end_verbatim();
    if (!newline) out_.put('\n');
    return false;
  }

 private:
  void encode(int i, const char* p, std::size_t n, bool is_null, bool needs_escape) {
    if (i > 0) out_.put('\t');
    put_value(i, p, n, is_null, needs_escape);
  }

  void put_value(int i, const char* p, std::size_t n, bool is_null, bool needs_escape) {
    if (staged_csv_) {
      if (is_null) return;  // the empty field
      if (decode_escapes_) {
        decode_copy_text(p, n, res_.decoded);
        put_staged(out_, res_.decoded.data(), res_.decoded.size(), i == 0);
      } else if (needs_escape || n == 0 || i == 0) {
        put_staged(out_, p, n, i == 0);
      } else {
        out_.put(p, n);
      }
      return;
    }
    if (is_null) out_.put("\\N", 2);
    else if (needs_escape) put_escaped(out_, p, n);
    else out_.put(p, n);
  }

  [[gnu::noinline, gnu::cold]] void missing_required(int i, const char* raw_start) {
    flag(Check::required_empty, [&] {
      return Example{line_, column_of(raw_start), i + 1, "", qc_.column_names[static_cast<std::size_t>(i)] + " is empty"};
    });
  }

  std::uint32_t column_of(const char* p) const { return static_cast<std::uint32_t>(p - row_start_ + 1); }

  // The whole chunk was validated up front (the common case finds nothing); only a chunk with
  // bad bytes is checked again row by row, which keeps memory bounded even for binary garbage.
  void check_utf8(std::size_t raw_row_length) {
    if (!res_.utf8_suspect) return;
    const std::size_t k = find_invalid_utf8(row_start_, raw_row_length);
    if (k == static_cast<std::size_t>(-1)) return;
    flag(Check::invalid_utf8, [&] { return invalid_utf8_example(line_, row_start_, raw_row_length, k); });
  }

  // With --on-error skip, while the reject file still takes rows: their reasons are needed.
  bool rejects_wanted() const { return keep_rejects_ && res_.rejects.size() < cfg_.max_rejects_kept; }

  // Records a problem of this row. Its example is made only while the check's list keeps one, or
  // for the row's first problem when that becomes the row's reason in the reject file. The reason
  // is made here, not at the row's end: a CSV value lives in the scratch the next field reuses.
  template <typename MakeExample>
  void flag(Check check, MakeExample&& make) {
    ExampleList& list = res_.qc.list(check);
    const bool first = !row_bad_;
    row_bad_ = true;
    if (!first || !rejects_wanted()) return list.add_with(make);
    Example e = make();
    // A ragged row's unterminated quote can be in a field past the last column: no name then.
    const std::string_view column =
        e.field > 0 && e.field <= expected_ ? std::string_view(qc_.column_names[static_cast<std::size_t>(e.field - 1)]) : "";
    row_reason_ = reject_reason(check, e, column);
    list.add(std::move(e));
  }

  void check_value(int i, const ValueChecker& checker, const char* p, std::size_t n, const char* raw_start) {
    const ValueError e = checker.check(p, n);
    if (e != ValueError::none) bad_value(i, checker, e, p, n, raw_start);
  }

  [[gnu::noinline, gnu::cold]] void bad_value(int i, const ValueChecker& checker, ValueError e, const char* p,
                                              std::size_t n, const char* raw_start) {
    flag(Check::type, [&] {
      return Example{line_, column_of(raw_start), i + 1, display_value(p, n),
                     qc_.column_names[static_cast<std::size_t>(i)] + ": " + checker.describe(e)};
    });
  }

  // True when the value is a valid date.
  bool check_date(const char* p, std::size_t n, bool is_null, const char* raw_start) {
    if (is_null) {
      if (qc_.check_dates) date_problem(Check::date_empty, raw_start, nullptr, 0, "empty");
      return false;
    }
    DayNumber day;
    if (!qc_.date_parser.parse({p, n}, day)) {
      if (qc_.check_dates) date_problem(Check::date_unparseable, raw_start, p, n, "");
      return false;
    }
    // Counted in end_row, once the row's fate is known.
    day_ = day;
    has_day_ = true;
    if (qc_.check_dates && qc_.expected_range && !qc_.expected_range->contains(day))
      date_problem(Check::date_out_of_range, raw_start, p, n, "");
    return true;
  }

  [[gnu::noinline, gnu::cold]] void date_problem(Check check, const char* raw_start, const char* p, std::size_t n,
                                                 const char* note) {
    flag(check, [&] { return Example{line_, column_of(raw_start), field_, p ? display_value(p, n) : std::string(), note}; });
  }

  const ScanConfig& cfg_;
  const QcSettings& qc_;
  ChunkScanResult& res_;
  OutBuffer out_;
  const int expected_;
  FieldObserver* const observer_;
  const bool encode_copy_;
  const bool staged_csv_;      // CopyFormat::snowflake_csv
  const bool whole_rows_;      // and the syntax's rows are that text: rows staged whole
  const bool decode_escapes_;  // and the syntax's values are COPY text, decoded first
  // And the table has one column: each record gets a second, empty field (CopyFormat::snowflake_csv).
  const bool padded_;
  bool row_whole_ = false; // this row so far needs no escape: staged as read, at its end
  bool verbatim_ = false;   // every row so far staged whole: the COPY text is the input (begin_chunk)
  const char* chunk_start_ = nullptr;
  const char* const null_data_;
  const std::size_t null_size_;  // SIZE_MAX: no marker (only the empty field is NULL)
  const bool keep_rejects_;      // --on-error skip, keeping rows for the reject file
  std::vector<ColumnPlan> plan_;
  const char* row_start_ = nullptr;
  std::uint64_t line_ = 0;
  int field_ = 0;
  std::size_t row_out_start_ = 0;
  bool row_bad_ = false;    // the row has a problem: it is not sent
  std::string row_reason_;  // its first problem's reason (made only while rejects_wanted())
  DayNumber day_ = 0;
  bool has_day_ = false;
};

// Bit i set where block[i] is one of the bytes. Bytes past `valid` are not looked at.
struct BlockMasks {
  std::uint64_t delimiter = 0, newline = 0, cr = 0, escape = 0;
};

#if defined(__SSE2__)
inline std::uint64_t movemask16(__m128i v, __m128i c) {
  return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c))));
}
#endif

// The delimiters, LFs, CRs (when the chunk has any) and (when COPY output needs them) the bytes that
// make a value need escaping or enclosing, in 64 bytes at once: four 16-byte compares per class
// instead of a memchr call per field. Those are a carriage return, a tab that is not the
// delimiter, and `special`: the backslash for PostgreSQL's COPY text, the quote for Snowflake's
// staged CSV.
inline BlockMasks classify_block(const char* block, std::size_t valid, char delim, bool want_crs, bool want_escapes,
                                 char special) {
  alignas(16) char tail[64];
  if (valid < 64) {  // the chunk's last bytes: never read past them
    std::memset(tail, 0, sizeof tail);  // masked off below in any case
    std::memcpy(tail, block, valid);
    block = tail;
  }
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8(delim), nl = _mm_set1_epi8('\n');
  const __m128i bs = _mm_set1_epi8(special), cr = _mm_set1_epi8('\r'), tab = _mm_set1_epi8('\t');
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * k));
    m.delimiter |= movemask16(v, d) << (16 * k);
    m.newline |= movemask16(v, nl) << (16 * k);
    if (want_crs) m.cr |= movemask16(v, cr) << (16 * k);
    if (want_escapes) {
      std::uint64_t e = movemask16(v, bs) | movemask16(v, cr);  // the same compare as above, once
      if (delim != '\t') e |= movemask16(v, tab);
      m.escape |= e << (16 * k);
    }
  }
#else
  for (int i = 0; i < 64; ++i) {
    const char c = block[i];
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (c == delim) m.delimiter |= bit;
    else if (c == '\n') m.newline |= bit;
    if (want_crs && c == '\r') m.cr |= bit;
    if (want_escapes && (c == special || c == '\r' || (c == '\t' && delim != '\t'))) m.escape |= bit;
  }
#endif
  if (valid < 64) {
    const std::uint64_t keep = (std::uint64_t{1} << valid) - 1;
    m.delimiter &= keep;
    m.newline &= keep;
    m.cr &= keep;
    m.escape &= keep;
  }
  return m;
}

// Blank lines are rows (a NULL in a one-column table, else a row with no fields), except those at
// the end of the file: they hold no data, editors leave them, and Python's csv module and DuckDB
// skip them. The Splitter gives only the last chunk blank lines at its end, so the end of what is
// scanned is the end of the file.
class TrailingBlankLines {
 public:
  TrailingBlankLines(const char* data, const char* end) : end_(end), text_(data) {}
  // True when the blank line starting at `p` has nothing but blank lines after it. A run of blank
  // lines inside the file is looked at once, not once per line.
  bool from(const char* p) {
    if (p < text_) return false;
    text_ = std::find_if_not(p, end_, is_line_end_byte);
    return text_ == end_;
  }

 private:
  const char* const end_;
  const char* text_;  // the first byte after the last run of line ends looked at
};

// TSV-style rows: a field never contains the delimiter or a line end, so every delimiter, LF and CR
// is a boundary. They are found 64 bytes at a time and visited in order with their bit positions.
// Without CRs in the chunk (kCrs false: most files written on Unix) their mask is not computed.
template <bool kCrs>
void scan_unquoted_walk(const char* data, std::size_t size, const ScanConfig& cfg, ChunkScanResult& res) {
  RowChecker rc(cfg, res);
  const char delim = cfg.syntax.delimiter;
  // Values needing COPY escapes (or enclosing) are rare; only then is a field copied through
  // put_escaped (put_staged). An escaped TSV's values are already COPY text (or decoded first).
  const bool want_escapes = cfg.encode_copy && !cfg.syntax.backslash_escapes;
  const char special = cfg.copy_format == CopyFormat::snowflake_csv ? '"' : '\\';
  // A blank line has no fields to check (unless the table has a single column).
  const bool blank_has_field = cfg.qc->expected_fields() <= 1;
  const char* const end = data + size;
  std::uint64_t line = 0;
  const char* row = data;
  const char* field = data;
  bool field_escapes = false;
  TrailingBlankLines trailing(data, end);
  rc.begin_chunk(data);
  if (row < end) rc.begin_row(row, line);

  // Ends the row whose text ends at `rend`; the next starts at `next`.
  auto finish_row = [&](const char* rend, const char* next) {
    const std::size_t len = static_cast<std::size_t>(rend - row);
    if (len > 0 || blank_has_field) {
      const char* f = field <= rend ? field : rend;
      rc.field(f, static_cast<std::size_t>(rend - f), false, f, field_escapes);
    }
    rc.end_row(len);
    ++line;
    row = field = next;
    field_escapes = false;
    if (row < end) rc.begin_row(row, line);
  };
  // True at a blank line with only blank lines after it: the rows have ended.
  auto rows_ended = [&](const char* rend) {
    if (rend != row || !trailing.from(row)) return false;
    line += count_line_ends(row, end);
    return true;
  };

  bool more_rows = true;
  for (const char* block = data; more_rows && block < end; block += 64) {
    const BlockMasks m = classify_block(block, std::min<std::size_t>(64, static_cast<std::size_t>(end - block)),
                                        delim, kCrs, want_escapes, special);
    // A CR right before an LF goes with the LF (CR LF); any other may end a line by itself.
    const std::uint64_t lone_cr = kCrs ? m.cr & ~(m.newline >> 1) : 0;
    const std::uint64_t row_ends = m.newline | lone_cr;
    std::uint64_t boundaries = m.delimiter | row_ends;
    std::uint64_t escapes = m.escape;
    while (boundaries) {
      const int bit = __builtin_ctzll(boundaries);
      const std::uint64_t below = (std::uint64_t{1} << bit) - 1;
      if (escapes & below) {  // an escape byte inside the current field
        field_escapes = true;
        escapes &= ~below;
      }
      const char* c = block + bit;
      if (!((row_ends >> bit) & 1)) {  // the delimiter: checked first, it is the common boundary
        rc.field(field, static_cast<std::size_t>(c - field), false, field, field_escapes);
        field = c + 1;
        field_escapes = false;
      } else if (*c == '\n') {
        const char* rend = c;
        while (rend > row && rend[-1] == '\r') --rend;  // CR LF, CR CR LF
        if (rows_ended(rend)) {
          more_rows = false;
          break;
        }
        finish_row(rend, c + 1);
      } else if (line_end_length(c, end, true) == 1) {  // not the first of the CRs before an LF
        if (rows_ended(c)) {
          more_rows = false;
          break;
        }
        // COPY text ends rows with an LF, so a row ended by a CR is not staged as read.
        if ((escapes >> bit) & 1) field_escapes = true;
        escapes &= ~((below << 1) | 1);
        finish_row(c, c + 1);
      }
      boundaries &= boundaries - 1;
    }
    if (escapes) field_escapes = true;  // after the block's last boundary: the current field's
  }
  if (more_rows && row < end) finish_row(end, end);  // no final line end
  res.copy_is_input = rc.finish_chunk(row, end);  // the rows end at `row`
  res.lines = line;
}

void scan_unquoted(const char* data, std::size_t size, const ScanConfig& cfg, ChunkScanResult& res) {
  // Not memchr on an empty chunk: its data may be null, which memchr may not be given.
  if (size > 0 && std::memchr(data, '\r', size)) scan_unquoted_walk<true>(data, size, cfg, res);
  else scan_unquoted_walk<false>(data, size, cfg, res);
}

// CSV rows (RFC 4180): quoted fields may hold delimiters, doubled quotes and newlines.
void scan_quoted(const char* data, std::size_t size, const ScanConfig& cfg, ChunkScanResult& res) {
  RowChecker rc(cfg, res);
  const char delim = cfg.syntax.delimiter;
  const char quote = cfg.syntax.quote;
  const bool blank_has_field = cfg.qc->expected_fields() <= 1;
  // The bytes an unquoted field stops at, to look at each byte once.
  bool stops[256] = {};
  for (const char c : {delim, quote, '\n', '\r'}) stops[static_cast<unsigned char>(c)] = true;
  const char* p = data;
  const char* const end = data + size;
  std::uint64_t line = 0;
  std::string& scratch = res.scratch;
  TrailingBlankLines trailing(data, end);
  while (p < end) {
    const char* const row_start = p;
    const std::uint64_t row_line = line;
    const char* line_start = p;  // of the physical line p is on
    if (is_line_end_byte(*p)) {
      if (trailing.from(p)) {
        line += count_line_ends(p, end);
        break;
      }
      rc.begin_row(p, line);
      if (blank_has_field) rc.field(p, 0, false, p, false);
      rc.end_row(0);
      p += line_end_length(p, end, true);
      ++line;
      continue;
    }
    rc.begin_row(p, line);
    for (;;) {
      const char* field_start = p;
      if (p < end && *p == quote) {
        // Quoted: copy segments between quotes; "" is one quote.
        scratch.clear();
        ++p;
        bool closed = false;
        while (p < end) {
          const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<std::size_t>(end - p)));
          const char* seg_end = q ? q : end;
          line += count_line_ends(p, seg_end, &line_start);
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
        const char* const after = p;
        while (p < end && *p != delim && !is_line_end_byte(*p)) scratch.push_back(*p++);
        if (p > after) rc.stray_quote(line, line_start, after - 1, scratch.data(), scratch.size(), "text after the closing quote");
        rc.field(scratch.data(), scratch.size(), true, field_start, true);
      } else {
        const char* stray = nullptr;
        for (;;) {
          while (p < end && !stops[static_cast<unsigned char>(*p)]) ++p;
          if (p == end || *p != quote) break;
          if (!stray) stray = p;  // a quote inside an unquoted field is text (27" monitor)
          ++p;
        }
        const std::size_t n = static_cast<std::size_t>(p - field_start);
        if (stray) rc.stray_quote(line, line_start, stray, field_start, n, "quote inside an unquoted field");
        rc.field(field_start, n, false, field_start, true);
      }
      if (p < end && *p == delim) {
        ++p;
        continue;
      }
      break;  // at the row's line end, or at the end
    }
    const char* row_end = p;
    while (row_end > row_start && is_line_end_byte(row_end[-1])) --row_end;  // a quote never closed ran on
    rc.end_row(static_cast<std::size_t>(row_end - row_start));
    if (line != row_line) res.rows_span_lines = true;
    if (p < end) p += line_end_length(p, end, true);
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

void split_fields(const char* data, std::size_t size, const FileSyntax& syntax, RowFields& out) {
  out.values.clear();
  out.quoted.clear();
  out.unterminated = out.stray_quote = false;
  const char delim = syntax.delimiter;
  const char quote = syntax.quote;
  const char* p = data;
  const char* const end = data + size;
  // As scan_quoted reads a field: a quote opens a quoted field only as its first byte, "" inside is
  // one quote, text after the closing quote is kept, and a quote anywhere else is text.
  for (;;) {
    std::string value;
    const bool quoted = syntax.quoted && p < end && *p == quote;
    if (quoted) {
      bool closed = false;
      for (++p; p < end;) {
        const char* q = static_cast<const char*>(std::memchr(p, quote, static_cast<std::size_t>(end - p)));
        value.append(p, q ? q : end);
        if (!q) {
          p = end;
          break;
        }
        p = q + 1;
        if (p < end && *p == quote) {
          value.push_back(quote);
          ++p;
          continue;
        }
        closed = true;
        break;
      }
      out.unterminated = out.unterminated || !closed;
      const char* const after = p;
      while (p < end && *p != delim) value.push_back(*p++);
      out.stray_quote = out.stray_quote || p > after;
    } else {
      const char* const start = p;
      while (p < end && *p != delim) ++p;
      value.assign(start, p);
      out.stray_quote = out.stray_quote || (syntax.quoted && value.find(quote) != std::string::npos);
    }
    out.values.push_back(std::move(value));
    out.quoted.push_back(quoted);
    if (p >= end) break;
    ++p;  // the delimiter
  }
}

std::vector<std::string> split_row(const char* data, std::size_t size, const FileSyntax& syntax) {
  RowFields fields;
  split_fields(data, size, syntax, fields);
  return std::move(fields.values);
}

}  // namespace sluice

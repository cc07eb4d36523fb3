#include "loaders/scan/sniffer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/dates.h"
#include "loaders/csv/row_walker.h"
#include "loaders/input/byte_source.h"
#include "validators/profile/column_profile.h"

namespace sluice {
namespace {

constexpr char kCandidates[] = {'\t', ',', '|', ';'};
// Rows the delimiter vote looks at; the winner is then parsed up to SniffResult::kMaxRows.
constexpr std::size_t kVoteRows = 2000;

struct Parsed {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<bool>> quoted;  // per field: it was enclosed in quotes
  std::size_t quoted_fields = 0;
  std::size_t stray_quote_rows = 0;       // rows with a quote RFC 4180 does not allow
  bool unterminated = false;              // a quote that is never closed before the end of the file
};

// The rows, as the chunk scanner reads them with this syntax (the row walker: quotes, line ends).
// Blank lines are left out: they say nothing of the delimiter, and the reader skips those before a
// header. A quote never closed stops the reading there.
class SampleRows : public RowVisitor {
 public:
  SampleRows(Parsed& out, std::size_t max_rows) : out_(out), max_rows_(max_rows) {}
  void begin_row(const char*, std::uint64_t) {
    values_.clear();
    quoted_.clear();
    stray_ = false;
  }
  void field(const char* value, std::size_t size, bool quoted, const char*, bool) {
    values_.emplace_back(value, size);
    quoted_.push_back(quoted);
  }
  void stray_quote(std::uint64_t, const char*, const char*, const char*, std::size_t, const char*) { stray_ = true; }
  void unterminated_quote(const char*, const char*) { out_.unterminated = true; }
  bool end_row(const char*, const char*, std::uint64_t) {
    if (out_.unterminated) return false;
    if (values_.empty()) return true;
    for (const bool q : quoted_) out_.quoted_fields += q;
    out_.stray_quote_rows += stray_;
    out_.rows.push_back(std::move(values_));
    out_.quoted.push_back(std::move(quoted_));
    values_ = {};
    quoted_ = {};
    return out_.rows.size() < max_rows_;
  }

 private:
  Parsed& out_;
  const std::size_t max_rows_;
  std::vector<std::string> values_;
  std::vector<bool> quoted_;
  bool stray_ = false;
};

// A row cut off by the end of the sample is left out, unless the sample is the whole file.
Parsed parse(std::string_view t, char delim, bool use_quotes, char quote, bool whole, std::size_t max_rows) {
  FileSyntax syntax;
  syntax.delimiter = delim;
  syntax.quoted = use_quotes;
  syntax.quote = quote;
  Parsed out;
  SampleRows rows(out, max_rows);
  WalkOptions o;
  o.end_of_text = whole;
  std::string scratch;
  walk_rows(t.data(), t.data() + t.size(), syntax, o, scratch, rows);
  return out;
}

struct Vote {
  char delimiter = '\t';
  bool quoted = false;
  std::size_t rows = 0;
  int fields = 0;             // the most common number of fields per row
  double consistency = 0;     // share of rows with that many fields
  std::size_t quoted_fields = 0;
  int order = 0;              // position in kCandidates: the tie-break of last resort
  bool present = false;       // the character occurs in the sample at all
};

Vote vote(const Parsed& p, char delimiter, bool quoted, int order) {
  Vote v;
  v.delimiter = delimiter;
  v.quoted = quoted;
  v.order = order;
  v.rows = p.rows.size();
  v.quoted_fields = p.quoted_fields;
  std::map<int, std::size_t> counts;
  for (const auto& r : p.rows) ++counts[static_cast<int>(r.size())];
  std::size_t best = 0;
  for (const auto& [fields, n] : counts)
    if (n > best || (n == best && fields > v.fields)) {
      best = n;
      v.fields = fields;
    }
  v.consistency = v.rows ? static_cast<double>(best) / static_cast<double>(v.rows) : 0.0;
  return v;
}

// A vote counts only when it splits rows into two or more fields.
double score(const Vote& v) { return v.fields >= 2 ? v.consistency : 0.0; }

// Whether a beats b: clearly more consistent, or about as consistent with more fields, then order.
bool better(const Vote& a, const Vote& b) {
  const double sa = score(a), sb = score(b);
  if (sa > sb + 0.05) return true;
  if (sb > sa + 0.05) return false;
  if (a.fields != b.fields) return a.fields > b.fields;
  if (sa != sb) return sa > sb;
  return a.order < b.order;
}

enum class Shape { empty, boolean, integer, decimal, date, timestamp, text };

Shape shape_of(const std::string& v, const std::string& null_marker) {
  if (v.empty() || v == null_marker) return Shape::empty;
  if (is_boolean_text(v.data(), v.size())) return Shape::boolean;
  NumberShape n;
  if (parse_number_shape(v.data(), v.size(), n)) return n.frac_digits ? Shape::decimal : Shape::integer;
  static const DateParser dates;
  DayNumber day;
  if (v.size() <= 10 && dates.parse(v, day)) return Shape::date;
  bool tz = false;
  if (is_timestamp_text(v.data(), v.size(), tz)) return Shape::timestamp;
  return Shape::text;
}

const char* shape_name(Shape s) {
  switch (s) {
    case Shape::boolean: return "booleans";
    case Shape::integer: return "integers";
    case Shape::decimal: return "numbers";
    case Shape::date: return "dates";
    case Shape::timestamp: return "timestamps";
    default: return "text";
  }
}

// What a column's values below the first row are, for the reason text.
std::string shapes_name(const std::set<Shape>& shapes) {
  if (shapes.size() == 1) return shape_name(*shapes.begin());
  const bool numbers = std::all_of(shapes.begin(), shapes.end(), [](Shape s) { return s == Shape::integer || s == Shape::decimal; });
  return numbers ? "numbers" : "typed values";
}

// A header name: starts with a letter or underscore, then letters, digits and a little punctuation.
bool looks_like_name(const std::string& v) {
  if (v.empty()) return false;
  const auto first = static_cast<unsigned char>(v[0]);
  if (!(std::isalpha(first) || first == '_' || first >= 0x80)) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || u >= 0x80 || std::strchr("_ -.()#/%&", c);
  });
}

struct HeaderVerdict {
  bool header = false;
  double confidence = 0;
  std::string reason;
};

HeaderVerdict detect_header(const Parsed& p, int columns, const std::string& null_marker) {
  HeaderVerdict h;
  if (p.rows.empty()) {
    h.confidence = 0;
    h.reason = "no complete row in the sample";
    return h;
  }
  const auto& first = p.rows[0];
  const auto& first_quoted = p.quoted[0];
  const std::size_t data_rows = p.rows.size() - 1;

  // A header's values are distinct and non-empty; `words` also says they read like names.
  std::set<std::string> seen;
  bool names = first.size() == static_cast<std::size_t>(columns), words = names;
  for (const auto& v : first) {
    names = names && !v.empty() && seen.insert(v).second;
    words = words && looks_like_name(v);
  }
  words = words && names;

  if (data_rows == 0) {
    h.header = words;
    h.confidence = 0.4;
    h.reason = words ? "a single row of distinct names: taken as a header with no data (low confidence)"
                     : "a single row: taken as data";
    return h;
  }

  // The first row numbering the columns (1, 2, 3, ...) is a header of numbers.
  if (columns >= 3 && first.size() == static_cast<std::size_t>(columns)) {
    auto numbered = [&](const std::vector<std::string>& r, int base) {
      for (int j = 0; j < columns; ++j)
        if (r[static_cast<std::size_t>(j)] != std::to_string(j + base)) return false;
      return true;
    };
    for (const int base : {0, 1}) {
      if (!numbered(first, base)) continue;
      bool repeated = false;
      for (std::size_t r = 1; r < p.rows.size() && !repeated; ++r)
        repeated = p.rows[r].size() == first.size() && numbered(p.rows[r], base);
      if (!repeated) {
        h.header = true;
        h.confidence = 0.9;
        h.reason = fmt::format("the first row numbers the columns {}..{}: a header", base, columns - 1 + base);
        return h;
      }
    }
  }

  double yes = 0, no = 0;
  std::vector<std::string> for_header, against;
  for (int j = 0; j < columns; ++j) {
    const auto col = static_cast<std::size_t>(j);
    if (col >= first.size()) break;
    std::set<Shape> shapes;
    bool data_quoted = false, value_repeats = false;
    for (std::size_t r = 1; r < p.rows.size(); ++r) {
      if (col >= p.rows[r].size()) continue;
      const Shape s = shape_of(p.rows[r][col], null_marker);
      if (s != Shape::empty) shapes.insert(s);
      data_quoted = data_quoted || p.quoted[r][col];
      value_repeats = value_repeats || (!first[col].empty() && p.rows[r][col] == first[col]);
    }
    if (shapes.empty()) continue;  // an empty column says nothing
    const Shape top = shape_of(first[col], null_marker);
    const bool typed = !shapes.count(Shape::text);
    // Integers and decimals mix in one numeric column.
    const bool fits = shapes.count(top) || (top == Shape::integer && shapes.count(Shape::decimal)) ||
                      (top == Shape::date && shapes.count(Shape::timestamp));
    if (top == Shape::empty) {
      no += 0.5;
      if (against.size() < 3) against.push_back(fmt::format("column {} is empty in the first row", j + 1));
    } else if (typed && top == Shape::text) {
      yes += 1;
      if (for_header.size() < 3) for_header.push_back(fmt::format("\"{}\" over {}", first[col], shapes_name(shapes)));
    } else if (typed && fits && first_quoted[col] && !data_quoted) {
      yes += 1;  // numbers as text: quoted in the first row only
      if (for_header.size() < 3) for_header.push_back(fmt::format("\"{}\" quoted over unquoted {}", first[col], shapes_name(shapes)));
    } else if (typed && fits) {
      no += 1;
      if (against.size() < 3) against.push_back(fmt::format("\"{}\" fits column {} of {}", first[col], j + 1, shapes_name(shapes)));
    } else if (typed) {
      yes += 0.5;  // a number over dates, say: not data of this column
      if (for_header.size() < 3) for_header.push_back(fmt::format("\"{}\" over {}", first[col], shapes_name(shapes)));
    } else if (value_repeats) {
      no += 0.5;
      if (against.size() < 3) against.push_back(fmt::format("\"{}\" occurs again in column {}", first[col], j + 1));
    }
  }

  if (yes == 0 && no == 0) {
    // Only text columns, and the first row's values never recur below.
    h.header = words;
    h.confidence = 0.5;
    h.reason = words ? "every column is text; the first row's values are distinct names that never recur below: "
                       "taken as a header (low confidence)"
                     : "every column is text and the first row does not look like names: taken as data (low confidence)";
    return h;
  }
  h.header = yes > no && names;
  const double margin = std::abs(yes - no) / (yes + no);
  h.confidence = 0.5 + 0.5 * margin;
  if (yes > no && !names) {
    h.confidence = 0.5;
    h.reason = "the first row differs from the rest but its values are not distinct names: taken as data";
  } else if (h.header) {
    h.reason = fmt::format("header: the first row differs in {:g} of {} columns (e.g. {})", yes, columns,
                           fmt::join(for_header, ", "));
  } else {
    h.reason = fmt::format("no header: the first row fits in {:g} of {} columns (e.g. {})", no, columns,
                           fmt::join(against, ", "));
  }
  if (yes > 0 && no > 0)
    h.reason += fmt::format("; but {} ({:g} against {:g})", h.header ? fmt::join(against, ", ") : fmt::join(for_header, ", "),
                            h.header ? no : yes, h.header ? yes : no);
  return h;
}

// A sample sluice cannot read as text: what it starts like, and what to do.
struct NotText {
  const char* what;
  const char* hint;
};

// UTF-16 (by its byte order mark, or by every other byte of its first line being NUL) and the
// compressed formats sluice does not open. A NUL here and there is not one of these: the scan
// reports it at its line and column like any byte that is not UTF-8.
std::optional<NotText> not_text(std::string_view t) {
  static constexpr const char* kUtf16Hint = "Convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8";
  if (t.starts_with("\xFF\xFE") || t.starts_with("\xFE\xFF")) return NotText{"UTF-16 (a byte order mark at line 1, column 1)", kUtf16Hint};
  const std::string_view first_line = t.substr(0, std::min(t.find('\n'), std::size_t{256}));
  if (first_line.size() >= 8) {
    std::size_t nul_at[2] = {0, 0};
    for (std::size_t i = 0; i < first_line.size(); ++i) nul_at[i % 2] += first_line[i] == '\0';
    const std::size_t half = first_line.size() / 2;
    if ((nul_at[0] == 0 && nul_at[1] >= half) || (nul_at[1] == 0 && nul_at[0] >= half))
      return NotText{"UTF-16 (every other byte of line 1 is NUL)", kUtf16Hint};
  }
  static constexpr const char* kUnpackHint = "Unpack it first; sluice reads plain text, gzip and zstd.";
  if (t.starts_with("PK\x03\x04")) return NotText{"a zip archive", kUnpackHint};
  if (t.size() >= 10 && t.starts_with("BZh") && t.substr(4, 6) == "1AY&SY") return NotText{"bzip2 data", kUnpackHint};
  if (t.starts_with("\xFD" "7zXZ")) return NotText{"xz data", kUnpackHint};
  if (t.starts_with("7z\xBC\xAF\x27\x1C")) return NotText{"a 7-Zip archive", kUnpackHint};
  return std::nullopt;
}

}  // namespace

std::string delimiter_name(char d) {
  if (d == '\t') return "tab";
  return std::string(1, d);
}

SniffResult sniff_text(std::string_view t, bool whole, const std::string& file_name) {
  SniffResult r;
  r.sample_bytes = t.size();
  r.whole_file = whole;
  std::vector<std::string> reasons;
  if (t.size() >= 3 && t.substr(0, 3) == "\xEF\xBB\xBF") {
    r.bom = true;
    t.remove_prefix(3);
    reasons.push_back("UTF-8 byte order mark");
  }
  if (const auto other = not_text(t)) {
    r.text = false;
    r.reason = fmt::format("the file is {}, not UTF-8 or ASCII text", other->what);
    r.hint = other->hint;
    return r;
  }
  // NUL bytes are no reason to give up on a file: the scan names each one's line and column.
  std::size_t lf = 0, crlf = 0, cr = 0;
  for (const char* p = t.data(), *end = p + t.size(); p < end; ++p) {
    if (!is_line_end_byte(*p)) continue;
    const std::size_t eol = line_end_length(p, end, whole);
    if (eol == 0) break;
    ++(*p == '\n' ? lf : p[eol - 1] == '\n' ? crlf : cr);
    p += eol - 1;
  }
  const std::size_t line_ends = lf + crlf + cr;
  r.crlf = crlf > 0 && crlf * 2 >= line_ends;
  if (line_ends == 0 && !whole) reasons.push_back("no line break in the sample: one very long row?");

  // Delimiter vote.
  Vote best;
  std::vector<Vote> votes;
  for (int k = 0; k < static_cast<int>(std::size(kCandidates)); ++k) {
    const char d = kCandidates[k];
    const Parsed plain = parse(t, d, false, '"', whole, kVoteRows);
    Vote v = vote(plain, d, false, k);
    if (t.find('"') != std::string_view::npos) {
      const Parsed quoted = parse(t, d, true, '"', whole, kVoteRows);
      const Vote q = vote(quoted, d, true, k);
      // Quotes that read as RFC 4180 quoting everywhere decide how the fields split: delimiters
      // inside them are text however well the plain split scores (a quoted "a;b;c" per line is
      // one column, not three). Other quotes win only by splitting rows better.
      const bool clean = quoted.stray_quote_rows == 0;
      if (q.quoted_fields > 0 && !quoted.unterminated && (clean || score(q) >= score(v))) v = q;
    }
    v.present = t.find(d) != std::string_view::npos;
    votes.push_back(v);
    if (k == 0 || better(v, best)) best = v;
  }

  double delimiter_confidence;
  const bool csv_name = file_name.find(".csv") != std::string::npos;
  if (score(best) == 0) {
    // One column: no candidate splits rows consistently.
    r.syntax.delimiter = csv_name ? ',' : '\t';
    r.syntax.quoted = csv_name;
    std::vector<std::string> seen;
    for (const auto& v : votes)
      if (v.present) seen.push_back(delimiter_name(v.delimiter));
    if (seen.empty()) {
      delimiter_confidence = 0.9;
      reasons.push_back("no tab, comma, pipe or semicolon in the sample: one column");
    } else {
      delimiter_confidence = 0.5;
      reasons.push_back(fmt::format("{} occur{} but split no rows consistently: read as one column",
                                    fmt::join(seen, " and "), seen.size() == 1 ? "s" : ""));
    }
  } else {
    r.syntax.delimiter = best.delimiter;
    r.syntax.quoted = best.quoted;
    delimiter_confidence = best.consistency;
    std::string why = fmt::format("delimiter {}: {:.0f}% of {} row{} have {} fields", delimiter_name(best.delimiter),
                                  100 * best.consistency, best.rows, best.rows == 1 ? "" : "s", best.fields);
    if (best.quoted) why += fmt::format(", with {} quoted field{}", best.quoted_fields, best.quoted_fields == 1 ? "" : "s");
    reasons.push_back(why);
    for (const auto& v : votes) {
      if (v.delimiter == best.delimiter || score(v) < 0.9) continue;
      delimiter_confidence *= 0.6;
      reasons.push_back(fmt::format("but {} also splits {:.0f}% of rows into {} fields", delimiter_name(v.delimiter),
                                    100 * v.consistency, v.fields));
    }
    if (best.rows < 5) {
      delimiter_confidence *= 0.8;
      reasons.push_back(fmt::format("only {} row{} to go by", best.rows, best.rows == 1 ? "" : "s"));
    }
  }
  // Comma and semicolon files are CSV: quotes may appear further down even if the sample has none.
  if (r.syntax.delimiter == ',' || r.syntax.delimiter == ';') r.syntax.quoted = true;
  r.format = r.syntax.quoted ? FileFormat::csv : FileFormat::tsv;

  Parsed p = parse(t, r.syntax.delimiter, r.syntax.quoted, r.syntax.quote, whole, SniffResult::kMaxRows + 1);
  if (p.unterminated) {
    delimiter_confidence *= 0.5;
    reasons.push_back("a quoted field is never closed");
  }
  r.columns = score(best) == 0 ? 1 : best.fields;

  // NULL markers: \N is unambiguous; NULL is what many exports write.
  std::size_t backslash_n = 0, null_word = 0;
  for (std::size_t i = 0; i < p.rows.size(); ++i)
    for (std::size_t j = 0; j < p.rows[i].size(); ++j) {
      if (p.quoted[i][j]) continue;
      backslash_n += p.rows[i][j] == "\\N";
      null_word += p.rows[i][j] == "NULL";
    }
  if (backslash_n) {
    r.syntax.null_marker = "\\N";
    reasons.push_back(fmt::format("\\N marks NULL ({} fields)", backslash_n));
  } else if (null_word) {
    r.syntax.null_marker = "NULL";
    reasons.push_back(fmt::format("NULL marks NULL ({} fields)", null_word));
  }

  const HeaderVerdict h = detect_header(p, r.columns, r.syntax.null_marker);
  r.syntax.header = h.header;
  reasons.push_back(h.reason);
  if (h.header) {
    r.header = p.rows.front();
    r.header.resize(static_cast<std::size_t>(r.columns));
    p.rows.erase(p.rows.begin());
  }
  if (p.rows.size() > SniffResult::kMaxRows) p.rows.resize(SniffResult::kMaxRows);
  r.rows = std::move(p.rows);
  if (r.crlf) reasons.push_back("CRLF line ends");
  if (cr > 0 && cr * 2 >= line_ends) reasons.push_back("CR line ends (old Mac)");
  r.confidence = std::clamp(delimiter_confidence * h.confidence, 0.0, 1.0);
  r.reason = fmt::format("{}", fmt::join(reasons, "; "));
  return r;
}

SniffResult sniff_file(const std::filesystem::path& file, std::size_t sample_bytes) {
  auto source = open_byte_source(file);
  std::string buf(sample_bytes, '\0');
  std::size_t got = 0;
  bool eof = false;
  while (got < sample_bytes) {
    const std::size_t n = source->read(buf.data() + got, sample_bytes - got);
    if (n == 0) {
      eof = true;
      break;
    }
    got += n;
  }
  if (!eof) {
    // Exactly sample_bytes left: one more read tells whether the file ends here.
    char probe;
    eof = source->read(&probe, 1) == 0;
  }
  buf.resize(got);
  return sniff_text(buf, eof, file.filename().string());
}

}  // namespace sluice

#include "loaders/scan/sniffer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/dates.h"
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
  bool unterminated = false;              // a quote that is never closed before the end of the file
};

// Splits rows the way the chunk scanner does (RFC 4180 when `use_quotes`; CRLF accepted). A row
// cut off by the end of the sample is dropped, unless the sample is the whole file.
Parsed parse(std::string_view t, char delim, bool use_quotes, char quote, bool whole, std::size_t max_rows) {
  Parsed out;
  std::size_t i = 0;
  const std::size_t n = t.size();
  while (i < n && out.rows.size() < max_rows) {
    std::vector<std::string> row;
    std::vector<bool> quoted;
    bool complete = false;
    for (;;) {
      std::string value;
      bool was_quoted = false;
      if (use_quotes && i < n && t[i] == quote) {
        was_quoted = true;
        ++i;
        bool closed = false;
        while (i < n) {
          const std::size_t q = t.find(quote, i);
          if (q == std::string_view::npos) {
            i = n;
            break;
          }
          value.append(t.substr(i, q - i));
          if (q + 1 < n && t[q + 1] == quote) {
            value += quote;
            i = q + 2;
            continue;
          }
          i = q + 1;
          closed = true;
          break;
        }
        if (!closed) {
          out.unterminated = whole;
          break;  // incomplete row
        }
        while (i < n && t[i] != delim && t[i] != '\n') value += t[i++];
      } else {
        const std::size_t start = i;
        while (i < n && t[i] != delim && t[i] != '\n') ++i;
        value.assign(t.substr(start, i - start));
      }
      if ((i >= n || t[i] == '\n') && !value.empty() && value.back() == '\r') value.pop_back();
      row.push_back(std::move(value));
      quoted.push_back(was_quoted);
      if (i >= n) {
        complete = whole;
        break;
      }
      if (t[i] == delim) {
        ++i;
        continue;
      }
      ++i;  // '\n'
      complete = true;
      break;
    }
    if (!complete) break;
    for (const bool q : quoted) out.quoted_fields += q;
    out.rows.push_back(std::move(row));
    out.quoted.push_back(std::move(quoted));
  }
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
  if (t.size() >= 2 && ((t[0] == '\xFF' && t[1] == '\xFE') || (t[0] == '\xFE' && t[1] == '\xFF'))) {
    r.text = false;
    r.reason = "the file starts with a UTF-16 byte order mark: only UTF-8 (or ASCII) text is supported";
    return r;
  }
  if (t.size() >= 3 && t.substr(0, 3) == "\xEF\xBB\xBF") {
    r.bom = true;
    t.remove_prefix(3);
    reasons.push_back("UTF-8 byte order mark");
  }
  if (const void* nul = std::memchr(t.data(), '\0', t.size())) {
    r.text = false;
    r.reason = fmt::format("byte {} is NUL: not a text file (or compressed with something other than gzip or zstd)",
                           static_cast<const char*>(nul) - t.data() + (r.bom ? 3 : 0));
    return r;
  }
  std::size_t lf = 0, crlf = 0;
  for (std::size_t i = t.find('\n'); i != std::string_view::npos; i = t.find('\n', i + 1)) {
    ++lf;
    crlf += i > 0 && t[i - 1] == '\r';
  }
  r.crlf = crlf > 0 && crlf * 2 >= lf;
  if (lf == 0 && !whole) reasons.push_back("no line break in the sample: one very long row?");

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
      if (q.quoted_fields > 0 && !quoted.unterminated && score(q) >= score(v)) v = q;
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

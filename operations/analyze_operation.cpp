#include "operations/analyze_operation.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "loaders/scan/chunk_scanner.h"
#include "operations/table_qc.h"
#include "validators/profile/column_profile.h"

namespace sluice {
namespace {

// The profiler lives in validators, which must not depend on loaders; this adapter is the
// FieldObserver the scan workers call.
class ProfilingObserver final : public FieldObserver {
 public:
  explicit ProfilingObserver(const ProfileSettings& settings) : profiler_(settings) {}
  void field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line) override {
    profiler_.field(field, data, size, is_null, line);
  }
  void row_end(bool well_formed) override { profiler_.row_end(well_formed); }
  ColumnProfiler& profiler() { return profiler_; }

 private:
  ColumnProfiler profiler_;
};

// Folds each chunk's profile into the file's, in file order, and resets it for the slot's next chunk.
class ProfileSink final : public ChunkSink {
 public:
  explicit ProfileSink(ColumnProfiler& total) : total_(total) {}
  void consume(const ScannedChunk& chunk) override {
    if (chunk.observer) total_.merge(static_cast<ProfilingObserver*>(chunk.observer)->profiler(), chunk.first_line);
  }

 private:
  ColumnProfiler& total_;
};

bool contains_date_word(const std::string& name) {
  std::string upper = name;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper.find("DATE") != std::string::npos;
}

int find_column(const std::vector<std::string>& names, const std::string& wanted) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (::strcasecmp(names[i].c_str(), wanted.c_str()) == 0) return static_cast<int>(i);
  int number = 0;
  const auto [end, ec] = std::from_chars(wanted.data(), wanted.data() + wanted.size(), number);
  if (ec == std::errc() && end == wanted.data() + wanted.size() && number >= 1 &&
      number <= static_cast<int>(names.size()))
    return number - 1;
  return -1;
}

}  // namespace

ExitCode AnalyzeResult::exit_code() const {
  return !table.empty() && !scan.qc.passed() ? ExitCode::qc_failed : ExitCode::ok;
}

AnalyzeResult analyze_file(const AnalyzeRequest& req, ProgressSink& progress, const Cancellation& cancel) {
  AnalyzeResult r;
  r.file = req.file;
  const std::string file_name = req.file.filename().string();
  std::vector<std::string> names;
  QcSettings qc;

  if (req.table) {
    const TableSpec& t = *req.table;
    r.table = t.table;
    r.syntax = FileSyntax::for_feed(t.feed, file_name);
    r.format = r.syntax.quoted ? FileFormat::csv : FileFormat::tsv;
    for (const auto& c : t.columns) names.push_back(c.name);
    qc = table_qc_settings(t, req.expected_range);
  } else {
    progress.begin("sniff", file_name, 0);
    SniffResult s = sniff_file(req.file);
    progress.end(s.text, s.text ? fmt::format("{}, {} columns", s.format == FileFormat::csv ? "csv" : "tsv", s.columns)
                                : std::string("not text"));
    if (!s.text)
      throw usage_error(fmt::format("{} does not look like delimited text", req.file.string()), s.reason, s.hint);
    r.syntax = s.syntax;
    r.format = s.format;
    for (int i = 0; i < s.columns; ++i) {
      const bool named = s.syntax.header && static_cast<std::size_t>(i) < s.header.size() && !s.header[i].empty();
      names.push_back(named ? s.header[static_cast<std::size_t>(i)] : fmt::format("col{}", i + 1));
    }
    qc.column_names = names;
    qc.required.assign(names.size(), false);
    r.sniff = std::move(s);
  }

  ProfileSettings ps;
  ps.columns = static_cast<int>(names.size());
  int date_index = -1;
  if (!req.date_column.empty()) {
    date_index = find_column(names, req.date_column);
    if (date_index < 0)
      throw usage_error(fmt::format("--date-column {} is not a column of {}", req.date_column, file_name),
                        fmt::format("the columns are: {}", fmt::join(names, ", ")),
                        "Give a column name (any case) or its number, counting from 1.");
    r.date_note = "given with --date-column";
  } else if (req.table && qc.date_field >= 0) {
    date_index = qc.date_field;
    r.date_note = fmt::format("the date_column of table {}", req.table->table);
  }
  if (date_index >= 0) {
    ps.date_columns = {date_index};
    ps.date_parser = qc.date_parser;
  } else {
    ps.date_columns_auto = true;
  }

  ColumnProfiler total(ps);
  ProfileSink sink(total);
  PipelineOptions popts = req.pipeline;
  popts.encode_copy = false;
  popts.zstd_level = 0;
  popts.phase = "analyze";
  popts.make_observer = [&ps] { return std::make_unique<ProfilingObserver>(ps); };
  r.scan = run_pipeline(req.file, r.syntax, qc, popts, &sink, progress, cancel);
  // From the QC report, not the observer: row_end(false) also marks rows with other row errors.
  for (const auto& f : r.scan.qc.findings)
    if (f.check == Check::column_count) r.malformed_rows = f.count;

  for (std::size_t i = 0; i < names.size(); ++i) {
    const ColumnStats& s = total.columns()[i];
    ColumnSummary c;
    c.index = static_cast<int>(i) + 1;
    c.name = names[i];
    c.observed = s.inferred_type();
    TypeProposal proposal = propose_type(s);
    c.proposed = proposal.type;
    c.checks = std::move(proposal.checks);
    c.date_order = std::move(proposal.date_order);
    c.values = s.values;
    c.nulls = s.nulls;
    c.min = s.min();
    c.max = s.max();
    c.distinct = s.distinct_estimate();
    c.all_days = s.all_days();
    r.columns.push_back(std::move(c));
  }

  if (date_index < 0) {
    // Inferred: a column with a day in every row (a date_column must never be empty), preferring
    // names with DATE in them, then dates over timestamps over the rest (YYYYMMDD integers, text
    // in a date_format), then the first.
    int best = -1, first = -1;
    auto rank = [&](int i) {
      const ColumnKind k = r.columns[static_cast<std::size_t>(i)].observed.kind;
      const int form = k == ColumnKind::date ? 2 : k == ColumnKind::timestamp || k == ColumnKind::timestamptz ? 1 : 0;
      return std::make_tuple(contains_date_word(r.columns[static_cast<std::size_t>(i)].name), form, -i);
    };
    std::vector<std::string> skipped;
    for (int i = 0; i < static_cast<int>(r.columns.size()); ++i) {
      const ColumnSummary& c = r.columns[static_cast<std::size_t>(i)];
      if (!c.all_days) continue;
      if (c.nulls > 0) {
        skipped.push_back(fmt::format("{} has {} empty value{}", c.name, c.nulls, c.nulls == 1 ? "" : "s"));
        continue;
      }
      if (!total.histogram(i)) {
        skipped.push_back(fmt::format("{} spans more than {} days", c.name, ProfileSettings::kAutoMaxDays));
        continue;
      }
      if (first < 0) first = i;
      if (best < 0 || rank(i) > rank(best)) best = i;
    }
    if (best >= 0) {
      date_index = best;
      r.date_column_inferred = true;
      r.date_note = contains_date_word(names[static_cast<std::size_t>(best)])
                        ? "inferred: every row has a date, and the name says DATE"
                    : best == first ? "inferred: the first column with a date in every row"
                                    : "inferred: every row has a date, and dates are preferred to timestamps and YYYYMMDD numbers";
    } else {
      r.date_note = "none: no column has a date in every row";
    }
    if (best < 0 && !skipped.empty()) r.date_note += fmt::format(" ({})", fmt::join(skipped, "; "));
  }
  if (date_index >= 0) {
    r.date_column = names[static_cast<std::size_t>(date_index)];
    if (const auto h = total.histogram(date_index)) {
      r.rows_per_day = h->rows_per_day;
      r.rows_without_date = h->empty + h->not_a_date;
    }
  }
  return r;
}

// ---- config generate ----

namespace {

constexpr const char* kCompressionSuffixes[] = {".gz", ".zst", ".zstd", ".bz2", ".xz"};
constexpr const char* kDataExtensions[] = {".tsv", ".csv", ".txt", ".psv", ".dat", ".tab"};

std::string strip_suffix(std::string s, const char* const* begin, const char* const* end) {
  for (auto it = begin; it != end; ++it) {
    const std::string sfx = *it;
    if (s.size() > sfx.size() && ::strcasecmp(s.c_str() + s.size() - sfx.size(), sfx.c_str()) == 0)
      return s.substr(0, s.size() - sfx.size());
  }
  return s;
}

bool digits_only(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

enum class DatePart { none, range, month, day, year_month };

// What a run of digits and dashes in a file name is, when it is a date.
DatePart date_part(std::string_view s) {
  if (parse_compact_range(s)) return DatePart::range;
  if (parse_month(s)) return DatePart::month;
  DateParser iso;
  DayNumber d;
  if (s.size() == 10 && s[4] == '-' && iso.parse(s, d)) return DatePart::day;
  if (s.size() == 8 && digits_only(s) && iso.parse(s, d)) return DatePart::day;
  if (s.size() == 6 && digits_only(s)) {
    const int y = std::stoi(std::string(s.substr(0, 4))), m = std::stoi(std::string(s.substr(4)));
    if (y >= 1900 && y <= 2199 && m >= 1 && m <= 12) return DatePart::year_month;
  }
  return DatePart::none;
}

struct Run {
  std::size_t pos, size;
  DatePart part;
};

// The date-like runs of digits and dashes in a name, outer dashes excluded.
std::vector<Run> date_runs(const std::string& s) {
  std::vector<Run> runs;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!(std::isdigit(static_cast<unsigned char>(s[i])))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '-')) ++j;
    std::size_t end = j;
    while (end > i && s[end - 1] == '-') --end;
    const DatePart part = date_part(std::string_view(s).substr(i, end - i));
    if (part != DatePart::none) runs.push_back({i, end - i, part});
    i = j;
  }
  return runs;
}

}  // namespace

std::string table_name_for_file(const std::string& file_name) {
  std::string stem = strip_suffix(file_name, std::begin(kCompressionSuffixes), std::end(kCompressionSuffixes));
  stem = strip_suffix(stem, std::begin(kDataExtensions), std::end(kDataExtensions));
  const auto runs = date_runs(stem);
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) stem.erase(it->pos, it->size);

  std::string out;
  auto underscore = [&] {
    if (!out.empty() && out.back() != '_') out += '_';
  };
  for (std::size_t i = 0; i < stem.size(); ++i) {
    const auto c = static_cast<unsigned char>(stem[i]);
    if (!std::isalnum(c)) {
      underscore();
      continue;
    }
    if (std::isupper(c) && i > 0) {
      const auto prev = static_cast<unsigned char>(stem[i - 1]);
      const bool next_lower = i + 1 < stem.size() && std::islower(static_cast<unsigned char>(stem[i + 1]));
      // factLending -> FACT_LENDING; XMLData -> XML_DATA
      if (std::islower(prev) || std::isdigit(prev) || (std::isupper(prev) && next_lower)) underscore();
    }
    out += static_cast<char>(std::toupper(c));
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) return "TABLE";
  if (std::isdigit(static_cast<unsigned char>(out[0]))) out = "T_" + out;
  return out;
}

FilePattern file_pattern_for_file(const std::string& file_name) {
  FilePattern p;
  p.pattern = strip_suffix(file_name, std::begin(kCompressionSuffixes), std::end(kCompressionSuffixes));
  const auto runs = date_runs(p.pattern);
  for (const auto& run : runs) {
    if (run.part == DatePart::range || run.part == DatePart::month) {
      p.pattern.replace(run.pos, run.size, run.part == DatePart::range ? "{date_range}" : "{month}");
      p.has_placeholder = true;
      return p;
    }
  }
  if (!runs.empty())
    p.note = fmt::format("the date \"{}\" in the file name has no file_pattern placeholder (only {{month}} = YYYY-MM and "
                         "{{date_range}} = YYYYMMDD-YYYYMMDD exist): the pattern matches this one file, so "
                         "load --month will not find next month's",
                         p.pattern.substr(runs.front().pos, runs.front().size));
  else
    p.note = "no date in the file name: the pattern matches this one file, so load --month will not find it";
  return p;
}

GeneratedTable table_spec_from_analysis(const AnalyzeResult& a, const std::string& table_name) {
  GeneratedTable g;
  TableSpec& t = g.spec;
  t.table = table_name;
  const FilePattern fp = file_pattern_for_file(a.file.filename().string());
  t.feed.file_pattern = fp.pattern;
  if (!fp.note.empty()) g.notes.push_back(fp.note);
  t.feed.format = a.format;
  t.feed.header = a.syntax.header;
  t.feed.delimiter = a.syntax.delimiter;
  t.feed.quote = a.syntax.quote;
  t.feed.null_marker = a.syntax.null_marker;

  // Names must be distinct (any case) for the config; a header's names are kept as written, since
  // loads compare the header row with them.
  std::set<std::string> used;
  auto key = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& c : a.columns) {
    ColumnSpec col;
    col.name = a.syntax.header ? c.name : fmt::format("COL{}", c.index);
    if (col.name.empty()) col.name = fmt::format("COL{}", c.index);
    if (used.count(key(col.name))) {
      std::string renamed;
      for (int k = 2; used.count(key(renamed = fmt::format("{}_{}", col.name, k))); ++k) {
      }
      g.notes.push_back(fmt::format("column {} repeats the name {}: renamed {}; the header check of a load will "
                                    "report the difference", c.index, col.name, renamed));
      col.name = renamed;
    }
    used.insert(key(col.name));
    col.type = c.proposed;
    for (const auto& check : c.checks) g.notes.push_back(fmt::format("column {} {}", col.name, check));
    t.columns.push_back(std::move(col));
  }
  if (!a.date_column.empty()) {
    const auto it = std::find_if(a.columns.begin(), a.columns.end(), [&](const ColumnSummary& c) { return c.name == a.date_column; });
    if (it != a.columns.end() && it->nulls == 0 && it->values > 0) {
      const std::string& name = t.columns[static_cast<std::size_t>(it->index - 1)].name;
      t.date_column = name;
      const DateOrder& order = it->date_order;
      if (order.kind == DateOrder::Kind::ambiguous) {
        g.date_format_choices = order.date_formats;
        g.notes.push_back(fmt::format("date_column {} needs a date_format: uncomment the line of its order below (until "
                                      "then loads read the dates month-first, the automatic form)",
                                      name));
      } else if (!order.date_formats.empty()) {
        t.date_format = order.date_formats.front().format;
        g.comments.push_back(fmt::format("date_column {} is {}.", name, order.evidence));
      }
      if (it->observed.kind == ColumnKind::timestamptz)
        g.notes.push_back(fmt::format("date_column {} has UTC offsets: file QC counts a row on the date as written, "
                                      "validate and report on PostgreSQL on its date in the session's time zone, so "
                                      "rows near midnight can count on different days",
                                      name));
    }
  }
  if (t.date_column.empty()) g.notes.push_back("no date_column: no column has a valid date in every row");
  return g;
}

}  // namespace sluice

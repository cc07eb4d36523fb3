#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/output.h"
#include "app/progress_renderers.h"
#include "core/text_format.h"
#include "operations/analyze_operation.h"
#include "operations/file_selection.h"
#include "output/findings_output.h"
#include "output/json_text.h"

namespace sluice {
namespace {

const char* format_name(FileFormat f) { return f == FileFormat::csv ? "csv" : "tsv"; }

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// Characters, not bytes: values are UTF-8 and the table is aligned by what a terminal shows.
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string fit(const std::string& s, std::size_t width) {
  if (display_width(s) <= width) return s + std::string(width - display_width(s), ' ');
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_char && ++n > width - 3) break;
    out += s[i];
  }
  return out + "..." + std::string(width > display_width(out) + 3 ? width - display_width(out) - 3 : 0, ' ');
}

std::string syntax_line(const AnalyzeResult& a) {
  std::string s = fmt::format("{}, delimiter {}, header {}", format_name(a.format), delimiter_name(a.syntax.delimiter),
                              a.syntax.header ? "yes" : "no");
  if (a.syntax.quoted) s += fmt::format(", quote {}", a.syntax.quote);
  if (!a.syntax.null_marker.empty()) s += fmt::format(", NULL also \"{}\"", a.syntax.null_marker);
  if (a.sniff && a.sniff->bom) s += ", UTF-8 BOM";
  if (a.sniff && a.sniff->crlf) s += ", CRLF";
  return s;
}

std::string render_text(const AnalyzeResult& a) {
  std::string out = fmt::format("{}\n", a.file.string());
  if (!a.table.empty()) out += fmt::format("  read as  table {}: {}\n", a.table, syntax_line(a));
  else out += fmt::format("  read as  {}\n", syntax_line(a));
  if (a.sniff)
    out += fmt::format("  sniffed  confidence {:.0f}%: {}\n", 100 * a.sniff->confidence, a.sniff->reason);
  const auto& s = a.scan;
  const double secs = std::max(s.seconds, 1e-3);
  std::string size = human_bytes(static_cast<double>(s.file_bytes));
  if (s.compression != Compression::none)
    size += fmt::format(" {} ({} uncompressed)", to_string(s.compression), human_bytes(static_cast<double>(s.stream_bytes)));
  out += fmt::format("  rows     {}\n", grouped(s.rows));
  out += fmt::format("  columns  {}\n", a.columns.size());
  out += fmt::format("  size     {}, checksum xxh3:{:016x}\n", size, s.file_checksum);
  out += fmt::format("  speed    {} at {}/s, {} rows/s\n", human_duration(secs),
                     human_bytes(static_cast<double>(s.stream_bytes) / secs), human_count(static_cast<double>(s.rows) / secs));

  // The column table, sized to its contents. "observed" is the narrowest type this file needs,
  // "proposed" the one config generate writes, with room for next month's file.
  std::size_t wname = 6, wobserved = 8, wproposed = 8, wmin = 3, wmax = 3;
  constexpr std::size_t kValueWidth = 24;
  for (const auto& c : a.columns) {
    wname = std::max(wname, std::min<std::size_t>(display_width(c.name), 32));
    wobserved = std::max(wobserved, to_string(c.observed).size());
    wproposed = std::max(wproposed, to_string(c.proposed).size());
    wmin = std::max(wmin, std::min(display_width(c.min), kValueWidth));
    wmax = std::max(wmax, std::min(display_width(c.max), kValueWidth));
  }
  const std::size_t wnum = std::max<std::size_t>(std::to_string(a.columns.size()).size(), 1);
  out += fmt::format("\n  {:>{}}  {}  {}  {}  {:>22}  {}  {}  {:>13}\n", "#", wnum, fit("column", wname),
                     fit("observed", wobserved), fit("proposed", wproposed), "nulls", fit("min", wmin), fit("max", wmax),
                     "~distinct");
  for (const auto& c : a.columns) {
    const std::uint64_t rows = c.values + c.nulls;
    const std::string nulls = fmt::format("{} ({:.1f}%)", grouped(c.nulls), percent(c.nulls, rows));
    out += fmt::format("  {:>{}}  {}  {}  {}  {:>22}  {}  {}  {:>13}\n", c.index, wnum, fit(c.name, wname),
                       fit(to_string(c.observed), wobserved), fit(to_string(c.proposed), wproposed), nulls,
                       fit(c.min, wmin), fit(c.max, wmax), grouped(c.distinct));
  }
  if (a.malformed_rows)
    out += fmt::format("  ({} row{} with the wrong number of fields {} profiled up to the column count)\n",
                       grouped(a.malformed_rows), a.malformed_rows == 1 ? "" : "s", a.malformed_rows == 1 ? "is" : "are");
  out += "  (observed: the narrowest type that holds every value of this file; proposed: the type to declare, with "
         "room for next month's)\n";

  std::string checks, orders;
  for (const auto& c : a.columns) {
    for (const auto& check : c.checks) checks += fmt::format("    CHECK: column {} {}\n", c.name, check);
    if (c.date_order.kind == DateOrder::Kind::none) continue;
    orders += fmt::format("    {}: {}", c.name, c.date_order.evidence);
    std::vector<std::string> formats;
    for (const auto& f : c.date_order.date_formats)
      formats.push_back(fmt::format("\"{}\" ({})", f.format, to_string(f.order)));
    if (!formats.empty()) orders += fmt::format("; as a date_column: date_format {}", fmt::join(formats, " or "));
    orders += "\n";
  }
  if (!checks.empty()) out += "\n  to decide before using the proposed types:\n" + checks;
  if (!orders.empty()) out += "\n  dates written N/N/YYYY:\n" + orders;

  out += "\n";
  if (a.date_column.empty()) {
    out += fmt::format("  rows per day: {}\n", a.date_note);
  } else {
    out += fmt::format("  rows per day of {} ({}):\n", a.date_column, a.date_note);
    std::uint64_t most = 0;
    for (const auto& [day, n] : a.rows_per_day) most = std::max(most, n);
    constexpr int kBar = 40;
    const auto line = [&](DayNumber day, std::uint64_t n) {
      const int bar = most ? static_cast<int>((n * kBar + most - 1) / most) : 0;
      return fmt::format("    {}  {:>12}  {}\n", format_iso(day), grouped(n), std::string(static_cast<std::size_t>(bar), '#'));
    };
    if (!a.rows_per_day.empty()) {
      const DayNumber first = a.rows_per_day.begin()->first, last = a.rows_per_day.rbegin()->first;
      // Gaps are what a person looks for: show days without rows, unless the span is too long to list.
      if (last - first < 400) {
        for (DayNumber d = first; d <= last; ++d) {
          const auto it = a.rows_per_day.find(d);
          out += line(d, it == a.rows_per_day.end() ? 0 : it->second);
        }
      } else {
        for (const auto& [day, n] : a.rows_per_day) out += line(day, n);
      }
    }
    if (a.rows_without_date)
      out += fmt::format("    {} row{} without a valid date\n", grouped(a.rows_without_date), a.rows_without_date == 1 ? "" : "s");
  }

  const auto& qc = a.scan.qc;
  if (!a.table.empty()) {
    out += qc.findings.empty() ? fmt::format("\n  QC       passed (table {})\n", a.table)
                               : fmt::format("\n  QC findings (table {}):\n", a.table);
  } else if (!qc.findings.empty()) {
    out += "\n  structure findings:\n";
  }
  out += render_findings(a.file.string(), qc.findings);
  return out;
}

nlohmann::json render_json(const AnalyzeResult& a) {
  using nlohmann::json;
  const auto& s = a.scan;
  json j{{"file", a.file.string()},
         {"rows", s.rows},
         {"column_count", a.columns.size()},
         {"stream_bytes", s.stream_bytes},
         {"file_bytes", s.file_bytes},
         {"compression", to_string(s.compression)},
         {"checksum", fmt::format("xxh3:{:016x}", s.file_checksum)},
         {"seconds", s.seconds},
         {"malformed_rows", a.malformed_rows},
         {"exit_code", static_cast<int>(a.exit_code())}};
  json field_counts = json::object();
  for (const auto& [fields, rows] : s.qc.rows_by_field_count) field_counts[std::to_string(fields)] = rows;
  j["field_counts"] = field_counts;
  j["syntax"] = {{"format", format_name(a.format)},
                 {"delimiter", std::string(1, a.syntax.delimiter)},
                 {"quoted", a.syntax.quoted},
                 {"quote", std::string(1, a.syntax.quote)},
                 {"header", a.syntax.header},
                 {"null_marker", a.syntax.null_marker},
                 {"bom", a.sniff && a.sniff->bom},
                 {"crlf", a.sniff && a.sniff->crlf}};
  j["sniff"] = a.sniff ? json{{"confidence", a.sniff->confidence}, {"reason", a.sniff->reason}} : json(nullptr);
  j["table"] = a.table.empty() ? json(nullptr) : json(a.table);
  json columns = json::array();
  for (const auto& c : a.columns) {
    const std::uint64_t rows = c.values + c.nulls;
    json order = nullptr;
    if (c.date_order.kind != DateOrder::Kind::none) {
      json examples = json::array(), formats = json::array();
      for (const auto& e : c.date_order.examples) examples.push_back({{"value", e.str()}, {"line", e.line}});
      for (const auto& f : c.date_order.date_formats)
        formats.push_back({{"date_format", f.format}, {"order", to_string(f.order)}});
      order = {{"order", to_string(c.date_order.kind)},
               {"values", c.date_order.values},
               {"evidence", c.date_order.evidence},
               {"examples", examples},
               {"date_formats", formats}};
    }
    columns.push_back({{"index", c.index},
                       {"name", c.name},
                       {"observed_type", to_string(c.observed)},
                       {"proposed_type", to_string(c.proposed)},
                       {"checks", c.checks},
                       {"values", c.values},
                       {"nulls", c.nulls},
                       {"null_pct", percent(c.nulls, rows)},
                       {"min", c.min},
                       {"max", c.max},
                       {"distinct", c.distinct},
                       {"all_dates", c.all_days},
                       {"date_order", order}});
  }
  j["columns"] = columns;
  if (a.date_column.empty()) {
    j["date_column"] = {{"name", nullptr}, {"note", a.date_note}};
  } else {
    json per_day = json::object();
    for (const auto& [day, n] : a.rows_per_day) per_day[format_iso(day)] = n;
    j["date_column"] = {{"name", a.date_column},
                        {"inferred", a.date_column_inferred},
                        {"note", a.date_note},
                        {"rows_per_day", per_day},
                        {"rows_without_date", a.rows_without_date}};
  }
  j["qc"] = {{"table_checks", !a.table.empty()}, {"passed", s.qc.passed()}, {"findings", findings_json(s.qc.findings)}};
  return j;
}

}  // namespace

int run_analyze_command(ApplicationContext& ctx, const AnalyzeCommandOptions& o) {
  AnalyzeRequest req;
  req.file = o.file;
  req.date_column = o.date_column;
  req.pipeline.workers = o.workers;
  require_regular_file(o.file);
  if (!o.table.empty()) {
    // The file is read as the table's, whatever its name; the name still gives the expected range.
    const auto selected = select_files(ctx.config(), {o.file.string()}, o.table);
    req.table = selected.front().table;
    req.expected_range = selected.front().expected_range;
  } else if (!o.sniff) {
    // A file the config knows is read as its table, with that table's QC, as a load would read it.
    if (const Config* config = ctx.config_if_any()) {
      const auto matches = match_tables(*config, o.file.filename().string());
      if (matches.size() == 1) {
        req.table = matches.front().table;
        req.expected_range = matches.front().range;
        ctx.progress().note(fmt::format("read as table {} (its file_pattern {} matches the name; --sniff to ignore the "
                                        "config, --table to choose another)",
                                        req.table->table, req.table->feed.file_pattern));
      } else if (matches.size() > 1) {
        std::string names;
        for (const auto& m : matches) names += " " + m.table->table;
        ctx.progress().note(fmt::format("the name matches several tables' file_pattern ({} ); sniffing the format "
                                        "instead (--table to choose one)",
                                        names));
      }
    }
  }
  const AnalyzeResult result = analyze_file(req, ctx.progress(), ctx.cancellation());
  ctx.log().info("analyze {}: {} rows, {} columns", o.file.string(), result.scan.rows, result.columns.size());
  emit(o.out.is_json() ? json_text(render_json(result)) + "\n" : render_text(result), o.out.output);
  return static_cast<int>(result.exit_code());
}

}  // namespace sluice

#include <strings.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/config.h"
#include "operations/file_selection.h"
#include "core/error.h"
#include "operations/analyze_operation.h"

namespace sluice {
namespace {

// Comment lines; the reason texts are long, so they are wrapped.
std::string comment(const std::string& text, const std::string& indent) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > 96) {
      out += indent + "# " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out += indent + "# " + line + "\n";
  return out;
}

// One entry of tables:, indented to sit under it.
std::string table_entry_yaml(const GeneratedTable& g, const AnalyzeResult& a) {
  const TableSpec& t = g.spec;
  std::string y = comment(fmt::format("From {}: {} rows, {} columns.", a.file.filename().string(), a.scan.rows,
                                      t.columns.size()), "  ");
  if (a.sniff)
    y += comment(fmt::format("Sniffed with confidence {:.0f}%: {}.", 100 * a.sniff->confidence, a.sniff->reason), "  ");
  for (const auto& n : g.notes) y += comment("CHECK: " + n + ".", "  ");
  for (const auto& c : g.comments) y += comment(c, "  ");
  std::string entry = table_config_yaml(t);
  // No choice is the right default for an ambiguous order: both are offered, commented out.
  std::string choices;
  for (const auto& f : g.date_format_choices)
    choices += fmt::format("    # date_format: {}    # {}\n", yaml_quoted(f.format), to_string(f.order));
  entry.insert(entry.find("    columns:\n"), choices);
  return y + entry;
}

}  // namespace

int run_config_generate_command(ApplicationContext& ctx, const ConfigGenerateOptions& o) {
  if (o.files.empty()) throw usage_error("no files given", "", "Pass one or more data files.");
  if (!o.table.empty() && o.files.size() > 1)
    throw usage_error("--table names one table, but several files were given", "",
                      "Generate one file at a time with --table, or drop it to name tables after the files.");
  std::error_code ec;
  if (!o.out.empty() && std::filesystem::exists(o.out, ec) && !o.force)
    throw usage_error(fmt::format("{} already exists", o.out.string()), "", "Pass --force to overwrite it, or choose another -o.");

  std::vector<std::string> entries, names, sources;
  for (const auto& file : o.files) {
    require_regular_file(file);
    AnalyzeRequest req;
    req.file = file;
    const AnalyzeResult a = analyze_file(req, ctx.progress(), ctx.cancellation());
    const std::string name = o.table.empty() ? table_name_for_file(file.filename().string()) : o.table;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (::strcasecmp(names[i].c_str(), name.c_str()) == 0)
        throw usage_error(fmt::format("{} and {} would both become table {}", sources[i], file.string(), name), "",
                          "Generate from one file per table (e.g. one month), or run once per file with --table.");
    const GeneratedTable g = table_spec_from_analysis(a, name);
    if (a.sniff && a.sniff->confidence < 0.6)
      ctx.progress().note(fmt::format("{}: the format guess is uncertain ({:.0f}%): check the entry's comments",
                                      file.filename().string(), 100 * a.sniff->confidence));
    entries.push_back(table_entry_yaml(g, a));
    names.push_back(name);
    sources.push_back(file.string());
  }

  std::string text;
  if (o.out.empty()) {
    text = "# Table entries for the tables: list of a sluice config (check the CHECK notes, then\n"
           "# sluice config validate).\n";
    for (const auto& e : entries) text += e;
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  text = "# Written by sluice config generate: the embedded PostgreSQL and the tables of\n";
  for (const auto& s : sources) text += "#   " + s + "\n";
  text += "target: local\n"
          "connections:\n"
          "  local: { type: postgres, embedded: true }\n"
          "tables:\n";
  for (const auto& e : entries) text += e;
  if (o.out.has_parent_path()) std::filesystem::create_directories(o.out.parent_path(), ec);
  {
    std::ofstream out(o.out, std::ios::trunc);
    out << text;
    out.flush();
    if (!out)
      throw runtime_error(fmt::format("cannot write {}", o.out.string()), "", "Check the directory and free space.");
  }
  ctx.log().info("config generate: wrote {} ({} tables)", o.out.string(), entries.size());
  std::printf("wrote %s (%zu table%s)\nCheck it with: sluice config validate %s\n", o.out.c_str(), entries.size(),
              entries.size() == 1 ? "" : "s", o.out.c_str());
  return 0;
}

}  // namespace sluice

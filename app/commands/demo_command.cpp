#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/config.h"
#include "app/load_report.h"
#include "core/error.h"
#include "core/text_format.h"
#include "jobs/job_log_adapter.h"
#include "operations/sample_data.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/postgres/dialect.h"

namespace sluice {
namespace {

constexpr const char* kDemoTable = "FACT_LENDING_SAMPLE";
constexpr const char* kDemoPattern = "factLendingSample_{date_range}.tsv";

std::optional<std::pair<int, int>> year_month(const std::string& month) {
  const auto r = parse_month(month);
  if (!r) return std::nullopt;
  const CivilDate c = civil_from_days(r->first);
  return std::make_pair(c.year, c.month);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What is in the table now, after the load: the report a person checks first.
void print_table_report(ApplicationContext& ctx, const Config& config, const TableSpec& table) {
  auto conn = pg::Connection::open(ctx.postgres_conninfo(config.target_connection()), "sluice demo");
  const std::string schema = config.target_connection().postgres()->schema;
  const std::string t = pg::qualified(schema, table.table);
  const std::string d = pg::identifier("RECORDDATE");
  auto r = conn.query(fmt::format("SELECT count(*), min({d}), max({d}), count(DISTINCT {d}), "
                                  "pg_size_pretty(pg_total_relation_size('{t}')) FROM {t}",
                                  fmt::arg("d", d), fmt::arg("t", t)));
  std::printf("\nTable %s.%s now holds %s rows, dated %s..%s (%s distinct days), %s on disk.\n",
              pg::normalize_identifier(schema).c_str(), pg::normalize_identifier(table.table).c_str(),
              std::string(r.get(0, 0)).c_str(), std::string(r.get(0, 1)).c_str(), std::string(r.get(0, 2)).c_str(),
              std::string(r.get(0, 3)).c_str(), std::string(r.get(0, 4)).c_str());
  auto h = conn.query(fmt::format("SELECT id, file_name, rows_loaded, coalesce(date_from::text, ''), coalesce(date_to::text, ''), "
                                  "to_char(loaded_at, 'YYYY-MM-DD HH24:MI:SS'), coalesce(replaced_by::text, '') "
                                  "FROM {} WHERE table_name = $1 ORDER BY id DESC LIMIT 5",
                                  pg::qualified(schema, "sluice_load_history")),
                      {pg::normalize_identifier(table.table)});
  std::printf("\nLoad history (newest first):\n  %-4s %-40s %12s  %-23s %-19s %s\n", "id", "file", "rows", "dates", "loaded at", "replaced by");
  for (int i = 0; i < h.rows(); ++i)
    std::printf("  %-4s %-40s %12s  %s..%s %-19s %s\n", std::string(h.get(i, 0)).c_str(), std::string(h.get(i, 1)).c_str(),
                std::string(h.get(i, 2)).c_str(), std::string(h.get(i, 3)).c_str(), std::string(h.get(i, 4)).c_str(),
                std::string(h.get(i, 5)).c_str(), std::string(h.get(i, 6)).c_str());
}

}  // namespace

int run_demo_command(ApplicationContext& ctx, const DemoOptions& options) {
  const auto ym = year_month(options.month);
  if (!ym) throw usage_error(fmt::format("invalid --month \"{}\"", options.month), "", "Write the month as YYYY-MM.");
  const std::filesystem::path dir = Paths::ensure(options.dir.empty() ? ctx.paths().data_dir / "demo" : options.dir);
  const TableSpec spec = sample_table_spec(kDemoTable, kDemoPattern, false);
  const std::filesystem::path file = dir / pattern_for_month(kDemoPattern, ym->first, ym->second);

  // The generator is deterministic, so a file made with the same options is reused as it is.
  SampleDataOptions gen;
  gen.year = ym->first;
  gen.month = ym->second;
  gen.target_bytes = options.size_mb * 1000 * 1000;
  const std::string stamp = fmt::format("sample v1 month={} bytes={} seed={}\n", options.month, gen.target_bytes, gen.seed);
  const auto stamp_path = std::filesystem::path(file.string() + ".options");
  std::error_code ec;
  if (std::filesystem::exists(file, ec) && read_file(stamp_path) == stamp) {
    ctx.progress().note(fmt::format("using the sample month generated earlier: {}", file.string()));
  } else {
    std::filesystem::remove(stamp_path, ec);
    const auto r = generate_sample_data(file, gen, ctx.progress());
    std::ofstream(stamp_path) << stamp;
    ctx.progress().note(fmt::format("generated {} ({} rows, {})", file.string(), r.rows, human_bytes(static_cast<double>(r.bytes))));
  }

  const std::filesystem::path config_path = dir / "sluice-demo.yaml";
  std::ofstream(config_path) << embedded_config_yaml(spec);
  ctx.set_config(load_config(config_path));
  const Config& config = ctx.config();

  LoadRequest req;
  req.month = options.month;
  req.base_path = dir;
  req.qc = QcMode::file;
  req.create = true;
  req.replace = true;  // the demo can be run again and again
  JobStoreLog jobs(ctx.jobs());
  LoadOperation op(config, [&](const ConnectionSpec& c) { return ctx.postgres_conninfo(c); }, jobs, ctx.progress(),
                   ctx.cancellation());
  const LoadSummary summary = op.run(req);
  std::fputs(render_load_text(summary).c_str(), stdout);
  if (summary.committed) {
    print_table_report(ctx, config, spec);
    std::printf("\nThe config used is %s. Try next:\n"
                "  psql \"$(sluice db url)\" -c 'SELECT recorddate, count(*) FROM fact_lending_sample GROUP BY 1 ORDER BY 1'\n"
                "  sluice --config %s load --month %s --base-path %s --replace\n"
                "  sluice db stop\n",
                config_path.c_str(), config_path.c_str(), options.month.c_str(), dir.c_str());
  }
  return static_cast<int>(summary.exit_code());
}

int run_generate_command(ApplicationContext& ctx, const GenerateOptions& o) {
  const auto ym = year_month(o.month);
  if (!ym) throw usage_error(fmt::format("invalid --month \"{}\"", o.month), "", "Write the month as YYYY-MM.");
  if ((o.rows == 0) == (o.size_mb == 0)) throw usage_error("pass exactly one of --rows and --size-mb");
  SampleDataOptions gen;
  gen.year = ym->first;
  gen.month = ym->second;
  gen.rows = o.rows;
  gen.target_bytes = o.size_mb * 1000 * 1000;
  gen.seed = o.seed;
  gen.header = o.header;
  gen.skip_days = o.skip_days;
  gen.ragged_line = o.ragged_line;
  gen.bad_date_line = o.bad_date_line;
  gen.duplicate_line = o.duplicate_line;
  const auto r = generate_sample_data(o.out, gen, ctx.progress());
  if (!o.config_out.empty()) {
    // The pattern keeps the month as a placeholder when the name has it, so --month and --replace work.
    std::string pattern = o.out.filename().string();
    const DateRange range = DateRange::month(ym->first, ym->second);
    const std::string compact = format_compact(range.first) + "-" + format_compact(range.last);
    if (auto pos = pattern.find(compact); pos != std::string::npos) pattern.replace(pos, compact.size(), "{date_range}");
    else if (auto pos2 = pattern.find(o.month); pos2 != std::string::npos) pattern.replace(pos2, o.month.size(), "{month}");
    const TableSpec spec = sample_table_spec(o.table, pattern, o.header);
    std::ofstream(o.config_out) << embedded_config_yaml(spec);
  }
  std::printf("%s: %llu rows, %llu bytes\n", o.out.c_str(), static_cast<unsigned long long>(r.rows),
              static_cast<unsigned long long>(r.bytes));
  return 0;
}

}  // namespace sluice

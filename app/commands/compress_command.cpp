#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/output.h"
#include "core/text_format.h"
#include "output/findings_output.h"
#include "output/json_text.h"

namespace sluice {
namespace {

// Without a table the structure check informs but never fails: the output is the input either way.
std::string structure_summary(const CompressResult& r) {
  std::string out;
  const std::string file = r.input.string();
  if (r.scan.qc.findings.empty()) {
    if (r.fields == 0) out += fmt::format("{}: {} records\n", file, grouped(r.scan.rows));
    else out += fmt::format("{}: {} records, {} field{} each\n", file, grouped(r.scan.rows), r.fields, r.fields == 1 ? "" : "s");
    return out;
  }
  for (const auto& f : r.scan.qc.findings) {
    std::string where;
    if (!f.examples.empty()) where = fmt::format(", first at {}:{}", file, f.examples.front().line);
    out += fmt::format("{}: note: {} (the first row's count){}\n", file, f.message, where);
  }
  out += fmt::format("{}: {} records; compressed as it is (pass --table for full file QC)\n", file, grouped(r.scan.rows));
  return out;
}

nlohmann::json compress_json(const CompressResult& r) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : r.parts)
    parts.push_back({{"path", p.path.string()}, {"rows", p.rows}, {"first_line", p.first_line},
                     {"raw_bytes", p.raw_bytes}, {"compressed_bytes", p.compressed_bytes}});
  return {{"input", r.input.string()},
          {"table", r.table.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.table)},
          {"qc_passed", r.qc_passed},
          {"exit_code", static_cast<int>(r.exit_code())},
          {"rows", r.scan.rows},
          {"fields", r.fields},
          {"found_range", r.scan.qc.found_range ? nlohmann::json(r.scan.qc.found_range->str()) : nlohmann::json(nullptr)},
          {"input_bytes", r.scan.stream_bytes},
          {"file_bytes", r.scan.file_bytes},
          {"output_bytes", r.output_bytes},
          {"seconds", r.seconds},
          {"parts", parts},
          {"qc_findings", findings_json(r.scan.qc.findings)}};
}

}  // namespace

int run_compress_command(ApplicationContext& ctx, const CompressRequest& request, const OutputOptions& out) {
  const Config* config = request.table.empty() ? nullptr : &ctx.config();
  CompressOperation op(config, ctx.progress(), ctx.cancellation());
  const CompressResult r = op.run(request);
  const std::string input = r.input.string();
  if (out.is_json()) {
    emit(json_text(compress_json(r)) + "\n", out.output);
    return static_cast<int>(r.exit_code());
  }

  if (!r.qc_passed) {
    std::string text = fmt::format("{}: QC failed for table {}; nothing was written\n", input, r.table);
    text += render_findings(input, r.scan.qc.findings);
    emit(text, out.output);
    ctx.log().info("compress {}: QC failed", input);
    return static_cast<int>(r.exit_code());
  }

  std::string text;
  if (r.table.empty()) {
    text += structure_summary(r);
  } else {
    text += fmt::format("{}: QC passed for table {}: {} rows", input, r.table, grouped(r.scan.rows));
    if (r.scan.qc.found_range) text += ", dated " + r.scan.qc.found_range->str();
    text += "\n";
    if (!r.scan.qc.findings.empty()) text += render_findings(input, r.scan.qc.findings);  // warnings
  }
  if (r.parts.size() > 1 || request.split_bytes > 0) {
    for (const auto& p : r.parts)
      text += fmt::format("  {}  {} rows from line {}, {} -> {}\n", p.path.string(), grouped(p.rows), p.first_line,
                          human_bytes(static_cast<double>(p.raw_bytes)),
                          human_bytes(static_cast<double>(p.compressed_bytes)));
  }
  // The input size is the data's; for a .gz input its size on disk is given too.
  const double raw = static_cast<double>(r.scan.stream_bytes);
  std::string in_size = human_bytes(raw);
  if (r.scan.compression != Compression::none)
    in_size += fmt::format(" ({} {} on disk)", human_bytes(static_cast<double>(r.scan.file_bytes)),
                           to_string(r.scan.compression));
  const std::string out_name =
      r.parts.size() == 1 ? r.parts.front().path.string()
                          : fmt::format("{} .. {} ({} files)", r.parts.front().path.string(),
                                        r.parts.back().path.filename().string(), r.parts.size());
  const double ratio = r.output_bytes ? raw / static_cast<double>(r.output_bytes) : 0;
  const double mbps = r.seconds > 0 ? raw / 1e6 / r.seconds : 0;
  text += fmt::format("compressed {} -> {}: {} -> {}, ratio {:.2f}, {:.2f} s, {:.1f} MB/s\n", input, out_name, in_size,
                      human_bytes(static_cast<double>(r.output_bytes)), ratio, r.seconds, mbps);
  emit(text, out.output);
  ctx.log().info("compress {} -> {}: {} bytes -> {} bytes in {:.2f} s", input, out_name, r.scan.stream_bytes,
                 r.output_bytes, r.seconds);
  return static_cast<int>(r.exit_code());
}

}  // namespace sluice

#include "operations/compress_operation.h"

#include <chrono>
#include <system_error>

#include <fmt/format.h>

#include "loaders/input/byte_source.h"
#include "loaders/scan/chunk_scanner.h"
#include "loaders/scan/file_syntax.h"
#include "operations/file_selection.h"
#include "operations/table_qc.h"

namespace sluice {
namespace {

constexpr std::size_t kReadStep = 64u << 10;
constexpr std::size_t kMaxFirstRow = 64u << 20;

// The first row as stored, line end included. It is read through a ByteSource of its own because
// the header and the field count are needed before the pipeline starts; reading a few KB twice
// costs nothing. `quote_aware` follows CSV quoting; without it the row ends at the first newline,
// which is how the pipeline cuts off a header.
std::string read_first_row(const std::filesystem::path& file, const FileSyntax& syntax, bool quote_aware) {
  auto source = open_byte_source(file);
  std::string buf;
  bool in_quotes = false;
  std::size_t scanned = 0;
  while (buf.size() < kMaxFirstRow) {
    const std::size_t old = buf.size();
    buf.resize(old + kReadStep);
    const std::size_t n = source->read(buf.data() + old, kReadStep);
    buf.resize(old + n);
    for (; scanned < buf.size(); ++scanned) {
      const char c = buf[scanned];
      if (quote_aware && c == syntax.quote) {
        in_quotes = !in_quotes;
      } else if (c == '\n' && !in_quotes) {
        buf.resize(scanned + 1);
        return buf;
      }
    }
    if (n == 0) break;
  }
  return buf;
}

// Structure only: every row must have as many fields as the first. Nothing is required, no date.
QcSettings structure_qc_settings(int fields) {
  QcSettings s;
  for (int i = 1; i <= fields; ++i) s.column_names.push_back(fmt::format("field{}", i));
  s.required.assign(static_cast<std::size_t>(fields), false);
  s.check_dates = false;
  return s;
}

std::string strip_suffix(std::string s, std::string_view suffix) {
  if (s.size() > suffix.size() && s.ends_with(suffix)) s.resize(s.size() - suffix.size());
  return s;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

}  // namespace

std::filesystem::path default_compress_output(const std::filesystem::path& input) {
  std::string s = input.string();
  for (std::string_view ext : {".gz", ".zst"}) {
    if (s.size() > ext.size() && s.ends_with(ext)) {
      s.resize(s.size() - ext.size());
      break;
    }
  }
  return s + ".zst";
}

CompressOperation::CompressOperation(const Config* config, ProgressSink& progress, const Cancellation& cancel)
    : config_(config), progress_(progress), cancel_(cancel) {}

CompressResult CompressOperation::run(const CompressRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  if (req.level < 1 || req.level > 19)
    throw usage_error(fmt::format("compression level {} is out of range", req.level), "", "Use a level from 1 to 19.");
  require_regular_file(req.input);
  std::error_code ec;

  const std::filesystem::path output = req.output.empty() ? default_compress_output(req.input) : req.output;
  const bool split = req.split_bytes > 0;
  ZstWriterOptions wo;
  wo.layout = split ? ZstLayout::rolling_parts : ZstLayout::single_file;
  if (split) wo.part_bytes = req.split_bytes;
  wo.overwrite = req.force;
  wo.level = req.level;
  const std::filesystem::path target = split ? std::filesystem::path(strip_suffix(output.string(), ".zst")) : output;
  const std::filesystem::path first_out = split ? std::filesystem::path(target.string() + "_000.zst") : target;
  if (same_file(first_out, req.input))
    throw usage_error(fmt::format("the output {} is the input file", first_out.string()), "",
                      "Name another output with -o.");
  if (!req.force && std::filesystem::exists(first_out, ec))
    throw usage_error(fmt::format("{} already exists", first_out.string()), "",
                      "Pass --force to replace it, or name another output with -o.");

  CompressResult r;
  r.input = req.input;
  const std::string name = req.input.filename().string();
  FileSyntax syntax;
  QcSettings qc;
  std::string header;
  if (!req.table.empty()) {
    if (!config_)
      throw usage_error("--table needs a config", "", "Pass --config FILE, or set SLUICE_CONFIG.");
    const SelectedFile file = select_files(*config_, {req.input.string()}, req.table).front();
    r.table = file.table->table;
    syntax = FileSyntax::for_table(*file.table, name);
    qc = table_qc_settings(*file.table, file.expected_range);
    if (syntax.header) header = read_first_row(req.input, syntax, false);
  } else {
    TableSpec any;
    any.format = FileFormat::auto_detect;
    syntax = FileSyntax::for_table(any, name);  // .csv in the name: CSV, else TSV; no header
    if (syntax.quoted || req.check_fields) {
      // CSV rows can only be found by walking the fields, so the field count comes for free there.
      std::string first = read_first_row(req.input, syntax, syntax.quoted);
      if (!first.empty() && first.back() == '\n') first.pop_back();
      r.fields = first.empty() ? 1 : static_cast<int>(split_row(first.data(), first.size(), syntax).size());
      qc = structure_qc_settings(r.fields);
    } else {
      // A delimiter that cannot occur inside a row turns the scan into one memchr per line: rows
      // are counted and nothing else. The field walk would cost about a fifth of level-1
      // compression's CPU, which is the difference between matching `zstd -T` and not.
      syntax.delimiter = '\n';
      qc = structure_qc_settings(1);
    }
  }

  RollingZstWriter writer(target, wo);
  // Parts leave the header out so that every part of a split file is alike.
  r.header_written = !header.empty() && !split;
  if (r.header_written) writer.add_raw(header.data(), header.size(), 0, 1);

  PipelineOptions po;
  po.chunk_bytes = req.chunk_bytes;
  po.workers = req.workers;
  po.zstd_level = req.level;
  po.phase = r.table.empty() ? "compress" : "QC+compress";
  r.scan = run_pipeline(req.input, syntax, std::move(qc), po, &writer, progress_, cancel_);

  r.qc_passed = r.table.empty() || r.scan.qc.passed();
  if (!r.qc_passed) {
    writer.abort();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return r;
  }
  // The output must hold every byte of the input: a cheap guard against a chunk that was lost or
  // a header handled twice, checked before anything gets its final name.
  const std::uint64_t expected = r.scan.stream_bytes - (split ? header.size() : 0);
  if (writer.raw_bytes() != expected) {
    writer.abort();
    throw runtime_error(fmt::format("the .zst output of {} does not match the input", req.input.string()),
                        fmt::format("{} bytes read, {} bytes written; the output was removed", expected,
                                    writer.raw_bytes()),
                        "This is a bug in sluice; please report it with the log.");
  }
  r.parts = writer.finish();
  for (const auto& part : r.parts) r.output_bytes += part.compressed_bytes;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace sluice

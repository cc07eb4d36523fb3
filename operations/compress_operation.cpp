#include "operations/compress_operation.h"

#include <chrono>
#include <system_error>

#include <fmt/format.h>

#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"
#include "loaders/scan/chunk_scanner.h"
#include "loaders/scan/file_syntax.h"
#include "operations/file_selection.h"
#include "operations/table_qc.h"

namespace sluice {
namespace {

constexpr std::size_t kReadStep = 64u << 10;

// What comes before the data (a byte order mark, the blank lines before a header and the header
// row, as stored), and the first data row's text, read as the pipeline reads them (the Splitter,
// data_start and row_length: the row walker's rules). They are needed before the pipeline starts;
// they are read through a ByteSource of their own, and reading a few KB twice costs nothing.
struct FirstRows {
  std::string header;
  std::string first_row;
};

FirstRows read_first_rows(const std::filesystem::path& file, const FileSyntax& syntax) {
  auto source = open_byte_source(file);
  Splitter splitter(*source, syntax, kReadStep);
  Chunk chunk;
  FirstRows r;
  for (bool first_chunk = true; splitter.next(chunk); first_chunk = false) {
    const char* p = chunk.data.data();
    const char* const end = p + chunk.size;
    if (first_chunk) {
      const char* data = p + data_start(p, chunk.size, syntax).skip;
      r.header.assign(p, data);
      p = data;
    }
    if (p == end) continue;  // the first chunk held only the header
    std::size_t length = row_length(p, static_cast<std::size_t>(end - p), syntax);
    if (length == 0) length = static_cast<std::size_t>(end - p);
    while (length > 0 && is_line_end_byte(p[length - 1])) --length;
    r.first_row.assign(p, length);
    break;
  }
  return r;
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
    syntax = FileSyntax::for_feed(file.table->feed, name);
    qc = table_qc_settings(*file.table, file.expected_range);
    if (syntax.header) header = read_first_rows(req.input, syntax).header;
  } else {
    FeedSpec any;
    any.format = FileFormat::auto_detect;
    syntax = FileSyntax::for_feed(any, name);  // .csv in the name: CSV, else TSV; no header
    if (syntax.quoted || req.check_fields) {
      // CSV rows can only be found by walking the fields, so the field count comes for free there.
      const std::string first = read_first_rows(req.input, syntax).first_row;
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

  // Without a header row the bytes before the data are at most a byte order mark: the scan skips
  // it, and the output must still hold it.
  if (!syntax.header) header = read_first_rows(req.input, syntax).header;
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

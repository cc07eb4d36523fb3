// Fuzzes the Splitter and scan_chunk together, single-threaded and in memory-backed files so it
// runs thousands of inputs a second. The invariant is the one the engine's line numbers and COPY
// stream rest on: a file scanned as one chunk and the same file cut by the Splitter into small
// chunks, scanned in order the way the pipeline scans them (a leading BOM dropped, one reused
// result per slot, latin-1 transcoded per chunk, QC merged at each chunk's first line), agree on every row, every field,
// every finding and every COPY byte. On top of that, the Splitter's chunks must be the input cut
// after line ends (LF, CR LF, a lone CR) that end rows with text, in order, without a byte lost or
// repeated.
//
// The engine's other steps (header row, threads, compressed input) are fuzzed by fuzz_pipeline.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"
#include "loaders/scan/chunk_scanner.h"
#include "tests/fuzz/fuzz_case.h"
#include "validators/file_qc/utf8.h"

namespace sluice::fuzz {
namespace {

// The plain-file reader, handing out at most `max_read` bytes a call: the gzip and zstd decoders
// return short reads, and the Splitter must cut the same rows whatever the read sizes are.
class ShortReadSource final : public ByteSource {
 public:
  ShortReadSource(const std::string& path, std::size_t max_read)
      : ByteSource(path, Compression::none), max_read_(max_read) {}
  std::size_t read(char* out, std::size_t size) override {
    return read_file(out, max_read_ ? std::min(size, max_read_) : size);
  }

 private:
  std::size_t max_read_;
};

// What a scan of the file says, as comparable text.
struct Outcome {
  std::uint64_t rows = 0;
  std::uint64_t rejected_rows = 0;
  std::uint64_t lines = 0;
  bool rows_span_lines = false;
  std::string copy;
  std::string rejects;
  std::size_t rejects_kept = 0;
  std::string row_log;
  std::string qc;
  std::vector<std::vector<std::optional<std::string>>> staged_rows;  // RowLog::staged_rows
};

// Latin-1 files are transcoded chunk by chunk, as the pipeline's workers do.
std::string_view as_scanned(const char* data, std::size_t size, bool latin1, std::vector<char>& transcoded) {
  if (!latin1) return {data, size};
  if (transcoded.size() < 2 * size) transcoded.resize(2 * size);
  return {transcoded.data(), latin1_to_utf8(data, size, transcoded.data())};
}

ScanConfig scan_config(const FuzzCase& c) {
  ScanConfig config;
  config.syntax = c.syntax;
  config.qc = &c.qc;
  config.encode_copy = true;
  config.copy_format = c.copy_format;
  config.skip_bad_rows = c.skip_bad_rows;
  config.max_rejects_kept = c.max_rejects_kept;
  return config;
}

// Adds one scanned chunk whose first line is `first_line` (1-based) and whose first row is
// `first_row` (0-based) to `out`, merging its QC into `qc`.
void add_chunk(std::string_view scanned, ChunkScanResult& result, RowLog& log, const FuzzCase& c,
               std::uint64_t first_line, std::uint64_t first_row, FileQc& qc, Outcome& out) {
  if (result.copy_is_input) out.copy.append(scanned);
  else out.copy.append(result.copy.data(), result.copy_size);
  for (const auto& r : result.rejects) {
    // Each chunk keeps its first max_rejects_kept; the file's first ones are the first of those.
    if (out.rejects_kept == c.max_rejects_kept) break;
    out.rejects += describe(r, first_line, first_row);
    ++out.rejects_kept;
  }
  log.drain(first_line, out.row_log);
  out.rows += result.rows;
  out.rejected_rows += result.rejected_rows;
  out.lines += result.lines;
  out.rows_span_lines |= result.rows_span_lines;
  qc.merge(std::move(result.qc), first_line);
}

Outcome scan_whole(const FuzzCase& c) {
  std::vector<char> transcoded;
  const std::size_t bom = utf8_bom_length(c.content.data(), c.content.size());
  const std::string_view data =
      as_scanned(c.content.data() + bom, c.content.size() - bom, c.syntax.latin1, transcoded);
  ChunkScanResult result;
  RowLog log;
  result.observer = &log;
  scan_chunk(data.data(), data.size(), scan_config(c), result);
  FileQc qc(c.qc);
  Outcome out;
  add_chunk(data, result, log, c, 1, 0, qc, out);
  out.qc = describe(qc.finish(out.rows));
  out.staged_rows = std::move(log.staged_rows);
  return out;
}

// Reads Snowflake's staged CSV (CopyFormat::snowflake_csv) by the documented rules its FILE_FORMAT
// selects (SnowflakeTarget::file_format; the emulator's parse_records is the reference, with the
// documentation quoted): records end at a newline outside quotes, fields at a tab; a field that
// starts with a quote is the text up to the next lone quote, "" standing for one, and a tab, a
// newline or the end must follow it; any other field is its bytes, NULL when empty. What sluice
// must never write is an error here: a quote or carriage return in an unenclosed field, a byte
// order mark starting one that starts a record, a blank line. A one-column table's records carry
// a second, empty field. Returns "" and fills `rows`, or what is wrong.
std::string read_staged_csv(std::string_view text, int columns,
                            std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    std::vector<std::optional<std::string>> record;
    for (bool more = true; more;) {
      std::string value;
      bool enclosed = false;
      if (text[i] == '"') {
        enclosed = true;
        for (++i;; ++i) {
          if (i >= n) return "a quoted value is never closed";
          if (text[i] == '"' && i + 1 < n && text[i + 1] == '"') {
            value += '"';
            ++i;
          } else if (text[i] == '"') {
            ++i;
            break;
          } else {
            value += text[i];
          }
        }
        if (i < n && text[i] != '\t' && text[i] != '\n')
          return "a character after a closing quote: " + std::string(1, text[i]);
      } else {
        const std::size_t end = text.find_first_of("\t\n", i);
        value = text.substr(i, (end == std::string_view::npos ? n : end) - i);
        i = end == std::string_view::npos ? n : end;
        if (value.find_first_of("\"\r") != std::string::npos) return "an unenclosed quote or CR: " + value;
        if (record.empty() && value.starts_with("\xEF\xBB\xBF")) return "an unenclosed byte order mark first";
      }
      record.push_back(enclosed || !value.empty() ? std::optional<std::string>(std::move(value)) : std::nullopt);
      more = i < n && text[i] == '\t';
      if (i < n) ++i;  // the tab or the newline
    }
    if (record.size() == 1 && !record[0]) return "a blank line";
    if (columns == 1) {
      if (record.size() != 2 || record[1]) return "a one-column record without its second, empty field";
      record.pop_back();
    }
    rows.push_back(std::move(record));
  }
  return "";
}

std::string render_rows(const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::string out;
  for (const auto& r : rows) {
    for (const auto& v : r) out += v ? "'" + *v + "' " : std::string("NULL ");
    out += '\n';
  }
  return out;
}

Outcome scan_split(const FuzzCase& c, const std::string& path) {
  ShortReadSource source(path, c.max_read);
  Splitter splitter(source, c.syntax, c.chunk_bytes);
  const ScanConfig config = scan_config(c);
  Chunk chunk;
  ChunkScanResult result;  // reused across chunks, as a pipeline slot's is
  RowLog log;
  result.observer = &log;
  std::vector<char> transcoded;
  FileQc qc(c.qc);
  Outcome out;
  std::uint64_t offset = 0;
  std::uint64_t index = 0;
  bool saw_last = false;
  while (splitter.next(chunk)) {
    require(!saw_last, "the Splitter returned a chunk after one marked last", c);
    saw_last = chunk.last;
    require_equal("chunk index", index++, chunk.index, c);
    require_equal("chunk stream_offset", offset, chunk.stream_offset, c);
    require(chunk.size > 0, "the Splitter returned an empty chunk", c);
    require(chunk.size <= c.content.size() - offset, "the Splitter returned more bytes than the file has", c);
    require(std::memcmp(chunk.data.data(), c.content.data() + offset, chunk.size) == 0,
            "a chunk's bytes are not the file's bytes at its stream_offset", c);
    offset += chunk.size;
    // A cut anywhere but after a line end would leave half a row on each side, and one after a CR
    // that an LF follows would split a CR LF. Blank lines at a chunk's end go with the next chunk:
    // the scanner drops those at the end of what it scans, which must be the end of the file.
    if (offset < c.content.size()) {
      const char* const begin = chunk.data.data();
      const char* text_end = begin + chunk.size - 1;
      require(is_line_end_byte(*text_end), "a chunk other than the last does not end with a line end", c);
      require(*text_end == '\n' || c.content[offset] != '\n', "a chunk ends between the CR and the LF of a CR LF", c);
      if (*text_end == '\n')
        while (text_end > begin && text_end[-1] == '\r') --text_end;  // CR LF, CR CR LF
      require(text_end > begin && !is_line_end_byte(text_end[-1]), "a chunk other than the last ends with a blank line", c);
    }

    // As the engine does: a BOM is not data, and the Splitter reads the first row from after it.
    const std::size_t bom = chunk.index == 0 ? utf8_bom_length(chunk.data.data(), chunk.size) : 0;
    const std::string_view data =
        as_scanned(chunk.data.data() + bom, chunk.size - bom, c.syntax.latin1, transcoded);
    scan_chunk(data.data(), data.size(), config, result);
    add_chunk(data, result, log, c, 1 + out.lines, out.rows, qc, out);
  }
  require_equal("bytes the Splitter returned", c.content.size(), offset, c);
  require_equal("Splitter::bytes_out", c.content.size(), splitter.bytes_out(), c);
  out.qc = describe(qc.finish(out.rows));
  return out;
}

void check(const FuzzCase& c, const std::string& path) {
  const Outcome whole = scan_whole(c);
  const Outcome split = scan_split(c, path);
  require_equal("rows", whole.rows, split.rows, c);
  require_equal("rejected rows", whole.rejected_rows, split.rejected_rows, c);
  require_equal("lines", whole.lines, split.lines, c);
  require_equal("rows_span_lines", whole.rows_span_lines, split.rows_span_lines, c);
  require_equal("rows and fields seen (one chunk vs split)", whole.row_log, split.row_log, c);
  require_equal("QC reports (one chunk vs split)", whole.qc, split.qc, c);
  require_equal("COPY streams (one chunk vs split)", whole.copy, split.copy, c);
  require_equal("rejected rows kept (one chunk vs split)", whole.rejects, split.rejects, c);
  // Snowflake's staged CSV, read by the documented rules, holds exactly the values the scan saw
  // (an escaped TSV's values are seen still escaped, so not for it).
  if (c.copy_format == CopyFormat::snowflake_csv && !c.syntax.backslash_escapes) {
    std::vector<std::vector<std::optional<std::string>>> staged;
    const std::string error = read_staged_csv(whole.copy, c.qc.expected_fields(), staged);
    require(error.empty(), "the staged CSV does not read by the documented rules: " + error, c);
    require_equal("values staged (read back) vs values scanned", render_rows(whole.staged_rows), render_rows(staged), c);
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sluice::fuzz::MemoryFile file;
  const sluice::fuzz::FuzzCase c = sluice::fuzz::decode_case(data, size);
  file.assign(c.content);
  sluice::fuzz::check(c, file.path());
  return 0;
}

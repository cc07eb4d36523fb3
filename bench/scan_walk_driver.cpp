// Driver for bench/csv_walk.sh: the Splitter and the chunk scanner alone, single-threaded, on a file
// held in memory, so what is measured is the walk over the bytes and nothing else (no reads, no
// threads, no zstd). Built the same way on any commit that has these interfaces, so a binary of
// main and one of a branch can be compared on the same file; the digest it prints lets the two be
// checked for the same rows, findings and COPY bytes.
//
//   scan_walk_driver CONFIG TABLE FILE split             the Splitter's cuts (16 MiB chunks)
//   scan_walk_driver CONFIG TABLE FILE scan [OPTIONS]    scan_chunk over those chunks
//     --qc full|none             the table's full file QC (default) or structure only
//     --encode none|postgres|snowflake   also write COPY text or Snowflake's staged CSV
//     --runs N                   best of N (default 3)
#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/config.h"
#include "core/error.h"
#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"
#include "loaders/scan/chunk_scanner.h"
#include "operations/table_qc.h"

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;

// The file's bytes from memory: the Splitter's own work without the read() calls.
class MemorySource final : public ByteSource {
 public:
  MemorySource(const std::string& path, const std::string& data)
      : ByteSource(path, Compression::none), data_(data) {}
  std::size_t read(char* out, std::size_t size) override {
    const std::size_t n = std::min(size, data_.size() - at_);
    std::memcpy(out, data_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  const std::string& data_;
  std::size_t at_ = 0;
};

struct Cut {
  std::size_t offset, size;
};

std::vector<Cut> split(const std::string& path, const std::string& data, const FileSyntax& syntax) {
  MemorySource source(path, data);
  Splitter splitter(source, syntax, 16u << 20);
  Chunk chunk;
  std::vector<Cut> cuts;
  while (splitter.next(chunk)) cuts.push_back({static_cast<std::size_t>(chunk.stream_offset), chunk.size});
  return cuts;
}

int usage() {
  std::fprintf(stderr, "usage: scan_walk_driver CONFIG TABLE FILE split|scan [--qc full|none] "
                       "[--encode none|postgres|snowflake] [--runs N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 5) return usage();
  const std::string config_path = argv[1], table_name = argv[2], path = argv[3], mode = argv[4];
  std::string qc_mode = "full", encode = "none";
  int runs = 3;
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--qc") qc_mode = v;
    else if (k == "--encode") encode = v;
    else if (k == "--runs") runs = std::stoi(v);
    else return usage();
  }
  const Config config = load_config(config_path);
  const TableSpec* table = nullptr;
  for (const auto& t : config.tables)
    if (t.table == table_name) table = &t;
  if (!table) throw usage_error("no table " + table_name, "", "");
  const FileSyntax syntax = FileSyntax::for_feed(table->feed, path);
  const QcSettings qc = table_qc_settings(*table, std::nullopt, qc_mode == "full");

  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  const double mb = static_cast<double>(data.size()) / 1e6;

  double best = 1e99;
  XXH64_hash_t digest = 0;
  std::uint64_t rows = 0, errors = 0, warnings = 0, copy_bytes = 0;
  std::vector<Cut> cuts = split(path, data, syntax);
  for (int run = 0; run < runs; ++run) {
    const auto t0 = Clock::now();
    if (mode == "split") {
      cuts = split(path, data, syntax);
      digest = XXH64(cuts.data(), cuts.size() * sizeof(Cut), 0);
    } else if (mode == "scan") {
      ScanConfig sc;
      sc.syntax = syntax;
      sc.qc = &qc;
      sc.encode_copy = encode != "none";
      sc.copy_format = encode == "snowflake" ? CopyFormat::snowflake_csv : CopyFormat::postgres_text;
      ChunkScanResult res;
      XXH64_state_t* h = XXH64_createState();
      XXH64_reset(h, 0);
      rows = errors = warnings = copy_bytes = 0;
      for (std::size_t c = 0; c < cuts.size(); ++c) {
        const char* p = data.data() + cuts[c].offset;
        std::size_t n = cuts[c].size;
        if (c == 0) {  // as the pipeline does: a byte order mark, then the header
          std::size_t skip = utf8_bom_length(p, n);
          if (syntax.header) skip += header_span(p + skip, n - skip, syntax).skip;
          p += skip;
          n -= skip;
        }
        scan_chunk(p, n, sc, res);
        rows += res.rows;
        errors += res.qc.error_count();
        warnings += res.qc.list(Check::stray_quote).count();
        const char* copy = res.copy_is_input ? p : res.copy.data();
        const std::size_t copy_size = res.copy_is_input ? n : res.copy_size;
        copy_bytes += copy_size;
        XXH64_update(h, copy, copy_size);
        XXH64_update(h, &res.rows, sizeof res.rows);
        XXH64_update(h, &res.lines, sizeof res.lines);
      }
      digest = XXH64_digest(h);
      XXH64_freeState(h);
    } else {
      return usage();
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::printf("%s %s qc=%s encode=%s: %.1f MB, %zu chunks, %llu rows, %llu errors, %llu stray quotes, "
              "%llu COPY bytes, digest %016llx; best of %d %.3f s = %.0f MB/s\n",
              path.c_str(), mode.c_str(), qc_mode.c_str(), encode.c_str(), mb, cuts.size(),
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(warnings), static_cast<unsigned long long>(copy_bytes),
              static_cast<unsigned long long>(digest), runs, best, mb / best);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scan_walk_driver: %s\n", e.what());
  return 1;
}

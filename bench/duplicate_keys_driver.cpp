// Driver for bench/duplicate_keys_bench.sh: the duplicate-key check over one file as a load runs it
// (pipeline workers hash each row's key, the sink feeds DuplicateKeyIndex, then candidates() and the
// confirmation pass), with each stage timed. Peak RSS is measured outside, by /usr/bin/time -v.
//
//   duplicate_keys_driver scan FILE [--key 1,2] [--budget-mib 512] [--csv] [--header] [--spill DIR]
//                              [--baseline]      (the same pipeline without the key hashing)
//                              [--null-observer] (baseline plus a do-nothing FieldObserver: what the
//                                                 observer mechanism costs, which the scanner's own
//                                                 call to RowKeyHasher will not)
//   duplicate_keys_driver synth --rows N [--budget-mib 512] [--dup-every K] [--spill DIR]
//       no file: hash_key + add() + candidates() alone on N generated keys (CPU time, this thread)
//   duplicate_keys_driver narrow OUT --rows N [--dup-every K]
//       writes a 4-column TSV of ~95-byte rows with N distinct keys, plus one repeat of an earlier
//       key every K rows, and prints the exact answer the scan must give.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/cancellation.h"
#include "core/error.h"
#include "core/progress.h"
#include "loaders/pipeline.h"
#include "loaders/scan/duplicate_confirm.h"

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread: the machine is shared, and wall time around add() would count the
// time the sink thread spent preempted by the scan workers.
double thread_cpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of the whole process, for the stages that use every core (candidates() sorts in parallel).
double process_cpu() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class NullObserver final : public FieldObserver {
 public:
  void field(int, const char*, std::size_t, bool, std::uint64_t) override {}
  void row_end(bool) override {}
};

class IndexSink final : public ChunkSink {
 public:
  explicit IndexSink(DuplicateKeyIndex* index) : index_(index) {}
  void consume(const ScannedChunk& c) override {
    if (!index_) return;
    auto* o = static_cast<DuplicateKeyObserver*>(c.observer);
    const double t = thread_cpu();
    index_->add(o->entries().data(), o->entries().size(), c.first_line);
    add_seconds += thread_cpu() - t;
    o->clear();
  }
  double add_seconds = 0;

 private:
  DuplicateKeyIndex* index_;
};

int count_fields(const std::filesystem::path& file, const FileSyntax& syntax) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  return static_cast<int>(split_row(first.data(), first.size(), syntax).size());
}

int scan(int argc, char** argv) {
  const std::filesystem::path file = argv[2];
  std::vector<int> key{1, 2};
  std::size_t budget = DuplicateKeyIndex::kDefaultBudget;
  std::filesystem::path spill = std::filesystem::temp_directory_path();
  FileSyntax syntax;
  bool baseline = false, null_observer = false;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--key" && i + 1 < argc) {
      key.clear();
      for (const char* p = argv[++i]; *p;) {
        key.push_back(std::atoi(p) - 1);  // 1-based on the command line, like cut -f
        while (*p && *p != ',') ++p;
        if (*p) ++p;
      }
    } else if (a == "--budget-mib" && i + 1 < argc) {
      budget = std::stoull(argv[++i]) << 20;
    } else if (a == "--spill" && i + 1 < argc) {
      spill = argv[++i];
    } else if (a == "--csv") {
      syntax.quoted = true;
      syntax.delimiter = ',';
    } else if (a == "--header") {
      syntax.header = true;
    } else if (a == "--baseline") {
      baseline = true;
    } else if (a == "--null-observer") {
      baseline = null_observer = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  QcSettings qc;
  const int columns = count_fields(file, syntax);
  for (int i = 0; i < columns; ++i) qc.column_names.push_back(fmt::format("C{}", i));
  qc.required.assign(static_cast<std::size_t>(columns), false);
  PipelineOptions po;
  if (!baseline) po.make_observer = [&] { return std::make_unique<DuplicateKeyObserver>(key); };
  if (null_observer) po.make_observer = [] { return std::make_unique<NullObserver>(); };
  std::optional<DuplicateKeyIndex> index;
  if (!baseline) index.emplace(spill, budget);
  IndexSink sink(index ? &*index : nullptr);
  NullProgress progress;
  Cancellation cancel;

  auto t = Clock::now();
  const PipelineResult r = run_pipeline(file, syntax, qc, po, &sink, progress, cancel);
  const double scan_s = since(t);
  const double mb = static_cast<double>(r.stream_bytes) / 1e6;
  fmt::print("rows {}  bytes {}  scan {:.2f} s ({:.0f} MB/s){}\n", r.rows, r.stream_bytes, scan_s, mb / scan_s,
             null_observer ? "  [baseline: a do-nothing observer, no key hashing]"
             : baseline    ? "  [baseline: no key hashing]"
                           : "");
  if (baseline) return 0;
  fmt::print("add() {:.2f} s CPU on the sink thread: {:.1f} M rows/s, {:.0f} MB/s of file\n", sink.add_seconds,
             static_cast<double>(r.rows) / sink.add_seconds / 1e6, mb / sink.add_seconds);

  t = Clock::now();
  double cpu = process_cpu();
  CandidateSet candidates = index->candidates();
  const double cand_s = since(t);
  fmt::print("candidates() {:.2f} s ({:.2f} s CPU): {} hash groups, {} rows; spilled {:.1f} MB\n", cand_s,
             process_cpu() - cpu, candidates.groups(), candidates.rows(),
             static_cast<double>(index->spilled_bytes()) / 1e6);
  index.reset();

  t = Clock::now();
  cpu = process_cpu();
  ConfirmOptions co;
  co.spill_dir = spill;
  co.memory_budget = budget;
  const DuplicateReport rep = confirm_duplicates(file, syntax, key, candidates, 3, co);
  const double confirm_s = since(t);
  fmt::print("confirm {:.2f} s ({:.2f} s CPU){}: {} duplicate keys, {} excess rows, {} candidate rows\n", confirm_s,
             process_cpu() - cpu, candidates.empty() ? " (no second pass)" : "", rep.duplicate_keys,
             rep.excess_rows, rep.candidate_rows);
  for (const auto& e : rep.top) {
    std::string lines;
    for (auto l : e.lines) lines += fmt::format(" {}", l);
    fmt::print("  {} x{} lines{}\n", e.key, e.count, lines);
  }
  fmt::print("total {:.2f} s\n", scan_s + cand_s + confirm_s);
  return 0;
}

// The key of row i in the generated files: a day of January 2024 and a 12-digit asset id.
int format_key(std::uint64_t k, char* day, char* asset) {
  std::snprintf(day, 16, "202401%02llu", static_cast<unsigned long long>(1 + k % 31));
  return std::snprintf(asset, 32, "%llu", static_cast<unsigned long long>(100000000000ull + k));
}

int synth(int argc, char** argv) {
  std::uint64_t rows = 0, dup_every = 0;
  std::size_t budget = DuplicateKeyIndex::kDefaultBudget;
  std::filesystem::path spill = std::filesystem::temp_directory_path();
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rows") rows = std::stoull(argv[i + 1]);
    else if (a == "--dup-every") dup_every = std::stoull(argv[i + 1]);
    else if (a == "--budget-mib") budget = std::stoull(argv[i + 1]) << 20;
    else if (a == "--spill") spill = argv[i + 1];
  }
  DuplicateKeyIndex index(spill, budget);
  std::vector<KeyHash> chunk;
  double hash_s = 0, add_s = 0;
  const std::uint64_t chunk_rows = 50000;  // about one 16 MiB chunk of the real files
  std::vector<char> keys(chunk_rows * 32);  // formatted outside the timed loops
  std::vector<std::size_t> asset_size(chunk_rows);
  const bool nulls[2] = {false, false};
  for (std::uint64_t first = 0; first < rows; first += chunk_rows) {
    const std::uint64_t n = std::min(chunk_rows, rows - first);
    for (std::uint64_t r = 0; r < n; ++r) {
      const std::uint64_t i = first + r;
      const bool dup = dup_every && i % dup_every == dup_every - 1 && i >= 1000;
      asset_size[r] = static_cast<std::size_t>(format_key(dup ? i - 1000 : i, &keys[r * 32], &keys[r * 32 + 16]));
    }
    chunk.clear();
    double t = thread_cpu();
    for (std::uint64_t r = 0; r < n; ++r) {
      const char* fields[2] = {&keys[r * 32], &keys[r * 32 + 16]};
      const std::size_t sizes[2] = {8, asset_size[r]};
      chunk.push_back({hash_key(fields, sizes, nulls, 2), r});
    }
    hash_s += thread_cpu() - t;
    t = thread_cpu();
    index.add(chunk.data(), chunk.size(), first + 1);
    add_s += thread_cpu() - t;
  }
  const double t = process_cpu();
  const auto w = Clock::now();
  CandidateSet c = index.candidates();
  const double cand_cpu = process_cpu() - t, cand_wall = since(w);
  fmt::print("synth rows {}  hash_key {:.2f} s CPU ({:.0f} ns/row)  add() {:.2f} s CPU ({:.1f} ns/row, {:.0f} M rows/s)\n",
             rows, hash_s, hash_s / static_cast<double>(rows) * 1e9, add_s, add_s / static_cast<double>(rows) * 1e9,
             static_cast<double>(rows) / add_s / 1e6);
  fmt::print("candidates() {:.2f} s CPU, {:.2f} s wall: {} hash groups, {} rows; spilled {:.1f} MB\n", cand_cpu,
             cand_wall, c.groups(), c.rows(), static_cast<double>(index.spilled_bytes()) / 1e6);
  return 0;
}

int narrow(int argc, char** argv) {
  const std::filesystem::path out = argv[2];
  std::uint64_t rows = 0, dup_every = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rows") rows = std::stoull(argv[i + 1]);
    else if (a == "--dup-every") dup_every = std::stoull(argv[i + 1]);
  }
  std::FILE* f = std::fopen(out.c_str(), "w");
  if (!f) return 1;
  std::vector<char> buf(8u << 20);
  std::setvbuf(f, buf.data(), _IOFBF, buf.size());
  const char* pad = "facility=term;segment=sme;region=emea-w;source=acbs;flag=ok";
  std::uint64_t distinct = 0, dups = 0;
  char line[256], day[16], asset[32];
  for (std::uint64_t i = 0; i < rows; ++i) {
    // Every dup_every-th row repeats the key of a row 1000 back, itself never repeated before.
    const bool dup = dup_every && i % dup_every == dup_every - 1 && i >= 1000;
    dup ? ++dups : ++distinct;
    format_key(dup ? i - 1000 : i, day, asset);
    const int n = std::snprintf(line, sizeof line, "%llu\t%s\t%s\t%s\n", static_cast<unsigned long long>(i), day,
                                asset, pad);
    std::fwrite(line, 1, static_cast<std::size_t>(n), f);
  }
  if (std::fclose(f) != 0) return 1;
  fmt::print("wrote {} rows: {} distinct keys, {} duplicate keys, {} excess rows\n", rows, distinct, dups, dups);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s scan FILE [options] | synth --rows N [options] | narrow OUT --rows N [--dup-every K]\n", argv[0]);
    return 2;
  }
  try {
    const std::string mode = argv[1];
    if (mode == "scan") return scan(argc, argv);
    if (mode == "narrow") return narrow(argc, argv);
    if (mode == "synth") return synth(argc, argv);
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "%s\n", e.report().c_str());
    return 1;
  }
}

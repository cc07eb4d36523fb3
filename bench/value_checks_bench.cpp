// Throughput of the per-value type checks and the UTF-8 scan that file QC runs on every field.
// Values are realistic for the lending fact table (bench/README.md); results are per value
// (ns/value = 1e9 / items_per_second) and bytes/s for the UTF-8 scan.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/column_type.h"
#include "validators/file_qc/utf8.h"
#include "validators/file_qc/value_checks.h"

namespace sluice {
namespace {

constexpr std::size_t kValues = 4096;  // a power of two, small enough to stay in L1/L2

std::vector<std::string> make_values(int kind) {
  std::mt19937_64 rng(42);
  std::vector<std::string> out;
  out.reserve(kValues);
  static const char* const kNames[] = {"Acme Lending LLC", "Jose Ramirez", "North Bank",
                                       "Smith & Sons Holdings", "ACCT-000123", "Q", "Residential mortgage"};
  for (std::size_t i = 0; i < kValues; ++i) {
    switch (kind) {
      case 0: out.push_back(fmt::format("{}", static_cast<std::int64_t>(rng() % 20'000'000) - 1'000'000)); break;
      case 1: out.push_back(fmt::format("{}.{:02}", rng() % 10'000'000, rng() % 100)); break;
      case 2: out.push_back(fmt::format("{:04}-{:02}-{:02}", 2000 + rng() % 25, 1 + rng() % 12, 1 + rng() % 28)); break;
      case 3: out.push_back(kNames[rng() % 7]); break;
      case 4:
        out.push_back(fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", 2000 + rng() % 25, 1 + rng() % 12,
                                  1 + rng() % 28, rng() % 24, rng() % 60, rng() % 60, rng() % 1000));
        break;
      case 5: out.push_back(fmt::format("{:.6g}", static_cast<double>(rng() % 1'000'000) / 1000.0)); break;
    }
  }
  return out;
}

void run(benchmark::State& state, const char* type, int kind) {
  const ValueChecker checker(*parse_column_type(type));
  const auto values = make_values(kind);
  std::size_t i = 0, bad = 0;
  for (auto _ : state) {
    const std::string& v = values[i++ & (kValues - 1)];
    bad += checker.check(v.data(), v.size()) != ValueError::none;
  }
  if (bad) state.SkipWithError("a realistic value failed its check");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_CheckInteger(benchmark::State& s) { run(s, "integer", 0); }
void BM_CheckNumeric20_2(benchmark::State& s) { run(s, "numeric(20,2)", 1); }
void BM_CheckDate(benchmark::State& s) { run(s, "date", 2); }
void BM_CheckVarchar40(benchmark::State& s) { run(s, "varchar(40)", 3); }
void BM_CheckTimestamp(benchmark::State& s) { run(s, "timestamp", 4); }
void BM_CheckDouble(benchmark::State& s) { run(s, "double", 5); }
BENCHMARK(BM_CheckInteger);
BENCHMARK(BM_CheckNumeric20_2);
BENCHMARK(BM_CheckDate);
BENCHMARK(BM_CheckVarchar40);
BENCHMARK(BM_CheckTimestamp);
BENCHMARK(BM_CheckDouble);

// A 1 MiB buffer of TSV-like text: pure ASCII, or with a two-byte character about every 40 bytes
// (accented names) and a three-byte one (euro sign) now and then.
std::string make_text(bool mixed) {
  std::mt19937_64 rng(7);
  std::string s;
  while (s.size() < (1u << 20)) {
    const auto r = rng() % 40;
    if (mixed && r == 0) s += "\xC3\xA9";          // é
    else if (mixed && r == 1 && rng() % 8 == 0) s += "\xE2\x82\xAC";  // €
    else if (r == 2) s += '\t';
    else if (r == 3) s += '\n';
    else s += static_cast<char>('a' + rng() % 26);
  }
  return s;
}

void BM_FindInvalidUtf8(benchmark::State& state) {
  const std::string text = make_text(state.range(0) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(find_invalid_utf8(text.data(), text.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetLabel(state.range(0) ? "mixed" : "ascii");
}
BENCHMARK(BM_FindInvalidUtf8)->Arg(0)->Arg(1);

void BM_Utf8Length(benchmark::State& state) {
  const std::string text = make_text(true);
  for (auto _ : state) benchmark::DoNotOptimize(utf8_length(text.data(), text.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Utf8Length);

void BM_Latin1ToUtf8(benchmark::State& state) {
  std::string text = make_text(false);
  for (std::size_t i = 0; i < text.size(); i += 37) text[i] = '\xE9';  // é in latin-1
  std::string out(2 * text.size(), '\0');
  for (auto _ : state) benchmark::DoNotOptimize(latin1_to_utf8(text.data(), text.size(), out.data()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Latin1ToUtf8);

}  // namespace
}  // namespace sluice

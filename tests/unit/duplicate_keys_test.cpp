// The duplicate-key index on synthetic (hash, line) pairs: hashing rules, candidate groups checked
// against a brute-force count, spilled and external paths equal to the in-memory one, spill files
// removed, and the exact grouper that the confirmation pass relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/temp_dir.h"
#include "validators/file_qc/duplicate_keys.h"

namespace sluice {
namespace {

std::uint64_t hash_of(const std::vector<std::pair<std::string, bool>>& key) {
  std::vector<const char*> p;
  std::vector<std::size_t> n;
  bool nulls[8];
  for (std::size_t i = 0; i < key.size(); ++i) {
    p.push_back(key[i].first.data());
    n.push_back(key[i].first.size());
    nulls[i] = key[i].second;
  }
  return hash_key(p.data(), n.data(), nulls, key.size());
}

bool empty_dir(const std::filesystem::path& d) { return std::filesystem::directory_iterator(d) == std::filesystem::directory_iterator(); }

TEST(DuplicateKeysHash, FieldBoundariesAndNullArePartOfTheKey) {
  EXPECT_NE(hash_of({{"ab", false}, {"c", false}}), hash_of({{"a", false}, {"bc", false}}));
  EXPECT_NE(hash_of({{"a\tb", false}, {"c", false}}), hash_of({{"a", false}, {"b\tc", false}}));
  EXPECT_NE(hash_of({{"", true}, {"x", false}}), hash_of({{"", false}, {"x", false}}));  // NULL vs ""
  EXPECT_NE(hash_of({{"", true}, {"", false}}), hash_of({{"", false}, {"", true}}));
  EXPECT_EQ(hash_of({{"2024-01-01", false}, {"17", false}}), hash_of({{"2024-01-01", false}, {"17", false}}));
  const std::string big(2000, 'x');  // past the stack buffer: same encoding, same hash
  std::string enc;
  append_key_field(enc, big.data(), big.size(), false);
  EXPECT_EQ(enc.size(), 2005u);
  EXPECT_EQ(hash_of({{big, false}}), hash_of({{big, false}}));
  EXPECT_NE(hash_of({{big, false}}), hash_of({{big + "y", false}}));
}

TEST(DuplicateKeysHash, RowHasherTakesFieldsInFileOrderAndHashesInKeyOrder) {
  RowKeyHasher h({3, 1});  // key = (column 3, column 1)
  EXPECT_EQ(h.slot(0), -1);
  EXPECT_EQ(h.slot(1), 1);
  EXPECT_EQ(h.slot(3), 0);
  EXPECT_EQ(h.slot(7), -1);
  h.set(h.slot(1), "B", 1, false);
  h.set(h.slot(3), "", 0, true);
  std::uint64_t got = 0;
  ASSERT_TRUE(h.finish(got));
  EXPECT_EQ(got, hash_of({{"", true}, {"B", false}}));
  h.set(h.slot(1), "B", 1, false);  // a short row: column 3 never came
  EXPECT_FALSE(h.finish(got));
  RowKeyHasher ordered({1, 3});  // key columns in file order take the encode-in-place path
  ordered.set(ordered.slot(1), "B", 1, false);
  ordered.set(ordered.slot(3), "", 0, true);
  ASSERT_TRUE(ordered.finish(got));
  EXPECT_EQ(got, hash_of({{"B", false}, {"", true}}));
  ordered.set(ordered.slot(1), "B", 1, false);
  EXPECT_FALSE(ordered.finish(got));
  ordered.set(ordered.slot(1), "B", 1, false);  // the short row left nothing behind
  ordered.set(ordered.slot(3), "", 0, true);
  ASSERT_TRUE(ordered.finish(got));
  EXPECT_EQ(got, hash_of({{"B", false}, {"", true}}));
  EXPECT_EQ(key_display_text([] {
              std::string e;
              append_key_field(e, "2024-01-01", 10, false);
              append_key_field(e, "", 0, true);
              append_key_field(e, "", 0, false);
              return e;
            }()),
            "2024-01-01, NULL, \"\"");
}

TEST(DuplicateKeysHash, TestHookKeepsTopBits) {
  const std::uint64_t full = hash_of({{"k", false}});
  set_hash_bits_for_testing(4);
  EXPECT_EQ(hash_of({{"k", false}}), full & 0xF000000000000000ull);
  set_hash_bits_for_testing(0);
  EXPECT_EQ(hash_of({{"k", false}}), 0u);
  set_hash_bits_for_testing(64);
  EXPECT_EQ(hash_of({{"k", false}}), full);
}

// Chunks of synthetic pairs. `pool` distinct hashes drawn at random make natural repeats; `hot`
// extra rows all carry one hash (an all-NULL key, say) to overflow a partition.
struct Input {
  std::vector<std::vector<KeyHash>> chunks;  // chunk-relative lines
  std::vector<std::uint64_t> first_line;
};

Input make_input(std::size_t rows, std::uint64_t pool, std::size_t hot, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  Input in;
  std::uint64_t line = 1;
  std::size_t made = 0;
  while (made < rows + hot) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 5000, rows + hot - made);
    auto& c = in.chunks.emplace_back();
    in.first_line.push_back(line);
    for (std::size_t i = 0; i < n; ++i) {
      const bool is_hot = (rng() % (rows + hot)) < hot;
      const std::uint64_t k = is_hot ? 0xC0FFEEull : rng() % pool;
      c.push_back({k * 0x9E3779B97F4A7C15ull ^ (k >> 7), i});  // spread over all partitions
    }
    line += n;
    made += n;
  }
  return in;
}

struct Expected {
  std::uint64_t groups = 0, rows = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> by_line;  // (line, hash)
};

Expected brute_force(const Input& in) {
  std::map<std::uint64_t, std::vector<std::uint64_t>> lines_of;
  for (std::size_t c = 0; c < in.chunks.size(); ++c)
    for (const auto& e : in.chunks[c]) lines_of[e.hash].push_back(e.line + in.first_line[c]);
  Expected x;
  for (const auto& [h, lines] : lines_of) {
    if (lines.size() < 2) continue;
    ++x.groups;
    x.rows += lines.size();
    for (auto l : lines) x.by_line.emplace_back(l, h);
  }
  std::sort(x.by_line.begin(), x.by_line.end());
  return x;
}

struct Got {
  std::uint64_t groups, rows, spilled;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> by_line;
};

Got run_index(const Input& in, const std::filesystem::path& spill, std::size_t budget) {
  DuplicateKeyIndex index(spill, budget);
  for (std::size_t c = 0; c < in.chunks.size(); ++c) index.add(in.chunks[c].data(), in.chunks[c].size(), in.first_line[c]);
  CandidateSet set = index.candidates();
  Got g{set.groups(), set.rows(), index.spilled_bytes(), {}};
  auto r = set.reader();
  KeyHash e;
  while (r.next(e)) g.by_line.emplace_back(e.line, e.hash);
  return g;
}

TEST(DuplicateKeysIndex, NoRepeatsNoCandidates) {
  test::TempDir dir;
  Input in = make_input(200000, 1ull << 62, 0, 1);  // 200k draws from 2^62: no repeats
  const Got g = run_index(in, dir.path(), DuplicateKeyIndex::kDefaultBudget);
  EXPECT_EQ(g.groups, 0u);
  EXPECT_EQ(g.rows, 0u);
  EXPECT_TRUE(g.by_line.empty());
  EXPECT_EQ(g.spilled, 0u);
  EXPECT_TRUE(empty_dir(dir.path()));  // nothing spilled, nothing created
}

TEST(DuplicateKeysIndex, FirstAndLastRowsShareAHash) {
  test::TempDir dir;
  DuplicateKeyIndex index(dir.path());
  std::vector<KeyHash> a{{7, 0}, {1, 1}, {2, 2}}, b{{3, 0}, {7, 1}};
  index.add(a.data(), a.size(), 2);  // header on line 1
  index.add(b.data(), b.size(), 5);
  CandidateSet set = index.candidates();
  EXPECT_EQ(set.groups(), 1u);
  EXPECT_EQ(set.rows(), 2u);
  auto r = set.reader();
  KeyHash e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.line, 2u);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.line, 6u);
  EXPECT_FALSE(r.next(e));
}

TEST(DuplicateKeysIndex, ManyRepeatsMatchBruteForceExactly) {
  test::TempDir dir;
  const Input in = make_input(300000, 200000, 0, 2);
  const Expected x = brute_force(in);
  const Got g = run_index(in, dir.path(), DuplicateKeyIndex::kDefaultBudget);
  EXPECT_EQ(g.spilled, 0u);
  EXPECT_EQ(g.groups, x.groups);
  EXPECT_EQ(g.rows, x.rows);
  EXPECT_EQ(g.by_line, x.by_line);
  EXPECT_GT(x.groups, 50000u);  // the input really is repeat-heavy
}

TEST(DuplicateKeysIndex, SpilledAndExternalPathsEqualInMemory) {
  test::TempDir dir;
  // 40k rows of one hash overflow a partition at the 1 MiB budget (cap 16k entries in memory).
  const Input in = make_input(300000, 200000, 40000, 3);
  const Expected x = brute_force(in);
  const Got mem = run_index(in, dir.path(), DuplicateKeyIndex::kDefaultBudget);
  const Got spilled = run_index(in, dir.path(), 1u << 20);
  EXPECT_EQ(mem.spilled, 0u);
  EXPECT_GT(spilled.spilled, 300000u * sizeof(KeyHash));  // the pairs, then the external runs
  EXPECT_EQ(mem.groups, x.groups);
  EXPECT_EQ(mem.rows, x.rows);
  EXPECT_EQ(mem.by_line, x.by_line);
  EXPECT_EQ(spilled.groups, x.groups);
  EXPECT_EQ(spilled.rows, x.rows);
  EXPECT_EQ(spilled.by_line, x.by_line);
  EXPECT_TRUE(empty_dir(dir.path()));
}

TEST(DuplicateKeysIndex, SpillFilesLiveInOwnDirsAndAreRemoved) {
  test::TempDir dir;
  const Input in = make_input(100000, 20000, 0, 4);
  {
    std::optional<DuplicateKeyIndex> index(std::in_place, dir.path(), 1u << 20);
    for (std::size_t c = 0; c < in.chunks.size(); ++c)
      index->add(in.chunks[c].data(), in.chunks[c].size(), in.first_line[c]);
    EXPECT_FALSE(empty_dir(dir.path()));
    EXPECT_GT(index->spilled_bytes(), 0u);
    CandidateSet set = index->candidates();
    EXPECT_GT(set.spilled_bytes(), 0u);  // 100k candidates do not fit the set's 256 KiB
    index.reset();                       // the set outlives the index
    std::size_t seen = 0;
    auto r = set.reader();
    KeyHash e;
    while (r.next(e)) ++seen;
    EXPECT_EQ(seen, set.rows());
    EXPECT_FALSE(empty_dir(dir.path()));
  }
  EXPECT_TRUE(empty_dir(dir.path()));
}

struct Group {
  std::string key;
  std::uint64_t count;
  std::vector<std::uint64_t> lines;
  bool operator==(const Group&) const = default;
};

std::vector<Group> group_all(const std::filesystem::path& spill, std::size_t budget,
                             const std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string>>& recs,
                             std::uint64_t* spilled = nullptr) {
  KeyGrouper g(spill, budget);
  for (const auto& [h, l, k] : recs) g.add(h, l, k);
  std::vector<Group> out;
  g.finish([&](std::string_view k, std::uint64_t n, const std::uint64_t* lines, std::size_t nl) {
    out.push_back({std::string(k), n, std::vector<std::uint64_t>(lines, lines + nl)});
  });
  if (spilled) *spilled = g.spilled_bytes();
  return out;
}

TEST(DuplicateKeysGrouper, CollidingHashesAreSplitByKeyBytesAndSpillingChangesNothing) {
  test::TempDir dir;
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string>> recs;
  // Every record shares hash 5 (a total collision); keys k0..k99, key k7 on 9 rows, k8 on 2.
  for (std::uint64_t line = 1; line <= 100; ++line) recs.emplace_back(5, line, "k" + std::to_string(line - 1));
  for (std::uint64_t line = 101; line <= 108; ++line) recs.emplace_back(5, line, "k7");
  recs.emplace_back(5, 109, "k8");
  for (int i = 0; i < 20000; ++i) recs.emplace_back(9, 200 + i, "filler" + std::to_string(i));  // to spill
  std::uint64_t spilled = 0;
  const auto mem = group_all(dir.path(), 64u << 20, recs, &spilled);
  EXPECT_EQ(spilled, 0u);
  const auto disk = group_all(dir.path(), 64u << 10, recs, &spilled);
  EXPECT_GT(spilled, 0u);
  ASSERT_EQ(mem.size(), 2u);
  EXPECT_EQ(mem[0], (Group{"k7", 9, {8, 101, 102, 103, 104}}));
  EXPECT_EQ(mem[1], (Group{"k8", 2, {9, 109}}));
  EXPECT_EQ(disk, mem);
  EXPECT_TRUE(empty_dir(dir.path()));
}

}  // namespace
}  // namespace sluice

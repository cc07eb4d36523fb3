// Exact duplicate-key detection over a whole file in bounded memory, part 1: hashing and the index.
//
// Workers hash each row's key to 64 bits (RowKeyHasher: slot()/set() per field, finish() at a
// well-formed row's end) and emit (hash, chunk-relative line) pairs; the sink feeds them in file
// order to DuplicateKeyIndex, which keeps them in 256 radix partitions (top hash byte) and writes a
// partition's buffer to disk whenever it fills its share of half the budget. candidates() sorts the
// partitions (one per core at a time) and returns every row whose hash occurs more than once, in
// line order. Equal hashes are only candidates: the confirmation pass (loaders/scan/
// duplicate_confirm.h) re-reads those rows' key bytes and groups them exactly with KeyGrouper, so a
// 64-bit collision is never reported and the counts never depend on a sample.
//
// Memory (B = budget): add() <= B/2, at about 9 bytes a row (7 hash bytes and a line delta), so
// about 30M rows stay in memory at 512 MiB; beyond that each partition is written out whenever its
// B/512 buffer fills. candidates() <= B/2 for the partitions being sorted (decoded, 32 bytes a row
// with scratch) plus B/4 for the candidate list, the rest of which goes to disk. A partition too
// big for that (one key on a hundred million rows, say all-NULL keys) is sorted externally instead.
// Disk, only past the memory share: ~9 bytes per row, plus 16 bytes per candidate row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct KeyHash {
  std::uint64_t hash;
  std::uint64_t line;  // chunk-relative (0-based) in workers; absolute (1-based file line) in the index
};

// The key's canonical bytes, which are what is hashed and what KeyGrouper compares: per field a tag
// (NULL, value, absent) and, for a value, a 4-byte length and the bytes. Length-prefixing means no
// delimiter can make ("a|b","c") equal ("a","b|c"), and NULL never equals the empty string.
void append_key_field(std::string& out, const char* data, std::size_t size, bool is_null);
// A field the row does not have (a short row). Never produced by hashing; only the confirmation pass
// meets such rows, and this keeps them from matching a real key.
void append_absent_key_field(std::string& out);
// For reports: the fields joined by ", ", NULL as NULL, empty as "", each cut by display_value.
std::string key_display_text(std::string_view encoded);

// XXH3-64 of the canonical encoding of one row's key; arrays in key-column order. Hot path: no
// allocation for keys up to 512 encoded bytes.
std::uint64_t hash_key(const char* const* fields, const std::size_t* sizes, const bool* nulls, std::size_t n);

// Test hook: keep only the top `bits` bits of every hash (0: all keys collide; 64 restores), so tests
// can force distinct keys to collide. Not for production use.
void set_hash_bits_for_testing(unsigned bits);

// Collects one row's key fields as the scanner meets them (in file order, and for CSV from a scratch
// buffer that the next field overwrites) and hashes them in key order. One per worker.
class RowKeyHasher {
 public:
  explicit RowKeyHasher(std::vector<int> key_fields);  // distinct 0-based columns, in key order
  // The field's position in the key, or -1 if it is not a key field.
  int slot(int field) const {
    return field >= 0 && static_cast<std::size_t>(field) < slot_of_.size() ? slot_of_[static_cast<std::size_t>(field)] : -1;
  }
  void set(int slot, const char* data, std::size_t size, bool is_null);
  // Hashes the row and resets for the next one. False if the row lacked a key field (it is then not
  // a duplicate candidate; the scanner reports the short row).
  bool finish(std::uint64_t& hash);

 private:
  std::vector<int> slot_of_;
  bool in_file_order_ = false;        // key columns ascending: fields arrive in key order
  std::vector<std::string> encoded_;  // otherwise per slot; capacity reused across rows
  std::vector<char> seen_;
  std::size_t seen_count_ = 0;
  std::string row_;                   // the row's key, encoded (out-of-order keys)
  std::vector<char> row_buf_;         // the same, in place, for keys in file order
  std::size_t row_size_ = 0;
};

// A temporary directory under a parent, created on first use and removed with its contents when the
// owner goes away. Each index, candidate set and grouper has its own, so they can outlive each other.
class SpillDir {
 public:
  explicit SpillDir(std::filesystem::path parent) : parent_(std::move(parent)) {}
  ~SpillDir();
  SpillDir(const SpillDir&) = delete;
  SpillDir& operator=(const SpillDir&) = delete;
  const std::filesystem::path& path();  // creates it
  const std::filesystem::path& parent() const { return parent_; }

 private:
  std::filesystem::path parent_, path_;
};

// Rows whose key hash occurs more than once, readable in ascending line order. The list is sorted in
// runs of at most its memory share; the last run stays in memory, earlier runs live in its SpillDir.
class CandidateSet {
 public:
  CandidateSet();
  CandidateSet(CandidateSet&&) noexcept;
  CandidateSet& operator=(CandidateSet&&) noexcept;
  ~CandidateSet();

  std::uint64_t groups() const { return groups_; }  // distinct hashes seen more than once
  std::uint64_t rows() const { return rows_; }      // rows carrying those hashes
  std::uint64_t spilled_bytes() const;
  bool empty() const { return rows_ == 0; }

  // Merges the runs; each call starts from the first line. Memory: `buffer_bytes` over all runs.
  class Reader {
   public:
    Reader();
    Reader(Reader&&) noexcept;
    Reader& operator=(Reader&&) noexcept;
    ~Reader();
    bool next(KeyHash& out);  // ascending line; false at the end

   private:
    friend class CandidateSet;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  Reader reader(std::size_t buffer_bytes = 8u << 20) const;

 private:
  friend class DuplicateKeyIndex;
  struct Store;
  std::unique_ptr<Store> store_;
  std::uint64_t groups_ = 0, rows_ = 0;
};

class DuplicateKeyIndex {
 public:
  static constexpr std::size_t kDefaultBudget = 512u << 20;

  // Spill files go in a fresh directory under `spill_dir`, removed in the destructor.
  explicit DuplicateKeyIndex(std::filesystem::path spill_dir, std::size_t memory_budget_bytes = kDefaultBudget);
  ~DuplicateKeyIndex();
  DuplicateKeyIndex(const DuplicateKeyIndex&) = delete;
  DuplicateKeyIndex& operator=(const DuplicateKeyIndex&) = delete;

  // One chunk's pairs (chunk-relative lines, ascending); `line_offset` is the chunk's first file line.
  // Chunks must come in file order. Throws sluice::Error when a spill write fails.
  void add(const KeyHash* entries, std::size_t n, std::uint64_t line_offset);
  // Call once, after the last add(); the index's memory and spill files are released.
  CandidateSet candidates();

  std::uint64_t rows() const { return rows_; }
  std::uint64_t spilled_bytes() const { return spilled_bytes_; }  // also counts candidates() spills

 private:
  struct Partition;
  void spill(std::size_t p);
  void emit_partition_external(std::size_t p, CandidateSet& out);

  SpillDir dir_;
  std::size_t budget_;
  std::size_t partition_cap_;  // encoded bytes kept in memory per partition before it is written out
  std::vector<Partition> parts_;
  std::uint64_t rows_ = 0;
  std::uint64_t spilled_bytes_ = 0;
  bool spilled_ = false;
  bool finished_ = false;
};

// Exact grouping of (hash, key bytes, line) records in bounded memory: an external merge sort by
// (hash, key, line). Used by the confirmation pass on candidate rows only.
class KeyGrouper {
 public:
  KeyGrouper(std::filesystem::path spill_dir, std::size_t memory_budget_bytes);
  ~KeyGrouper();
  KeyGrouper(const KeyGrouper&) = delete;
  KeyGrouper& operator=(const KeyGrouper&) = delete;

  void add(std::uint64_t hash, std::uint64_t line, std::string_view key);
  // Calls `group` once per key seen more than once, with its row count and its first (up to 5) lines,
  // ascending. Call once.
  using GroupFn = std::function<void(std::string_view key, std::uint64_t count, const std::uint64_t* lines,
                                     std::size_t n_lines)>;
  void finish(const GroupFn& group);

  std::uint64_t spilled_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

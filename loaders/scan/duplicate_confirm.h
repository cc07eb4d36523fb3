// Exact duplicate-key detection, part 2: the confirmation pass. DuplicateKeyIndex names the rows
// whose key hash repeats; this pass re-reads only those rows' key fields, sequentially, and groups
// them by their true key bytes, so the counts are exact whatever the hash did.
//
// Bounded memory even when every row is a duplicate (a file loaded twice, concatenated): the
// candidates stream from the set in line order (merged runs), and the (hash, key, line) records go
// through KeyGrouper, an external sort that spills runs once it holds half the budget. Every
// candidate is confirmed, so the totals are exact; only the top_n examples are kept. The worst case
// costs disk and time, not memory: 16 bytes a candidate row in the set plus 20 + encoded key bytes
// (about 50 for a date and an id) in the grouper's runs, each written and read once, and an
// O(n log n) sort of them. The file is read a second time only up to the last candidate row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/progress.h"
#include "loaders/scan/chunk_scanner.h"
#include "loaders/scan/file_syntax.h"
#include "validators/file_qc/duplicate_keys.h"
#include "validators/file_qc/findings.h"

namespace sluice {

struct DuplicateExample {
  std::string key;                   // key_display_text: the fields joined by ", "
  std::uint64_t count = 0;           // rows with this key
  std::vector<std::uint64_t> lines;  // its first (up to 5) lines, ascending
};

struct DuplicateReport {
  std::uint64_t duplicate_keys = 0;  // distinct keys found on more than one row
  std::uint64_t excess_rows = 0;     // rows beyond the first of each such key
  std::uint64_t candidate_rows = 0;  // rows re-read; those not in a duplicate group were hash collisions
  std::vector<DuplicateExample> top; // up to top_n keys, most rows first, ties by first line
};

struct ConfirmOptions {
  std::filesystem::path spill_dir = std::filesystem::temp_directory_path();
  std::size_t memory_budget = DuplicateKeyIndex::kDefaultBudget;
  // The pipeline's chunk size: the Splitter then cuts (even malformed) CSV exactly as the scan did.
  std::size_t chunk_bytes = 16u << 20;
  const Cancellation* cancel = nullptr;
  ProgressSink* progress = nullptr;  // gets begin/update/end for phase "duplicates"
};

// `key_fields` are 0-based columns in key order, as hashed. Reads the file only if there are
// candidates. Throws sluice::Error on I/O errors, on cancellation, and if a candidate line is not
// where a row starts (the file changed since the scan).
DuplicateReport confirm_duplicates(const std::filesystem::path& file, const FileSyntax& syntax,
                                   const std::vector<int>& key_fields, const CandidateSet& candidates,
                                   std::size_t top_n, const ConfirmOptions& options = {});

// A finding for the QC report: check "duplicate_key", one example per top key (line = first line).
Finding duplicate_key_finding(const DuplicateReport& report, const std::vector<std::string>& key_names);

// Worker side for users of run_pipeline's make_observer (the tests and the bench driver; the scanner
// can call RowKeyHasher directly instead). Hashes every well-formed row's key; the sink passes
// entries() to DuplicateKeyIndex::add with the chunk's first_line and then calls clear().
class DuplicateKeyObserver final : public FieldObserver {
 public:
  explicit DuplicateKeyObserver(std::vector<int> key_fields) : hasher_(std::move(key_fields)) {}
  void field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line) override {
    row_line_ = line;
    if (const int s = hasher_.slot(field); s >= 0) hasher_.set(s, data, size, is_null);
  }
  void row_end(bool well_formed) override {
    std::uint64_t h;
    if (hasher_.finish(h) && well_formed) entries_.push_back({h, row_line_});
  }
  const std::vector<KeyHash>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  RowKeyHasher hasher_;
  std::vector<KeyHash> entries_;
  std::uint64_t row_line_ = 0;
};

}  // namespace sluice

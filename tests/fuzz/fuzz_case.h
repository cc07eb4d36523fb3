// What the fuzz targets share: turning the first bytes of an input into a table configuration,
// holding the rest as a real file the library can open, writing results as comparable text, and
// stopping with a readable message when two runs that must agree do not.
//
// Input layout (see docs/testing.md): kConfigBytes bytes of configuration, then the file content.
// An input shorter than that is padded with zero bytes (the all-defaults configuration).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loaders/scan/chunk_scanner.h"
#include "loaders/scan/file_syntax.h"
#include "validators/file_qc/file_qc.h"

namespace sluice::fuzz {

inline constexpr std::size_t kConfigBytes = 9;

struct FuzzCase {
  FileSyntax syntax;
  QcSettings qc;
  std::size_t chunk_bytes = 64;  // 64..4096: many chunks even for small inputs
  std::size_t max_read = 0;      // cap on one ByteSource::read (short reads, as decoders give); 0 = none
  int workers = 1;
  bool skip_bad_rows = false;
  std::size_t max_rejects_kept = 0;
  CopyFormat copy_format = CopyFormat::postgres_text;  // ScanConfig::copy_format
  std::string_view content;      // the file's bytes
  std::string summary;           // one line naming every choice, printed with a failure
};

FuzzCase decode_case(const std::uint8_t* data, std::size_t size);

// The content as a file that open_byte_source() and run_pipeline() can open by path: one memfd per
// process, rewritten for every input, so no input ever touches the disk.
class MemoryFile {
 public:
  MemoryFile();
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  void assign(std::string_view content);
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Every field of every row, as a FieldObserver sees them, with file line numbers. Two scans of the
// same file must produce the same log whatever the chunking.
class RowLog final : public FieldObserver {
 public:
  void field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line) override;
  void row_end(bool well_formed) override;
  // Appends what was observed (chunk-relative lines shifted by `first_line`) to `out` and forgets it.
  void drain(std::uint64_t first_line, std::string& out);

  // The values (nullopt for NULL) of every well-formed row so far, in order: the rows COPY gets.
  std::vector<std::vector<std::optional<std::string>>> staged_rows;

 private:
  std::vector<std::optional<std::string>> values_;
  struct Entry {
    bool has_line;
    std::uint64_t line;
    std::string text;
  };
  std::vector<Entry> entries_;
  bool row_has_fields_ = false;
  std::uint64_t row_line_ = 0;
  std::string row_;
};

// Canonical text of everything the QC verdict says, examples included.
std::string describe(const QcReport& report);
// A rejected row with its file line and 0-based file row.
std::string describe(const RejectedRow& row, std::uint64_t first_line, std::uint64_t first_row);

// Aborts with both values and where they first differ when `expected != actual`.
void require_equal(std::string_view what, std::string_view expected, std::string_view actual,
                   const FuzzCase& fuzz_case);
void require_equal(std::string_view what, std::uint64_t expected, std::uint64_t actual, const FuzzCase& fuzz_case);
// Aborts with `what` when `condition` is false.
void require(bool condition, std::string_view what, const FuzzCase& fuzz_case);

}  // namespace sluice::fuzz

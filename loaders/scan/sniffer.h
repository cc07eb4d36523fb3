// The Sniffer: guesses how a delimited file is written from its first ~1 MiB (decompressed), for
// `sluice analyze` and `sluice config generate`, where there is no config yet. It never guesses
// silently: every result carries a confidence and the evidence it rests on, so a person can tell a
// sure answer from a coin toss.
//
// Rows are read as the chunk scanner reads them (the row walker, loaders/csv/row_walker.h: line
// ends LF, CR LF or CR; blank lines left out). Delimiter: each of tab , | ; is tried with and
// without RFC 4180 quoting; the one that splits the most rows into the same number of fields (two
// or more) wins, more fields breaking near-ties. Where the quotes read as RFC 4180 quoting on every
// row, a candidate is split with them (delimiters inside quotes are text) whatever the plain split
// scores; otherwise the quoted reading must split at least as well.
// Header: each column's first value is compared with the values below it: a word over numbers or
// dates is a header, a number over numbers is data; numbers quoted in the first row only (years as
// column names) and a first row numbering the columns count as a header too.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_model.h"
#include "loaders/scan/file_syntax.h"

namespace sluice {

struct SniffResult {
  bool text = true;                     // false: UTF-16 or an archive; nothing else is meaningful
  std::string hint;                     // when not text: what to do
  FileFormat format = FileFormat::tsv;  // csv when fields may be quoted
  FileSyntax syntax;                    // delimiter, quoted, quote, null_marker, header
  int columns = 0;
  bool bom = false;                     // starts with a UTF-8 byte order mark
  bool crlf = false;                    // most lines end with \r\n
  std::vector<std::string> header;      // the header row's names (BOM removed); empty without one
  std::vector<std::vector<std::string>> rows;  // the sample's data rows, unquoted (at most kMaxRows)
  std::size_t sample_bytes = 0;
  bool whole_file = false;              // the sample holds the whole file
  double confidence = 0;                // 0..1, for the delimiter and the header together
  std::string reason;                   // the evidence, sentences separated by "; "

  static constexpr std::size_t kMaxRows = 20000;
};

// Sniffs bytes from the start of a file. `whole_file` says the sample is all of it (so its last
// row is complete even without a newline); `file_name` only breaks the tie for one-column files
// (.csv means CSV).
SniffResult sniff_text(std::string_view sample, bool whole_file, const std::string& file_name);

// Reads up to `sample_bytes` of the file through open_byte_source (so .gz and .zst work) and
// sniffs them. Throws sluice::Error when the file cannot be read.
SniffResult sniff_file(const std::filesystem::path& file, std::size_t sample_bytes = std::size_t{1} << 20);

// The delimiter as a person writes it: "tab", ",", "|", ";".
std::string delimiter_name(char delimiter);

}  // namespace sluice

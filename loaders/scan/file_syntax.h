// How a delimited file is written: the delimiter, whether fields may be quoted (CSV, RFC 4180),
// and the marker that means NULL besides the empty field.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/config_model.h"

namespace sluice {

struct FileSyntax {
  char delimiter = '\t';
  bool quoted = false;   // CSV: fields may be enclosed in `quote`, with doubled quotes inside
  char quote = '"';
  std::string null_marker;
  bool header = false;
  bool latin1 = false;             // a single-byte file: transcode to UTF-8 before scanning
  bool windows1252 = false;        // with latin1: 0x80..0x9F are Windows-1252's (euro, quotes, ...)
  bool backslash_escapes = false;  // fields already in COPY text form (\t, \n, \\; \N is NULL)

  // True when this file's rows, as read, already are the CSV staged for Snowflake
  // (CopyFormat::snowflake_csv) except for values that must be enclosed (a double quote or a
  // carriage return in them): unquoted, tab-separated, no NULL marker besides the empty field
  // (which is NULL there too), no escapes of its own. The scan then stages such rows whole.
  bool rows_are_snowflake_csv() const {
    return !quoted && delimiter == '\t' && null_marker.empty() && !backslash_escapes;
  }

  // From the table's feed; `auto` picks by the file name (.csv -> CSV, otherwise TSV).
  static FileSyntax for_feed(const FeedSpec& feed, const std::string& file_name);

  // Transcodes a single-byte file's bytes (latin1 set) to UTF-8 at the start of `out`, which only
  // ever grows (3 bytes per input byte at most); returns the bytes written.
  std::size_t to_utf8(const char* data, std::size_t size, std::vector<char>& out) const;
};

// Where a line ends, in every file and for every reader of rows: at an LF, at CR LF, or at a CR
// alone (old Mac exports), as Python's csv module and DuckDB read them. A run of CRs before an LF
// is one line end: CR CR LF is a CRLF file converted once more (Python's csv module on Windows
// writes it when the file is not opened with newline=''), and none of those CRs is part of a value.
inline bool is_line_end_byte(char c) { return c == '\n' || c == '\r'; }

// The length of the line end that starts at `p` (a CR or LF before `end`). A run of CRs that reaches
// `end` may still be followed by an LF: 0 then, unless `end` is where the text ends
// (`end_of_text`), where the first CR ends the line by itself.
inline std::size_t line_end_length(const char* p, const char* end, bool end_of_text) {
  if (*p == '\n') return 1;
  const char* q = p + 1;
  while (q < end && *q == '\r') ++q;
  if (q == end) return end_of_text ? 1 : 0;
  return *q == '\n' ? static_cast<std::size_t>(q - p) + 1 : 1;
}

// The line ends in [p, end), `end` being where the text ends (a quoted field's newlines counted
// between its quotes). With `after_last`, also where the line after the last of them starts
// (unchanged when there is none).
std::size_t count_line_ends(const char* p, const char* end, const char** after_last = nullptr);

// True when [p, end) is nothing but line ends: blank lines at the end of a file, which are not rows.
bool only_line_ends(const char* p, const char* end);

}  // namespace sluice

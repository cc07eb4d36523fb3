// How a delimited file is written: the delimiter, whether fields may be quoted (CSV, RFC 4180),
// and the marker that means NULL besides the empty field.
#pragma once

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

  // From the table's config; `auto` picks by the file name (.csv -> CSV, otherwise TSV).
  static FileSyntax for_table(const TableSpec& table, const std::string& file_name);

  // Transcodes a single-byte file's bytes (latin1 set) to UTF-8 at the start of `out`, which only
  // ever grows (3 bytes per input byte at most); returns the bytes written.
  std::size_t to_utf8(const char* data, std::size_t size, std::vector<char>& out) const;
};

}  // namespace sluice

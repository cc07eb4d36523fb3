// How a delimited file is written: the delimiter, whether fields may be quoted (CSV, RFC 4180),
// and the marker that means NULL besides the empty field.
#pragma once

#include <string>

#include "core/config_model.h"

namespace sluice {

struct FileSyntax {
  char delimiter = '\t';
  bool quoted = false;   // CSV: fields may be enclosed in `quote`, with doubled quotes inside
  char quote = '"';
  std::string null_marker;
  bool header = false;
  bool latin1 = false;             // transcode to UTF-8 before scanning
  bool backslash_escapes = false;  // fields already in COPY text form (\t, \n, \\; \N is NULL)

  // From the table's config; `auto` picks by the file name (.csv -> CSV, otherwise TSV).
  static FileSyntax for_table(const TableSpec& table, const std::string& file_name);
};

}  // namespace sluice

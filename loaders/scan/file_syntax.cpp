#include "loaders/scan/file_syntax.h"

namespace sluice {

FileSyntax FileSyntax::for_table(const TableSpec& table, const std::string& file_name) {
  FileSyntax s;
  FileFormat format = table.format;
  if (format == FileFormat::auto_detect) {
    const bool csv = file_name.find(".csv") != std::string::npos;
    format = csv ? FileFormat::csv : FileFormat::tsv;
  }
  s.quoted = format == FileFormat::csv;
  s.delimiter = table.delimiter;
  // A table left at the tab default but declared csv means comma.
  if (format == FileFormat::csv && table.delimiter == '\t' && table.format == FileFormat::auto_detect)
    s.delimiter = ',';
  s.quote = table.quote;
  s.null_marker = table.null_marker;
  s.header = table.header;
  s.latin1 = table.encoding == TextEncoding::latin1;
  s.backslash_escapes = table.backslash_escapes && !s.quoted;
  return s;
}

}  // namespace sluice

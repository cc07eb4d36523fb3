#include "loaders/csv/row_walker.h"

namespace sluice {
namespace {

// The first row's end, and the line ends inside it.
struct FirstRow : RowVisitor {
  static constexpr bool kFields = false;
  bool end_row(const char*, const char* row_next, std::uint64_t row_line) {
    next = row_next;
    line = row_line;
    return false;
  }
  const char* next = nullptr;
  std::uint64_t line = 0;
};

// One row's fields as strings.
struct Fields : RowVisitor {
  explicit Fields(RowFields& r) : out(r) {}
  void field(const char* value, std::size_t size, bool quoted, const char*, bool) {
    out.values.emplace_back(value, size);
    out.quoted.push_back(quoted);
  }
  void stray_quote(std::uint64_t, const char*, const char*, const char*, std::size_t, const char*) {
    out.stray_quote = true;
  }
  void unterminated_quote(const char*, const char*) { out.unterminated = true; }
  bool end_row(const char*, const char*, std::uint64_t) { return false; }
  RowFields& out;
};

}  // namespace

std::size_t row_length(const char* p, std::size_t n, const FileSyntax& syntax, std::uint64_t* quoted_newlines) {
  WalkOptions o;
  o.end_of_text = false;
  o.find_crs = false;
  std::string unused;
  FirstRow first;
  walk_rows(p, p + n, syntax, o, unused, first);
  if (!first.next) return 0;
  if (quoted_newlines) *quoted_newlines = first.line;
  return static_cast<std::size_t>(first.next - p);
}

void split_fields(const char* data, std::size_t size, const FileSyntax& syntax, RowFields& out) {
  out.values.clear();
  out.quoted.clear();
  out.unterminated = out.stray_quote = false;
  if (size == 0) {  // a row with no text is one empty field, not a blank line
    out.values.emplace_back();
    out.quoted.push_back(false);
    return;
  }
  WalkOptions o;
  o.find_crs = false;
  std::string scratch;
  Fields fields(out);
  walk_rows(data, data + size, syntax, o, scratch, fields);
}

std::vector<std::string> split_row(const char* data, std::size_t size, const FileSyntax& syntax) {
  RowFields fields;
  split_fields(data, size, syntax, fields);
  return std::move(fields.values);
}

}  // namespace sluice

#include "operations/table_qc.h"

#include <fmt/format.h>

#include "core/error.h"
#include "validators/file_qc/value_checks.h"

namespace sluice {

QcSettings table_qc_settings(const TableSpec& table, const std::optional<DateRange>& expected_range,
                             bool full_checks) {
  QcSettings s;
  for (const auto& c : table.columns) {
    s.column_names.push_back(c.name);
    s.required.push_back(c.required);
  }
  s.date_field = table.date_column_index();
  if (!table.date_format.empty()) {
    auto parser = DateParser::with_format(table.date_format);
    if (!parser)
      throw usage_error(fmt::format("table {} has an invalid date_format \"{}\"", table.table, table.date_format),
                        table.position.str(), "Use %Y, %m and %d with literal characters, e.g. \"%d.%m.%Y\".");
    s.date_parser = *parser;
  }
  s.check_dates = full_checks;
  if (full_checks) {
    for (const auto& c : table.columns) {
      // Unbounded text accepts any valid UTF-8, which the scanner checks for every row anyway.
      const bool unbounded_text = c.type.kind == ColumnKind::text || (c.type.is_textual() && c.type.length == 0);
      if (unbounded_text) s.value_checks.emplace_back();
      else s.value_checks.emplace_back(ValueChecker(c.type));
    }
  }
  if (full_checks) {
    for (const auto& name : table.duplicate_key) {
      for (std::size_t i = 0; i < table.columns.size(); ++i)
        if (table.columns[i].name == name) s.key_fields.push_back(static_cast<int>(i));
    }
  }
  s.expected_range = expected_range;
  s.low_days_fail = table.low_days_fail;
  return s;
}

}  // namespace sluice

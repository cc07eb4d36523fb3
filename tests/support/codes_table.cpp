#include "tests/support/codes_table.h"

#include <stdexcept>

#include <fmt/format.h>

#include "core/dates.h"

namespace sluice::test {

std::string codes_table_yaml(const std::string& code_type, const std::string& amount_type) {
  return fmt::format("  - table: CODES\n"
                     "    file_pattern: \"codes_{{month}}.tsv\"\n"
                     "    date_column: DAY\n"
                     "    columns:\n"
                     "      - {{ name: DAY, type: date }}\n"
                     "      - {{ name: CODE, type: \"{}\" }}\n"
                     "      - {{ name: AMOUNT, type: \"{}\" }}\n",
                     code_type, amount_type);
}

std::string codes_month_rows(const std::string& month, int long_code_day) {
  const auto range = parse_month(month);
  if (!range) throw std::invalid_argument("codes_month_rows: not a month: " + month);
  std::string rows;
  for (DayNumber day = range->first; day <= range->last; ++day) {
    const int d = civil_from_days(day).day;
    rows += fmt::format("{}\t{}\t{}.25\n", format_iso(day), d == long_code_day ? "ABCDEFGHI" : fmt::format("ABC{}", d), d);
  }
  return rows;
}

}  // namespace sluice::test

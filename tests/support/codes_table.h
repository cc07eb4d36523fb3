// The table the load type-check suites use on PostgreSQL (tests/integration/load_type_check_test.cpp)
// and Snowflake (tests/snowflake/load_type_check_snowflake_test.cpp): CODES with DAY (date), CODE
// and AMOUNT of the types a test gives, date_column DAY, files codes_<YYYY-MM>.tsv.
#pragma once

#include <string>

namespace sluice::test {

// The tables: entry (YAML, indented to sit under "tables:").
std::string codes_table_yaml(const std::string& code_type, const std::string& amount_type);
// A row for every day of `month` (YYYY-MM): the day, a code of at most 5 characters (ABC<day>),
// <day>.25; on `long_code_day` (0: none) a code of 9 characters, ABCDEFGHI.
std::string codes_month_rows(const std::string& month, int long_code_day = 0);

}  // namespace sluice::test

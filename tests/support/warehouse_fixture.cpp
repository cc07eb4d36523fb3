#include "tests/support/warehouse_fixture.h"

#include <fmt/format.h>

#include "tests/support/test_postgres.h"

namespace sluice::test {
namespace {

std::string sql_type(const std::string& day_type) {
  if (day_type == "integer") return "integer";
  if (day_type == "date") return "date";
  if (day_type == "timestamp") return "timestamp";
  return "text";
}

// The SQL expression for day `d` (a date) in the table's spelling.
std::string spelled(const std::string& day_type, const std::string& d) {
  if (day_type == "integer") return fmt::format("to_char({}, 'YYYYMMDD')::integer", d);
  if (day_type == "date") return fmt::format("({})::date", d);
  if (day_type == "timestamp") return fmt::format("({})::timestamp + interval '13 hours 5 minutes'", d);
  return fmt::format("to_char({}, 'YYYY-MM-DD')", d);
}

}  // namespace

std::string WarehouseFixture::daily_yaml(const std::string& name, const std::string& day_type) {
  return fmt::format(
      "  - table: {name}\n"
      "    file_pattern: \"{name}_{{month}}.tsv\"\n"
      "    date_column: DAY\n"
      "    duplicate_key: [DAY, ASSET]\n"
      "    columns:\n"
      "      - {{ name: DAY, type: {type}, required: true }}\n"
      "      - {{ name: ASSET, type: bigint, required: true }}\n"
      "      - {{ name: AMOUNT, type: \"numeric(12,2)\", required: true }}\n"
      "      - {{ name: NOTE, type: text }}\n",
      fmt::arg("name", name), fmt::arg("type", sql_type(day_type)));
}

void WarehouseFixture::create_daily(const std::string& name, const std::string& day_type, const std::string& from,
                                    const std::string& to, int rows_per_day) {
  exec(fmt::format("CREATE TABLE {s}.{t} (day {type}, asset bigint, amount numeric(12,2), note text);"
                   "INSERT INTO {s}.{t} SELECT {day}, a, a * 1.5, 'row ' || a "
                   "FROM generate_series('{from}'::date, '{to}'::date, interval '1 day') g(d), generate_series(1, {n}) a",
                   fmt::arg("s", schema_), fmt::arg("t", name), fmt::arg("type", sql_type(day_type)),
                   fmt::arg("day", spelled(day_type, "g.d::date")), fmt::arg("from", from), fmt::arg("to", to),
                   fmt::arg("n", rows_per_day)));
}

std::string WarehouseFixture::day_value(const std::string& day_type, const std::string& iso_day) {
  return spelled(day_type, "'" + iso_day + "'::date");
}

void WarehouseFixture::exec(const std::string& sql) {
  auto conn = test_connection();
  conn.exec(sql);
}

nlohmann::json WarehouseFixture::json_of(const RunResult& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << r.out << r.err;
  return j;
}

}  // namespace sluice::test

// The setting the warehouse-operation tests (validate, delete, restore, report, compare) share: a
// LoadFixture plus tables filled straight with SQL, so a defect can be planted exactly (a missing
// day, a low day, duplicate keys, NULLs) and the expected result follows from it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/load_fixture.h"

namespace sluice::test {

class WarehouseFixture : public LoadFixture {
 protected:
  // Config YAML for a table `name` (config name, upper case) with columns DAY (of `day_type`:
  // integer = YYYYMMDD, date, timestamp or text = YYYY-MM-DD; required), ASSET (bigint, required),
  // AMOUNT (numeric(12,2), required), NOTE (text); date_column DAY; duplicate_key [DAY, ASSET].
  static std::string daily_yaml(const std::string& name, const std::string& day_type);
  // Creates that table in schema_ (columns nullable, so NULLs can be planted) with `rows_per_day`
  // rows for each day from..to (YYYY-MM-DD): ASSET 1..rows_per_day, AMOUNT = ASSET * 1.5.
  void create_daily(const std::string& name, const std::string& day_type, const std::string& from, const std::string& to,
                    int rows_per_day);
  // The SQL value of a day in `day_type`'s spelling, for planting defects: day_value("integer", "2024-01-05").
  static std::string day_value(const std::string& day_type, const std::string& iso_day);
  void exec(const std::string& sql);
  // The command's stdout as JSON (fails the test when it is not JSON).
  static nlohmann::json json_of(const RunResult& r);
};

}  // namespace sluice::test

// What `sluice report --format json` must say of the tables both warehouse fixtures set up: the
// sample month loaded by sluice (3,100 rows of January 2024) and DAILY (7 rows a day from
// 2023-12-30 to 2024-02-02, filled by SQL, validated for January). One set of checks, so the
// PostgreSQL and Snowflake report tests hold the two warehouses to the same answer.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sluice::test {

// The entry named `name` in the report's "tables" (a test failure and null when absent).
const nlohmann::json& report_table(const nlohmann::json& report, const std::string& name);

// The loaded sample table: `target` and `date_column` as the warehouse spells them.
void expect_loaded_sample_month(const nlohmann::json& table, const std::string& target,
                                const std::string& date_column);

// DAILY after `validate --table DAILY --month 2024-01`.
void expect_validated_daily(const nlohmann::json& table);

// A table in the config that the warehouse does not have.
void expect_missing(const nlohmann::json& table);

}  // namespace sluice::test

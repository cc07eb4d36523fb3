// Snowflake's column types as INFORMATION_SCHEMA.COLUMNS reports them, mapped into PostgreSQL by
// the table in docs/migrate-types.md.
#include <gtest/gtest.h>

#include <optional>

#include "loaders/migrate/column_mapping.h"

namespace sluice {
namespace {

struct Case {
  const char* data_type;
  std::optional<std::int64_t> precision, scale;
  const char* target;
  Fidelity fidelity;
};

TEST(SnowflakeMapping, EachInformationSchemaTypeHasItsPostgresTypeAndFidelity) {
  const Case cases[] = {
      {"NUMBER", 4, 0, "smallint", Fidelity::exact},
      {"NUMBER", 9, 0, "integer", Fidelity::exact},
      {"NUMBER", 18, 0, "bigint", Fidelity::exact},
      {"NUMBER", 19, 0, "numeric(19,0)", Fidelity::exact},
      {"NUMBER", 38, 0, "numeric(38,0)", Fidelity::exact},   // INT: never bigint, which overflows
      {"NUMBER", std::nullopt, std::nullopt, "numeric(38,0)", Fidelity::exact},
      {"NUMBER", 12, 4, "numeric(12,4)", Fidelity::exact},
      {"NUMBER", 38, 37, "numeric(38,37)", Fidelity::exact},
      {"FLOAT", std::nullopt, std::nullopt, "double precision", Fidelity::exact},
      {"TEXT", std::nullopt, std::nullopt, "text", Fidelity::exact},  // VARCHAR(16777216) too
      {"BINARY", std::nullopt, std::nullopt, "bytea", Fidelity::exact},
      {"BOOLEAN", std::nullopt, std::nullopt, "boolean", Fidelity::exact},
      {"DATE", std::nullopt, std::nullopt, "date", Fidelity::exact},
      {"TIME", std::nullopt, std::nullopt, "time", Fidelity::exact},
      {"TIMESTAMP_NTZ", std::nullopt, std::nullopt, "timestamp", Fidelity::exact},
      {"TIMESTAMP_LTZ", std::nullopt, std::nullopt, "timestamptz", Fidelity::exact},
      {"TIMESTAMP_TZ", std::nullopt, std::nullopt, "timestamptz", Fidelity::lossy},  // the offset
      {"VARIANT", std::nullopt, std::nullopt, "jsonb", Fidelity::widened},
      {"OBJECT", std::nullopt, std::nullopt, "jsonb", Fidelity::widened},
      {"ARRAY", std::nullopt, std::nullopt, "jsonb", Fidelity::widened},
      {"GEOGRAPHY", std::nullopt, std::nullopt, "text", Fidelity::widened},
  };
  for (const Case& c : cases) {
    const ColumnMapping m = snowflake_column_mapping(c.data_type, c.precision, c.scale);
    EXPECT_EQ(m.target_type, c.target) << c.data_type << "(" << c.precision.value_or(-1) << "," << c.scale.value_or(-1) << ")";
    EXPECT_EQ(m.fidelity, c.fidelity) << c.data_type;
  }
  // The time types say why they are exact: a value that PostgreSQL would round is a finding.
  EXPECT_NE(snowflake_column_mapping("TIMESTAMP_NTZ", std::nullopt, std::nullopt).note.find("microsecond"), std::string::npos);
  EXPECT_EQ(snowflake_column_mapping("NUMBER", 12, 4).kind, ValueKind::numeric);
  EXPECT_EQ(snowflake_column_mapping("NUMBER", 12, 4).scale, 4);
}

}  // namespace
}  // namespace sluice

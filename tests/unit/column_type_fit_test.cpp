// The rule a load checks a table's column types by before scanning (core/column_type.h), and how
// each target reads its catalog's types into it.
#include <gtest/gtest.h>

#include <vector>

#include "core/column_type.h"
#include "warehouse/postgres/dialect.h"
#include "warehouse/snowflake/dialect.h"

namespace sluice {
namespace {

ColumnType type(const char* spelling) {
  const auto t = parse_column_type(spelling);
  EXPECT_TRUE(t) << spelling;
  return t.value_or(ColumnType{});
}

// A config type, a table type as PostgreSQL's format_type spells it, and how they fit.
struct Case {
  const char* config;
  const char* table;
  TypeFit fit;
};

void expect_fits(const std::vector<Case>& cases) {
  for (const Case& c : cases)
    EXPECT_EQ(compare_column_types(type(c.config), pg::column_type_from_catalog(c.table)), c.fit)
        << "config " << c.config << ", table " << c.table;
}

TEST(ColumnTypeFit, EquivalentSpellingsAreTheSameType) {
  expect_fits({{"int4", "integer", TypeFit::same},
               {"integer", "integer", TypeFit::same},
               {"int8", "bigint", TypeFit::same},
               {"varchar(7)", "character varying(7)", TypeFit::same},
               {"character varying(7)", "character varying(7)", TypeFit::same},
               {"double", "double precision", TypeFit::same},
               {"float8", "double precision", TypeFit::same},
               {"decimal(12,2)", "numeric(12,2)", TypeFit::same},
               {"char(3)", "character(3)", TypeFit::same},
               {"bool", "boolean", TypeFit::same},
               {"timestamp", "timestamp without time zone", TypeFit::same},
               {"timestamp", "timestamp(3) without time zone", TypeFit::same},
               {"timestamptz", "timestamp with time zone", TypeFit::same},
               {"text", "text", TypeFit::same}});
}

TEST(ColumnTypeFit, ATableTypeThatTakesEveryValueIsFine) {
  expect_fits({{"varchar(10)", "text", TypeFit::holds},
               {"varchar(10)", "character varying(12)", TypeFit::holds},
               {"text", "character varying", TypeFit::holds},
               {"integer", "bigint", TypeFit::holds},
               {"smallint", "integer", TypeFit::holds},
               {"integer", "numeric(10,0)", TypeFit::holds},
               {"numeric(10,2)", "numeric(12,2)", TypeFit::holds},
               {"numeric(10,2)", "numeric(12,4)", TypeFit::holds},
               {"numeric(12,2)", "numeric", TypeFit::holds},
               {"numeric(9,0)", "integer", TypeFit::holds},
               {"real", "double precision", TypeFit::holds},
               {"integer", "double precision", TypeFit::holds},
               {"date", "timestamp without time zone", TypeFit::holds}});
}

TEST(ColumnTypeFit, AConfigTypeWiderThanTheTablesIsDangerous) {
  expect_fits({{"text", "character varying(7)", TypeFit::narrower},
               {"varchar(10)", "character varying(7)", TypeFit::narrower},
               {"varchar(3)", "character(3)", TypeFit::narrower},  // char pads the value
               {"bigint", "integer", TypeFit::narrower},
               {"integer", "smallint", TypeFit::narrower},
               {"integer", "numeric(9,0)", TypeFit::narrower},  // 2147483647 has 10 digits
               {"numeric(12,2)", "numeric(10,2)", TypeFit::narrower},
               {"numeric(12,2)", "numeric(12,1)", TypeFit::narrower},  // rounds
               {"numeric(12,2)", "numeric(12,3)", TypeFit::narrower},  // one integer digit less
               {"numeric", "numeric(38,12)", TypeFit::narrower},
               {"numeric(10,0)", "integer", TypeFit::narrower},
               {"numeric(12,2)", "bigint", TypeFit::narrower},
               {"bigint", "double precision", TypeFit::narrower},  // past 2^53
               {"double", "real", TypeFit::narrower},
               {"timestamp", "date", TypeFit::narrower}});
}

TEST(ColumnTypeFit, AnotherKindOfTypeIsNotTheConfigsTable) {
  expect_fits({{"timestamp", "timestamp with time zone", TypeFit::different},
               {"timestamptz", "timestamp without time zone", TypeFit::different},
               {"integer", "text", TypeFit::different},
               {"text", "integer", TypeFit::different},
               {"boolean", "smallint", TypeFit::different},
               {"date", "text", TypeFit::different},
               {"text", "jsonb", TypeFit::different},  // a type sluice does not know
               {"text", "text[]", TypeFit::different}});
  EXPECT_FALSE(pg::column_type_from_catalog("uuid"));
}

TEST(ColumnTypeFit, MismatchLineNamesTheColumnAndBothTypes) {
  const std::string line =
      describe_type_mismatch("fact.code", type("text"), "character varying(7)", TypeFit::narrower);
  EXPECT_EQ(line.rfind("fact.code: config text, table character varying(7): ", 0), 0u) << line;
  EXPECT_NE(line.find("narrower"), std::string::npos) << line;
  EXPECT_EQ(type_fit_reason(TypeFit::holds), "");
}

TEST(ColumnTypeFit, SnowflakeCatalogTypes) {
  using snowflake::CatalogType;
  const auto sf = [](CatalogType c) { return snowflake::column_type(c); };
  EXPECT_EQ(sf({"TEXT", 16777216, {}, {}}), type("text"));
  EXPECT_EQ(sf({"TEXT", 134217728, {}, {}}), type("text"));  // the larger limit of newer accounts
  EXPECT_EQ(sf({"TEXT", 7, {}, {}}), type("varchar(7)"));
  EXPECT_EQ(sf({"NUMBER", {}, 12, 2}), type("numeric(12,2)"));
  EXPECT_EQ(sf({"NUMBER", {}, {}, {}}), type("numeric(38,0)"));
  EXPECT_EQ(sf({"FLOAT", {}, {}, {}}), type("double"));
  EXPECT_EQ(sf({"TIMESTAMP_NTZ", {}, {}, {}}), type("timestamp"));
  EXPECT_EQ(sf({"TIMESTAMP_LTZ", {}, {}, {}}), type("timestamptz"));
  EXPECT_FALSE(sf({"VARIANT", {}, {}, {}}));
  EXPECT_EQ(snowflake::display_name({"TEXT", 7, {}, {}}), "VARCHAR(7)");
  EXPECT_EQ(snowflake::display_name({"NUMBER", {}, 38, 0}), "NUMBER(38,0)");
  // What a table sluice created with --create reads back as (the load accepts it as the config's
  // type, though an unconstrained numeric has 12 decimal places there).
  EXPECT_EQ(snowflake::stored_type(type("text")), type("text"));
  EXPECT_EQ(snowflake::stored_type(type("char(3)")), type("varchar(3)"));
  EXPECT_EQ(snowflake::stored_type(type("real")), type("double"));
  EXPECT_EQ(snowflake::stored_type(type("numeric")), type("numeric(38,12)"));
  EXPECT_EQ(snowflake::stored_type(type("integer")), type("numeric(38,0)"));
  EXPECT_EQ(compare_column_types(type("integer"), sf({"NUMBER", {}, 38, 0})), TypeFit::holds);
  EXPECT_EQ(compare_column_types(type("text"), sf({"TEXT", 7, {}, {}})), TypeFit::narrower);
}

}  // namespace
}  // namespace sluice

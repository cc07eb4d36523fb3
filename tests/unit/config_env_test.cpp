// ${ENV_VAR} expansion in values: several per value, $${ as a literal ${, unset variables.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::parse_error;
using test::ScopedEnv;

std::string dsn_config(const std::string& dsn) {
  return "connections:\n  pg:\n    type: postgres\n    dsn: \"" + dsn + "\"\n";
}

std::string parsed_dsn(const std::string& dsn) {
  return parse_config(dsn_config(dsn), "t.yaml").connections.at("pg").postgres()->dsn;
}

TEST(ConfigEnv, ExpandsAVariable) {
  const ScopedEnv host("SLUICE_T_HOST", "db.internal");
  EXPECT_EQ(parsed_dsn("host=${SLUICE_T_HOST} dbname=a"), "host=db.internal dbname=a");
}

TEST(ConfigEnv, ExpandsSeveralVariablesInOneValue) {
  const ScopedEnv host("SLUICE_T_HOST", "db");
  const ScopedEnv db("SLUICE_T_DB", "analytics");
  EXPECT_EQ(parsed_dsn("host=${SLUICE_T_HOST} dbname=${SLUICE_T_DB}_${SLUICE_T_DB}"),
            "host=db dbname=analytics_analytics");
}

TEST(ConfigEnv, ASetButEmptyVariableExpandsToNothing) {
  const ScopedEnv empty("SLUICE_T_EMPTY", "");
  EXPECT_EQ(parsed_dsn("host=x${SLUICE_T_EMPTY}"), "host=x");
}

TEST(ConfigEnv, DoubleDollarBraceIsALiteral) {
  const ScopedEnv unset("SLUICE_T_UNSET", nullptr);
  EXPECT_EQ(parsed_dsn("application_name=$${SLUICE_T_UNSET}"), "application_name=${SLUICE_T_UNSET}");
  EXPECT_EQ(parsed_dsn("application_name=a$b$$c"), "application_name=a$b$$c");  // no brace: as is
}

TEST(ConfigEnv, AnUnsetVariableIsNamedWithItsPositionAndAHint) {
  const ScopedEnv unset("SLUICE_T_UNSET", nullptr);
  const Error e = parse_error(dsn_config("host=${SLUICE_T_UNSET}"));
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "environment variable \"SLUICE_T_UNSET\" is not set (used by \"dsn\")");
  EXPECT_EQ(e.detail(), "t.yaml:4:10");
  EXPECT_NE(e.hint().find("export SLUICE_T_UNSET="), std::string::npos) << e.hint();
}

TEST(ConfigEnv, AMalformedReferenceIsAnError) {
  for (const char* dsn : {"host=${", "host=${SLUICE T}", "host=${}", "host=${1X}"}) {
    const Error e = parse_error(dsn_config(dsn));
    EXPECT_EQ(e.primary(), "malformed environment variable reference in \"dsn\"") << dsn;
    EXPECT_EQ(e.detail(), "t.yaml:4:10") << dsn;
    EXPECT_NE(e.hint().find("$${"), std::string::npos);
  }
}

TEST(ConfigEnv, ExpandsInEveryKindOfValue) {
  const ScopedEnv table("SLUICE_T_TABLE", "SALES");
  const ScopedEnv dir("SLUICE_T_DIR", "/data/in");
  const ScopedEnv type("SLUICE_T_TYPE", "numeric(12,2)");
  const ScopedEnv target("SLUICE_T_TARGET", "pg");
  const ScopedEnv header("SLUICE_T_BOOL", "true");
  const Config c = parse_config(R"(target: ${SLUICE_T_TARGET}
connections:
  pg: { type: postgres, dsn: "host=x" }
tables:
  - table: ${SLUICE_T_TABLE}
    file_pattern: "${SLUICE_T_DIR}/sales_{month}.tsv"
    header: ${SLUICE_T_BOOL}
    columns: [{ name: amount, type: "${SLUICE_T_TYPE}" }]
)", "t.yaml");
  EXPECT_EQ(c.target, "pg");
  const TableSpec& t = c.tables.at(0);
  EXPECT_EQ(t.table, "SALES");
  EXPECT_EQ(t.feed.file_pattern, "/data/in/sales_{month}.tsv");
  EXPECT_TRUE(t.feed.header);
  EXPECT_EQ(to_string(t.columns.at(0).type), "numeric(12,2)");
}

TEST(ConfigEnv, ExpandsBeforeTildeInTheKeyFile) {
  const ScopedEnv home("HOME", "/home/loader");
  const ScopedEnv key_file("SLUICE_T_KEY", "~/keys/k.p8");
  const Config c = parse_config(R"(connections:
  snow:
    type: snowflake
    account: a
    user: u
    auth: { method: keypair, private_key_file: "${SLUICE_T_KEY}" }
    warehouse: w
    database: d
)", "t.yaml");
  EXPECT_EQ(c.connections.at("snow").snowflake()->auth.private_key_file, "/home/loader/keys/k.p8");
}

}  // namespace
}  // namespace sluice

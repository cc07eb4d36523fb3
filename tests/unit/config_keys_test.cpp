// Unknown, duplicate, missing and mis-shaped keys: each error names file:line:column, the key, and
// what is expected.
#include <gtest/gtest.h>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::parse_error;

TEST(ConfigKeys, UnknownTableKeySuggestsTheClosestKey) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    delimter: ","
    columns: [{ name: x, type: text }]
)");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "unknown key \"delimter\" in table entry");
  EXPECT_EQ(e.detail(), "t.yaml:4:5");
  EXPECT_EQ(e.hint(), "did you mean \"delimiter\"?");
  EXPECT_NE(e.report().find("t.yaml:4:5"), std::string::npos);
}

TEST(ConfigKeys, UnknownKeyWithNoCloseMatchListsTheAcceptedKeys) {
  const Error e = parse_error("colour: red\n");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "unknown key \"colour\" at the top level");
  EXPECT_EQ(e.detail(), "t.yaml:1:1");
  EXPECT_EQ(e.hint(), "accepted keys: target, connections, tables, migrations");
}

TEST(ConfigKeys, SwappedLettersCountAsOneEdit) {
  const Error e = parse_error(R"(connections:
  pg:
    type: postgres
    dns: "host=x"
)");
  EXPECT_EQ(e.primary(), "unknown key \"dns\" in postgres connection \"pg\"");
  EXPECT_EQ(e.detail(), "t.yaml:4:5");
  EXPECT_EQ(e.hint(), "did you mean \"dsn\"?");
}

TEST(ConfigKeys, KeysAreCaseSensitiveButTheHintIsNot) {
  const Error e = parse_error("tables:\n  - Table: A\n    file_pattern: a.tsv\n    columns: [{ name: x, type: text }]\n");
  EXPECT_EQ(e.primary(), "unknown key \"Table\" in table entry");
  EXPECT_EQ(e.detail(), "t.yaml:2:5");
  EXPECT_EQ(e.hint(), "did you mean \"table\"?");
}

TEST(ConfigKeys, UnknownKeyInAFlowColumnEntryPointsAtTheKey) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    columns:
      - { name: x, typ: text }
)");
  EXPECT_EQ(e.primary(), "unknown key \"typ\" in column entry");
  EXPECT_EQ(e.detail(), "t.yaml:5:20");
  EXPECT_EQ(e.hint(), "did you mean \"type\"?");
}

TEST(ConfigKeys, UnknownKeysInSnowflakeAuthAndStage) {
  const std::string head = R"(connections:
  snow:
    type: snowflake
    account: a
    user: u
    warehouse: w
    database: d
)";
  Error e = parse_error(head + "    auth: { method: keypair, private_key_file: /k.p8, passphrase: \"${P}\" }\n");
  EXPECT_EQ(e.primary(), "unknown key \"passphrase\" in auth of snowflake connection \"snow\"");
  EXPECT_EQ(e.detail(), "t.yaml:8:55");

  e = parse_error(head + "    auth: { method: keypair, private_key_file: /k.p8 }\n"
                         "    stage: { url: \"s3://b/\", regoin: eu-west-1 }\n");
  EXPECT_EQ(e.primary(), "unknown key \"regoin\" in stage of snowflake connection \"snow\"");
  EXPECT_EQ(e.detail(), "t.yaml:9:30");
  EXPECT_EQ(e.hint(), "did you mean \"region\"?");
}

TEST(ConfigKeys, DuplicateKeyNamesBothPlaces) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    table: B
    columns: [{ name: x, type: text }]
)");
  EXPECT_EQ(e.primary(), "duplicate key \"table\" in table entry");
  EXPECT_EQ(e.detail(), "t.yaml:4:5");
  EXPECT_NE(e.hint().find("t.yaml:2:5"), std::string::npos) << e.hint();
}

TEST(ConfigKeys, MissingRequiredKeyPointsAtTheEntryAndShowsTheExpectedForm) {
  const Error e = parse_error(R"(tables:
  - table: A
    columns: [{ name: x, type: text }]
)");
  EXPECT_EQ(e.primary(), "missing key \"file_pattern\" in table entry");
  EXPECT_EQ(e.detail(), "t.yaml:2:5");
  EXPECT_NE(e.hint().find("file_pattern: \""), std::string::npos) << e.hint();
}

TEST(ConfigKeys, AnEmptyValuePointsAtItsKey) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern:
    columns: [{ name: x, type: text }]
)");
  EXPECT_EQ(e.primary(), "key \"file_pattern\" has no value");
  EXPECT_EQ(e.detail(), "t.yaml:3:5");
  EXPECT_NE(e.hint().find("quote them"), std::string::npos) << e.hint();
}

TEST(ConfigKeys, AListWhereAValueBelongsIsAnError) {
  const Error e = parse_error("tables:\n  - table: [A, B]\n    file_pattern: a.tsv\n    columns: [{ name: x, type: text }]\n");
  EXPECT_EQ(e.primary(), "key \"table\" must be a single value, not a list");
  EXPECT_EQ(e.detail(), "t.yaml:2:12");
}

TEST(ConfigKeys, AValueWhereAListBelongsIsAnError) {
  const Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    columns: x
)");
  EXPECT_EQ(e.primary(), "key \"columns\" must be a list, not a single value");
  EXPECT_EQ(e.detail(), "t.yaml:4:14");
}

TEST(ConfigKeys, TablesMustBeAList) {
  const Error e = parse_error("tables:\n  table: A\n");
  EXPECT_EQ(e.primary(), "key \"tables\" must be a list, not a mapping");
  EXPECT_EQ(e.detail(), "t.yaml:2:3");
}

}  // namespace
}  // namespace sluice

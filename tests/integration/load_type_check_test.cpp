// A load compares the config's column types with the existing table's before it scans: a config
// type wider than the table's (text against varchar(7)) would let file QC pass values the server
// then rejects in the middle of the COPY. That is a usage error (exit 2) naming every such
// table.column with both types, and the table is not touched. Types the table holds (the same in
// another spelling, or wider) load as before.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/support/codes_table.h"
#include "tests/support/load_fixture.h"
#include "tests/support/test_postgres.h"

namespace sluice::test {
namespace {

class LoadTypeCheck : public LoadFixture {
 protected:
  void config(const std::string& code_type, const std::string& amount_type) {
    write_config(codes_table_yaml(code_type, amount_type));
  }
  // January, with a code of 9 characters on the 20th when `long_code`.
  void month_file(bool long_code = false) { dir_.write("codes_2024-01.tsv", codes_month_rows("2024-01", long_code ? 20 : 0)); }
  // The table, with December's row in it unless `empty`.
  void create_table(const std::string& columns, bool empty = false) {
    auto conn = test_connection();
    conn.exec(fmt::format("CREATE TABLE {}.codes ({})", schema_, columns));
    if (!empty) conn.exec(fmt::format("INSERT INTO {}.codes VALUES ('2023-12-31', 'OLD', 1.00)", schema_));
  }
  std::string column_type(const std::string& column) {
    return scalar(fmt::format("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{}.codes'::regclass "
                              "AND attname = '{}'",
                              schema_, column));
  }
  RunResult load() { return run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string()}); }
};

TEST_F(LoadTypeCheck, ConfigTypeWiderThanTheTablesIsAUsageErrorBeforeAnythingIsLoaded) {
  create_table("day date, code varchar(7), amount numeric(10,2)");
  const std::string before = digest("codes");
  config("text", "numeric(12,2)");
  month_file(true);  // a 9-character code: what the check is for, QC would pass it as text

  const auto r = load();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const std::string out = r.out + r.err;
  EXPECT_NE(out.find("does not match the config"), std::string::npos) << out;
  EXPECT_NE(out.find("codes.code: config text, table character varying(7)"), std::string::npos) << out;
  EXPECT_NE(out.find("codes.amount: config numeric(12,2), table numeric(10,2)"), std::string::npos) << out;
  EXPECT_EQ(out.find("codes.day"), std::string::npos) << "date against date is fine: " << out;
  EXPECT_NE(out.find("narrower"), std::string::npos) << out;
  // What to do: either side, with the statements that widen the table.
  EXPECT_NE(out.find(fmt::format("ALTER TABLE \"{}\".\"codes\" ALTER COLUMN \"code\" TYPE text;", schema_)),
            std::string::npos) << out;
  EXPECT_NE(out.find(fmt::format("ALTER TABLE \"{}\".\"codes\" ALTER COLUMN \"amount\" TYPE numeric(12,2);", schema_)),
            std::string::npos) << out;
  // Not a server error from the middle of a COPY: nothing reached the table.
  EXPECT_EQ(out.find("the server rejected a value"), std::string::npos) << out;
  EXPECT_EQ(digest("codes"), before);
  EXPECT_EQ(count("codes"), 1);
  EXPECT_EQ(column_type("code"), "character varying(7)");
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {}.sluice_load_history", schema_)), "0");

  // Widened as the hint says, the same config and file load.
  auto conn = test_connection();
  conn.exec(fmt::format("ALTER TABLE {0}.codes ALTER COLUMN code TYPE text, ALTER COLUMN amount TYPE numeric(12,2)", schema_));
  const auto again = load();
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count("codes"), 32);
}

TEST_F(LoadTypeCheck, AnotherKindOfTypeIsRefusedToo) {
  create_table("day date, code integer, amount timestamp", true);
  config("text", "numeric(12,2)");
  month_file();
  const auto r = load();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("codes.code: config text, table integer: another kind of type"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("codes.amount: config numeric(12,2), table timestamp without time zone"), std::string::npos)
      << r.out;
  EXPECT_EQ(count("codes"), 0);
}

TEST_F(LoadTypeCheck, ATableThatHoldsEveryValueLoads) {
  // The table is wider than the config (text for varchar(9), more digits and places).
  create_table("day date, code text, amount numeric(14,4)");
  config("varchar(9)", "numeric(12,2)");
  month_file(true);
  const auto r = load();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("codes"), 32);
}

TEST_F(LoadTypeCheck, EquivalentSpellingsAreTheSameType) {
  // PostgreSQL's own spellings in the table, sluice's synonyms in the config.
  create_table("day date, code character varying(9), amount float8");
  config("varchar(9)", "double");
  month_file(true);
  auto r = load();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  auto conn = test_connection();
  conn.exec(fmt::format("CREATE TABLE {}.counts (day date, n int4)", schema_));
  write_config("  - table: COUNTS\n"
               "    file_pattern: \"counts_{month}.tsv\"\n"
               "    date_column: DAY\n"
               "    columns:\n"
               "      - { name: DAY, type: date }\n"
               "      - { name: N, type: integer }\n");
  std::string s;
  for (int d = 1; d <= 31; ++d) s += fmt::format("2024-01-{:02}\t{}\n", d, d * 1000);
  dir_.write("counts_2024-01.tsv", s);
  r = run({"--batch", "load", "--files", (dir_ / "counts_2024-01.tsv").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("counts"), 31);
}

}  // namespace
}  // namespace sluice::test

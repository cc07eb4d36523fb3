// `sluice delete` over two Snowflake tables when the second DELETE fails: with Time Travel each
// DELETE commits on its own, so the first table's rows are gone. The error says so (which table,
// how many rows, which statement) and `sluice restore JOB` puts them back; the second table is
// unchanged. (The failure is planted with a PostgreSQL trigger behind the emulator.)
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class DeletePartialFailureSnowflake : public SnowflakeFixture {};

TEST_F(DeletePartialFailureSnowflake, TheErrorNamesWhatIsGoneAndRestoreBringsItBack) {
  write_config(daily_yaml("ALPHA") + daily_yaml("BETA"));
  create_daily("ALPHA", "integer", "2024-01-01", "2024-01-31", 5);
  create_daily("BETA", "integer", "2024-01-01", "2024-01-31", 5);
  const std::string alpha = digest("ALPHA"), beta = digest("BETA");
  exec(fmt::format("CREATE FUNCTION \"{0}\".refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION 'deletes refused by the test'; END $$;"
                   "CREATE TRIGGER refuse BEFORE DELETE ON {1} FOR EACH ROW EXECUTE FUNCTION \"{0}\".refuse()",
                   schema_, pg_table("BETA")));

  const auto r = run({"--batch", "delete", "--month", "2024-01", "--yes"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("deletes refused by the test"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("deleted before the failure"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(schema_ + ".ALPHA: 155 rows by statement "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sluice restore 1"), std::string::npos) << r.err;
  EXPECT_EQ(count("ALPHA"), 0);
  EXPECT_EQ(digest("BETA"), beta);

  const auto back = run({"--batch", "restore", "1"});
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err << sf_->stderr_text();
  EXPECT_EQ(digest("ALPHA"), alpha);
  EXPECT_EQ(digest("BETA"), beta);
}

}  // namespace
}  // namespace sluice::test

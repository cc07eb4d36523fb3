#include "tests/support/snowflake_fixture.h"

#include "tests/support/snowflake_config.h"

#include <cctype>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/progress.h"

#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {
namespace {

constexpr const char* kAkid = "AKIDSFWHTEST";
constexpr const char* kSecret = "sfwh/test/secret";

std::string sql_type(const std::string& day_type) { return day_type == "date" ? "date" : "integer"; }

}  // namespace

void SnowflakeFixture::SetUpTestSuite() {
  emulators_ = new SnowflakeEmulators({kAkid, kSecret});
  key_ = &emulators_->key();
  s3_ = &emulators_->s3();
  sf_ = &emulators_->sql_api();
}

void SnowflakeFixture::TearDownTestSuite() {
  delete emulators_;
  emulators_ = nullptr;
  key_ = nullptr;
  s3_ = sf_ = nullptr;
}

void SnowflakeFixture::SetUp() {
  s3_->reset();
  sf_->reset();
  sf_->control("POST", "time_travel", nlohmann::json{{"retention_seconds", nullptr}});
  schema_ = create_snowflake_test_schema("SFWH");
}

void SnowflakeFixture::TearDown() {
  try {
    exec(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE; DROP SCHEMA IF EXISTS \"SLUICE_TRASH\" CASCADE", schema_));
  } catch (...) {
  }
}

void SnowflakeFixture::write_config(const std::string& tables_yaml) {
  config_ = dir_.path() / "sluice.yaml";
  std::ofstream(config_) << snowflake_config_yaml({key_->private_key_file.string(), schema_, sf_->url(), s3_->url(), ""}, tables_yaml);
}

std::string SnowflakeFixture::daily_yaml(const std::string& name, const std::string& day_type) {
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

void SnowflakeFixture::create_daily(const std::string& name, const std::string& day_type, const std::string& from,
                                    const std::string& to, int rows_per_day) {
  const std::string day = day_type == "date" ? "g.d::date" : "to_char(g.d, 'YYYYMMDD')::integer";
  exec(fmt::format("CREATE TABLE {t} (\"DAY\" {type}, \"ASSET\" numeric(38,0), \"AMOUNT\" numeric(12,2), \"NOTE\" text);"
                   "INSERT INTO {t} SELECT {day}, a, a * 1.5, 'row ' || a "
                   "FROM generate_series('{from}'::date, '{to}'::date, interval '1 day') g(d), generate_series(1, {n}) a",
                   fmt::arg("t", pg_table(name)), fmt::arg("type", sql_type(day_type) == "date" ? "date" : "numeric(38,0)"),
                   fmt::arg("day", day), fmt::arg("from", from), fmt::arg("to", to), fmt::arg("n", rows_per_day)));
}

std::string SnowflakeFixture::sample_yaml(const std::string& name, const std::string& pattern) {
  return table_entry_yaml(sample_table_spec(name, pattern, false), true);
}

std::filesystem::path SnowflakeFixture::generate(SampleDataOptions options, const std::string& name) {
  NullProgress progress;
  const auto path = dir_.path() / name;
  generate_sample_data(path, options, progress);
  return path;
}

RunResult SnowflakeFixture::run(std::vector<std::string> args) { return run_with(std::move(args), RunOptions{}); }

RunResult SnowflakeFixture::run_typed(std::vector<std::string> args, const std::string& input) {
  RunOptions o;
  o.terminal = true;
  o.terminal_input = input;
  return run_with(std::move(args), std::move(o));
}

RunResult SnowflakeFixture::run_with(std::vector<std::string> args, RunOptions o) {
  args.insert(args.begin(), {"--config", config_.string(), "--progress", "none"});
  o.env = {{"XDG_STATE_HOME", (dir_.path() / "state").string()},
           {"XDG_DATA_HOME", (dir_.path() / "data").string()},
           {"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
           {"AWS_ACCESS_KEY_ID", kAkid},
           {"AWS_SECRET_ACCESS_KEY", kSecret}};
  return run_sluice(args, o);
}

void SnowflakeFixture::exec(const std::string& sql) { test_connection().exec(sql); }

std::string SnowflakeFixture::scalar(const std::string& sql) {
  auto r = test_connection().query(sql);
  return r.rows() && !r.is_null(0, 0) ? std::string(r.get(0, 0)) : "";
}

std::int64_t SnowflakeFixture::count(const std::string& table) {
  return std::stoll(scalar("SELECT count(*) FROM " + pg_table(table)));
}

std::string SnowflakeFixture::digest(const std::string& table) {
  return scalar(fmt::format("SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM {} t", pg_table(table)));
}

bool SnowflakeFixture::table_exists(const std::string& table) {
  return scalar(fmt::format("SELECT count(*) FROM pg_tables WHERE schemaname = '{}' AND tablename = '{}'", schema_, table)) == "1";
}

std::string SnowflakeFixture::pg_table(const std::string& table) const { return fmt::format("\"{}\".\"{}\"", schema_, table); }

std::vector<std::string> SnowflakeFixture::submitted(const std::string& needle) const {
  std::vector<std::string> out;
  for (const auto& r : sf_->requests("op", "submit"))
    if (r.contains("statement") && r["statement"].get<std::string>().find(needle) != std::string::npos)
      out.push_back(r["statement"]);
  return out;
}

nlohmann::json SnowflakeFixture::json_of(const RunResult& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << r.out << r.err;
  return j;
}

}  // namespace sluice::test

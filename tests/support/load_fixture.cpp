#include "tests/support/load_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "app/commands/commands.h"
#include "core/progress.h"
#include "tests/support/test_postgres.h"

namespace sluice::test {

void LoadFixture::SetUp() {
  schema_ = unique_schema_or_table_name("t");
  auto conn = test_connection();
  conn.exec(fmt::format("CREATE SCHEMA {}", schema_));
}

void LoadFixture::TearDown() {
  try {
    auto conn = test_connection();
    conn.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
  } catch (...) {
  }
}

std::filesystem::path LoadFixture::write_config(const std::string& tables_yaml) {
  config_ = dir_ / "sluice.yaml";
  std::ofstream out(config_);
  out << "target: test\nconnections:\n  test: { type: postgres, dsn: \"" << TestPostgres::conninfo()
      << "\", schema: " << schema_ << " }\ntables:\n"
      << tables_yaml;
  return config_;
}

std::filesystem::path LoadFixture::write_sample_config(const std::string& table, const std::string& pattern) {
  const TableSpec spec = sample_table_spec(table, pattern, false);
  std::string yaml = embedded_config_yaml(spec);
  return write_config(yaml.substr(yaml.find("tables:\n") + 8));
}

std::filesystem::path LoadFixture::generate(SampleDataOptions options, const std::string& name) {
  NullProgress progress;
  const auto path = dir_ / name;
  generate_sample_data(path, options, progress);
  return path;
}

RunResult LoadFixture::run(std::vector<std::string> args) {
  if (!config_.empty()) args.insert(args.begin(), {"--config", config_.string()});
  RunOptions o;
  o.env = {{"XDG_STATE_HOME", (dir_ / "state").string()},
           {"XDG_DATA_HOME", (dir_ / "data").string()},
           {"XDG_CONFIG_HOME", (dir_ / "config").string()}};
  return run_sluice(args, o);
}

RunResult LoadFixture::run_typed(std::vector<std::string> args, const std::string& input, const std::string& type_after) {
  if (!config_.empty()) args.insert(args.begin(), {"--config", config_.string()});
  RunOptions o;
  o.env = {{"XDG_STATE_HOME", (dir_ / "state").string()},
           {"XDG_DATA_HOME", (dir_ / "data").string()},
           {"XDG_CONFIG_HOME", (dir_ / "config").string()}};
  o.terminal = true;
  o.terminal_input = input;
  o.type_after = type_after;
  return run_sluice(args, o);
}

std::string LoadFixture::scalar(const std::string& sql) {
  auto conn = test_connection();
  auto r = conn.query(sql);
  return r.rows() ? std::string(r.get(0, 0)) : "";
}

std::int64_t LoadFixture::count(const std::string& table, const std::string& where) {
  return std::stoll(scalar(fmt::format("SELECT count(*) FROM {}.{} {}", schema_, table, where.empty() ? "" : "WHERE " + where)));
}

bool LoadFixture::table_exists(const std::string& table) {
  return scalar(fmt::format("SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' AND table_name = '{}'",
                            schema_, table)) == "1";
}

std::string LoadFixture::digest(const std::string& table) {
  return scalar(fmt::format("SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM {}.{} t", schema_, table));
}

void LoadFixture::psql_copy(const std::string& file, const std::string& table, const std::string& like) {
  auto conn = test_connection();
  conn.exec(fmt::format("CREATE TABLE {s}.{t} (LIKE {s}.{l})", fmt::arg("s", schema_), fmt::arg("t", table), fmt::arg("l", like)));
  const std::string cmd = fmt::format(
      "psql -X -q -v ON_ERROR_STOP=1 \"{}\" -c \"\\copy {}.{} FROM '{}' WITH (FORMAT csv, DELIMITER E'\\t', NULL '')\"",
      TestPostgres::conninfo(), schema_, table, file);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace sluice::test

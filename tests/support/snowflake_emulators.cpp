#include "tests/support/snowflake_emulators.h"

#include <cctype>

#include <fmt/format.h>

#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {

SnowflakeEmulators::SnowflakeEmulators(const SnowflakeEmulatorOptions& o)
    : options_(o), key_(write_rsa_key(keys_dir_.path() / "rsa_key.p8")) {
  using nlohmann::json;
  EmulatorProcess::Options s3{"s3_emulator.py", {"--root", "{dir}/store"},
                              json{{"region", o.region},
                                   {"buckets", {"stage"}},
                                   {"credentials", {{{"access_key", o.access_key}, {"secret_key", o.secret_key}}}}}};
  s3.tls_dir = o.tls_dir;
  s3_ = std::make_unique<EmulatorProcess>(s3);
  json sql_api{{"account", "MYORG-MYACCT"},
               {"users", {{{"name", "LOADER"}, {"public_keys", {key_.public_key_pem}}}}},
               {"pg_dsn", TestPostgres::conninfo()},
               {"s3_root", (s3_->dir() / "store").string()},
               {"stages", {{"SLUICE_STAGE", "s3://stage/sluice/"}}},
               {"sync_wait_seconds", 1.0},
               {"rows_per_partition", 1000}};
  sql_api.update(o.sql_api_extra);
  EmulatorProcess::Options sf{"snowflake_emulator.py", {}, sql_api};
  sf.tls_dir = o.tls_dir;
  sql_api_ = std::make_unique<EmulatorProcess>(sf);
}

s3::S3Settings SnowflakeEmulators::s3_settings() const {
  s3::S3Settings s;
  s.bucket = "stage";
  s.region = options_.region;
  s.endpoint = s3_->url();
  s.addressing = s3::Addressing::path;
  s.credentials = {options_.access_key, options_.secret_key, ""};
  return s;
}

snowflake::SqlApiSettings SnowflakeEmulators::sql_api_settings() const {
  snowflake::SqlApiSettings s;
  s.base_url = sql_api_->url();
  s.database = "SLUICE";
  s.warehouse = "LOAD_WH";
  s.user_agent = "sluice-test/1";
  return s;
}

std::string create_snowflake_test_schema(const std::string& prefix) {
  std::string schema = unique_schema_or_table_name(prefix);
  for (auto& c : schema) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  test_connection().exec(fmt::format("CREATE SCHEMA \"{}\"", schema));
  return schema;
}

}  // namespace sluice::test

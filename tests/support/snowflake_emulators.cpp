#include "tests/support/snowflake_emulators.h"

#include "tests/support/test_postgres.h"

namespace sluice::test {

SnowflakeEmulators::SnowflakeEmulators(const SnowflakeEmulatorOptions& o)
    : key_(write_rsa_key(keys_dir_.path() / "rsa_key.p8")) {
  using nlohmann::json;
  s3_ = std::make_unique<EmulatorProcess>(EmulatorProcess::Options{
      "s3_emulator.py", {"--root", "{dir}/store"},
      json{{"region", o.region},
           {"buckets", {"stage"}},
           {"credentials", {{{"access_key", o.access_key}, {"secret_key", o.secret_key}}}}}});
  json sql_api{{"account", "MYORG-MYACCT"},
               {"users", {{{"name", "LOADER"}, {"public_keys", {key_.public_key_pem}}}}},
               {"pg_dsn", TestPostgres::conninfo()},
               {"s3_root", (s3_->dir() / "store").string()},
               {"stages", {{"SLUICE_STAGE", "s3://stage/sluice/"}}},
               {"sync_wait_seconds", 1.0},
               {"rows_per_partition", 1000}};
  sql_api.update(o.sql_api_extra);
  sql_api_ = std::make_unique<EmulatorProcess>(EmulatorProcess::Options{"snowflake_emulator.py", {}, sql_api});
}

}  // namespace sluice::test

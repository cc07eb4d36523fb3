#include "tests/support/snowflake_config.h"

#include <fmt/format.h>

#include "app/config.h"

namespace sluice::test {

std::string snowflake_config_yaml(const SnowflakeTestTarget& t, const std::string& tables_yaml) {
  return fmt::format(
      "target: snow\n"
      "connections:\n"
      "  snow:\n"
      "    type: snowflake\n"
      "    account: myorg-myacct\n"
      "    user: loader\n"
      "    auth: {{ method: keypair, private_key_file: \"{}\" }}\n"
      "    warehouse: LOAD_WH\n"
      "    database: SLUICE\n"
      "    schema: {}\n"
      "    endpoint: \"{}\"\n"
      "{}"
      "    stage: {{ name: SLUICE_STAGE, url: \"s3://stage/sluice/\", region: eu-west-1, endpoint: \"{}\", "
      "addressing: path }}\n"
      "tables:\n{}",
      t.private_key_file, t.schema, t.sql_api_url, t.ca_file.empty() ? "" : fmt::format("    ca_file: \"{}\"\n", t.ca_file),
      t.s3_url, tables_yaml);
}

std::string table_entry_yaml(const TableSpec& spec, bool with_duplicate_key) {
  TableSpec entry = spec;
  if (!with_duplicate_key) entry.duplicate_key.clear();
  return table_config_yaml(entry);
}

}  // namespace sluice::test

// Connections and the target: the embedded default, postgres and snowflake requirements.
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

// A complete snowflake connection; `extra` lines are appended inside it.
std::string snowflake(const std::string& extra = "") {
  return "connections:\n"
         "  snow:\n"
         "    type: snowflake\n"
         "    account: myorg-myaccount\n"
         "    user: LOADER\n"
         "    auth: { method: keypair, private_key_file: ~/.snowflake/loader.p8,\n"
         "            passphrase_env: SNOWFLAKE_KEY_PASSPHRASE }\n"
         "    warehouse: LOAD_WH\n"
         "    database: ANALYTICS\n" +
         extra;
}

TEST(ConfigConnections, NoConnectionsAndNoTargetMeanTheEmbeddedServer) {
  const Config c = parse_config(R"(tables:
  - { table: A, file_pattern: a.tsv, columns: [{ name: x, type: text }] }
)", "t.yaml");
  EXPECT_EQ(c.target, "local");
  ASSERT_EQ(c.connections.count("local"), 1u);
  const ConnectionSpec& local = c.target_connection();
  EXPECT_EQ(local.name, "local");
  EXPECT_EQ(local.type(), ConnectionType::postgres);
  EXPECT_TRUE(local.postgres()->embedded);
  EXPECT_EQ(&c.connection_for(c.tables.at(0)), &local);
}

TEST(ConfigConnections, EmptyConnectionsMappingAlsoMeansTheEmbeddedServer) {
  EXPECT_EQ(parse_config("connections: {}\n", "t.yaml").target, "local");
  EXPECT_EQ(parse_config("connections:\n", "t.yaml").target, "local");
}

TEST(ConfigConnections, TheOnlyConnectionIsTheTarget) {
  const Config c = parse_config(R"(connections:
  prod_pg: { type: postgres, dsn: "host=db.internal dbname=analytics user=loader" }
)", "t.yaml");
  EXPECT_EQ(c.target, "prod_pg");
  const PostgresConnection& pg = *c.connections.at("prod_pg").postgres();
  EXPECT_FALSE(pg.embedded);
  EXPECT_EQ(pg.dsn, "host=db.internal dbname=analytics user=loader");
  EXPECT_EQ(pg.schema, "public");
  EXPECT_EQ(c.connections.at("prod_pg").position.str(), "t.yaml:2:12");
}

TEST(ConfigConnections, SeveralConnectionsNeedATarget) {
  const Error e = parse_error(R"(connections:
  a: { type: postgres, embedded: true }
  b: { type: postgres, dsn: "host=x", schema: staging }
)");
  EXPECT_EQ(e.code(), ExitCode::usage);
  EXPECT_EQ(e.primary(), "missing key \"target\" at the top level");
  EXPECT_EQ(e.detail(), "t.yaml:1:1");
  EXPECT_NE(e.hint().find("one of: a, b"), std::string::npos) << e.hint();

  const Config c = parse_config(R"(target: b
connections:
  a: { type: postgres, embedded: true }
  b: { type: postgres, dsn: "host=x", schema: staging }
)", "t.yaml");
  EXPECT_EQ(c.target, "b");
  EXPECT_EQ(c.target_connection().postgres()->schema, "staging");
}

TEST(ConfigConnections, TargetMustNameADefinedConnection) {
  Error e = parse_error(R"(target: prod
connections:
  local: { type: postgres, embedded: true }
)");
  EXPECT_EQ(e.primary(), "target \"prod\" is not a defined connection");
  EXPECT_EQ(e.detail(), "t.yaml:1:9");
  EXPECT_EQ(e.hint(), "Defined connections: local");

  e = parse_error("target: local\n");  // only "no connections and no target" means embedded
  EXPECT_EQ(e.primary(), "target \"local\" is not a defined connection");
  EXPECT_EQ(e.detail(), "t.yaml:1:9");
}

TEST(ConfigConnections, TypeIsRequiredAndMustBeKnown) {
  Error e = parse_error("connections:\n  pg: { dsn: \"host=x\" }\n");
  EXPECT_EQ(e.primary(), "missing key \"type\" in connection \"pg\"");
  EXPECT_EQ(e.detail(), "t.yaml:2:7");
  EXPECT_EQ(e.hint(), "Expected type: postgres or type: snowflake (loads and migrations go into them), or type: "
                      "sqlite (a file migrations read from)");

  e = parse_error("connections:\n  pg: { type: mysql }\n");
  EXPECT_EQ(e.primary(), "unknown connection type \"mysql\" in connection \"pg\"");
  EXPECT_EQ(e.detail(), "t.yaml:2:15");

  e = parse_error("connections:\n  pg:\n");
  EXPECT_EQ(e.primary(), "connection \"pg\" is empty");
  EXPECT_EQ(e.detail(), "t.yaml:2:3");
}

TEST(ConfigConnections, PostgresNeedsEmbeddedOrDsnButNotBoth) {
  Error e = parse_error("connections:\n  pg: { type: postgres }\n");
  EXPECT_EQ(e.primary(), "missing key \"dsn\" in postgres connection \"pg\"");
  EXPECT_EQ(e.detail(), "t.yaml:2:7");
  EXPECT_NE(e.hint().find("embedded: true"), std::string::npos) << e.hint();

  e = parse_error("connections:\n  pg: { type: postgres, embedded: false }\n");
  EXPECT_EQ(e.primary(), "missing key \"dsn\" in postgres connection \"pg\"");

  e = parse_error("connections:\n  pg: { type: postgres, embedded: true, dsn: \"host=x\" }\n");
  EXPECT_EQ(e.primary(), "postgres connection \"pg\" sets both embedded: true and dsn");
  EXPECT_EQ(e.detail(), "t.yaml:2:46");

  e = parse_error("connections:\n  pg: { type: postgres, embedded: maybe }\n");
  EXPECT_EQ(e.primary(), "key \"embedded\" must be true or false, not \"maybe\"");
  EXPECT_EQ(e.detail(), "t.yaml:2:35");
}

TEST(ConfigConnections, DuplicateConnectionNamesAreAnError) {
  const Error e = parse_error(R"(connections:
  pg: { type: postgres, embedded: true }
  pg: { type: postgres, dsn: "host=x" }
)");
  EXPECT_EQ(e.primary(), "connection \"pg\" is defined twice");
  EXPECT_EQ(e.detail(), "t.yaml:3:3");
  EXPECT_NE(e.hint().find("t.yaml:2:7"), std::string::npos) << e.hint();
}

TEST(ConfigConnections, SnowflakeParsesEveryFieldAndExpandsTildeInTheKeyFile) {
  const ScopedEnv home("HOME", "/home/loader");
  const Config c = parse_config(snowflake(R"(    schema: STAGING
    role: LOADER
    stage: { name: SLUICE_STAGE, url: "s3://my-bucket/sluice/", region: us-east-1 }
    endpoint: https://myorg-myaccount.privatelink.snowflakecomputing.com
)"), "t.yaml");
  EXPECT_EQ(c.target, "snow");
  const ConnectionSpec& spec = c.connections.at("snow");
  EXPECT_EQ(spec.type(), ConnectionType::snowflake);
  const SnowflakeConnection& sf = *spec.snowflake();
  EXPECT_EQ(sf.account, "myorg-myaccount");
  EXPECT_EQ(sf.user, "LOADER");
  EXPECT_EQ(sf.auth.method, "keypair");
  EXPECT_EQ(sf.auth.private_key_file, "/home/loader/.snowflake/loader.p8");
  EXPECT_EQ(sf.auth.passphrase_env, "SNOWFLAKE_KEY_PASSPHRASE");
  EXPECT_EQ(sf.warehouse, "LOAD_WH");
  EXPECT_EQ(sf.database, "ANALYTICS");
  EXPECT_EQ(sf.schema, "STAGING");
  EXPECT_EQ(sf.role, "LOADER");
  EXPECT_EQ(sf.stage.name, "SLUICE_STAGE");
  EXPECT_EQ(sf.stage.url, "s3://my-bucket/sluice/");
  EXPECT_EQ(sf.stage.region, "us-east-1");
  EXPECT_EQ(sf.endpoint, "https://myorg-myaccount.privatelink.snowflakecomputing.com");
}

TEST(ConfigConnections, SnowflakeDefaultsAndAnAbsoluteKeyPath) {
  const Config c = parse_config(R"(connections:
  snow:
    type: snowflake
    account: a
    user: u
    auth: { method: keypair, private_key_file: /keys/u.p8 }
    warehouse: w
    database: d
)", "t.yaml");
  const SnowflakeConnection& sf = *c.connections.at("snow").snowflake();
  EXPECT_EQ(sf.schema, "PUBLIC");
  EXPECT_EQ(sf.auth.private_key_file, "/keys/u.p8");
  EXPECT_TRUE(sf.auth.passphrase_env.empty());
  EXPECT_TRUE(sf.stage.url.empty());
  EXPECT_TRUE(sf.endpoint.empty());
}

TEST(ConfigConnections, TildeInTheKeyFileNeedsHome) {
  const ScopedEnv home("HOME", nullptr);
  const Error e = parse_error(snowflake());
  EXPECT_EQ(e.primary(), "cannot expand ~ in private_key_file: HOME is not set");
  EXPECT_EQ(e.detail(), "t.yaml:6:48");
}

TEST(ConfigConnections, SnowflakeRequiredKeysAreNamedWhenMissing) {
  const std::string full = snowflake();
  for (const std::string key : {"account", "user", "auth", "warehouse", "database"}) {
    std::string text;
    bool skipping = false;
    for (size_t at = 0; at < full.size();) {  // drop the key's line(s)
      const size_t end = full.find('\n', at) + 1;
      const std::string line = full.substr(at, end - at);
      if (line.rfind("    " + key + ":", 0) == 0) skipping = true;
      else if (line.rfind("    ", 0) == 0 && line[4] != ' ') skipping = false;
      if (!skipping) text += line;
      at = end;
    }
    const Error e = parse_error(text);
    EXPECT_EQ(e.primary(), "missing key \"" + key + "\" in snowflake connection \"snow\"");
    EXPECT_EQ(e.detail(), "t.yaml:3:5");
    EXPECT_NE(e.hint().find(key + ":"), std::string::npos) << e.hint();
  }
}

TEST(ConfigConnections, SnowflakeAuthMustBeAKeyPairWithAKeyFile) {
  Error e = parse_error(snowflake().replace(snowflake().find("keypair"), 7, "password"));
  EXPECT_EQ(e.primary(), "unsupported auth method \"password\"");
  EXPECT_EQ(e.detail(), "t.yaml:6:21");

  e = parse_error(R"(connections:
  snow:
    type: snowflake
    account: a
    user: u
    auth: { method: keypair }
    warehouse: w
    database: d
)");
  EXPECT_EQ(e.primary(), "missing key \"private_key_file\" in auth of snowflake connection \"snow\"");
  EXPECT_EQ(e.detail(), "t.yaml:6:11");
}

TEST(ConfigConnections, OAuthAndProgrammaticAccessTokensComeFromAVariableOrAFile) {
  auto with_auth = [](const std::string& auth) {
    return "connections:\n  snow:\n    type: snowflake\n    account: a\n    user: u\n    auth: " +
           auth + "\n    warehouse: w\n    database: d\n";
  };
  Config c = parse_config(with_auth("{ method: oauth, token_env: SF_OAUTH }"), "t.yaml");
  EXPECT_EQ(c.connections.at("snow").snowflake()->auth.method, "oauth");
  EXPECT_EQ(c.connections.at("snow").snowflake()->auth.token_env, "SF_OAUTH");
  c = parse_config(with_auth("{ method: pat, token_file: /run/secrets/sf_pat }"), "t.yaml");
  EXPECT_EQ(c.connections.at("snow").snowflake()->auth.token_file, "/run/secrets/sf_pat");
  Error e = parse_error(with_auth("{ method: pat }"));
  EXPECT_EQ(e.primary(), "missing key \"token_env\" in auth of snowflake connection \"snow\"");
  e = parse_error(with_auth("{ method: oauth, token_env: \"ver:y/secret\" }"));
  EXPECT_EQ(e.primary(), "token_env must be the name of an environment variable");
  EXPECT_EQ(e.report().find("ver:y"), std::string::npos) << e.report();
}

TEST(ConfigConnections, PassphraseEnvMustBeAVariableNameAndIsNotEchoed) {
  std::string text = snowflake();
  text.replace(text.find("SNOWFLAKE_KEY_PASSPHRASE"), 24, "\"open sesame\"");
  const Error e = parse_error(text);
  EXPECT_EQ(e.primary(), "passphrase_env must be the name of an environment variable");
  EXPECT_EQ(e.detail(), "t.yaml:7:29");
  EXPECT_EQ(e.report().find("sesame"), std::string::npos) << e.report();
}

TEST(ConfigConnections, StageUrlMustBeS3) {
  const Error e = parse_error(snowflake("    stage: { name: S, url: \"gs://bucket/x/\" }\n"));
  EXPECT_EQ(e.primary(), "stage url must start with s3://");
  EXPECT_EQ(e.detail(), "t.yaml:10:28");
  EXPECT_NE(e.hint().find("s3://my-bucket/"), std::string::npos) << e.hint();

  EXPECT_NO_THROW(parse_config(snowflake("    stage: { url: \"s3://bucket/x/\" }\n"), "t.yaml"));
}

TEST(ConfigConnections, StageEndpointAddressingAndCredentialVariables) {
  const Config c = parse_config(
      snowflake("    stage: { url: \"s3://b/x/\", region: eu-west-1, endpoint: \"http://127.0.0.1:9000\", "
                "addressing: path, access_key_id_env: K_ID, secret_access_key_env: K_SECRET, "
                "session_token_env: K_TOKEN }\n"),
      "t.yaml");
  const SnowflakeStage& st = c.connections.at("snow").snowflake()->stage;
  EXPECT_EQ(st.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(st.addressing, "path");
  EXPECT_EQ(st.access_key_id_env, "K_ID");
  EXPECT_EQ(st.secret_access_key_env, "K_SECRET");
  EXPECT_EQ(st.session_token_env, "K_TOKEN");
  const SnowflakeStage defaults =
      parse_config(snowflake("    stage: { url: \"s3://b/x/\" }\n"), "t.yaml").connections.at("snow").snowflake()->stage;
  EXPECT_EQ(defaults.addressing, "auto");
  EXPECT_EQ(defaults.access_key_id_env, "AWS_ACCESS_KEY_ID");
  EXPECT_EQ(defaults.secret_access_key_env, "AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(defaults.session_token_env, "AWS_SESSION_TOKEN");

  Error e = parse_error(snowflake("    stage: { url: \"s3://b/x/\", endpoint: \"http://minio.lan:9000\" }\n"));
  EXPECT_EQ(e.primary(), "endpoint must be an https:// URL (http:// only to a loopback host)");
  e = parse_error(snowflake("    stage: { url: \"s3://b/x/\", addressing: dns }\n"));
  EXPECT_EQ(e.primary(), "unknown addressing \"dns\"");
  e = parse_error(snowflake("    stage: { url: \"s3://b/x/\", secret_access_key_env: \"wJalr/XUtn+FEMI\" }\n"));
  EXPECT_EQ(e.primary(), "secret_access_key_env must be the name of an environment variable");
  EXPECT_EQ(e.report().find("wJalr"), std::string::npos) << e.report();
}

TEST(ConfigConnections, EndpointIsHttpsOrHttpToLoopback) {
  for (const char* ok : {"https://example.com", "http://localhost:8080/", "http://127.0.0.1:9000",
                         "http://127.1.2.3", "http://[::1]:8443/x", "HTTP://LOCALHOST"}) {
    const Config c = parse_config(snowflake(std::string("    endpoint: \"") + ok + "\"\n"), "t.yaml");
    EXPECT_EQ(c.connections.at("snow").snowflake()->endpoint, ok);
  }
  for (const char* bad : {"http://example.com", "http://localhost.evil.com", "http://128.0.0.1",
                          "http://127.0.0.1.evil.com", "http://127.0.0.1:80@evil.com/",
                          "ftp://localhost", "https://", "localhost:8080", "http://[::2]"}) {
    const Error e = parse_error(snowflake(std::string("    endpoint: \"") + bad + "\"\n"));
    EXPECT_EQ(e.primary(), "endpoint must be an https:// URL (http:// only to a loopback host)")
        << bad;
    EXPECT_EQ(e.detail(), "t.yaml:10:15") << bad;
  }
}

TEST(ConfigConnections, TableConnectionMustExistAndDefaultsToTheTarget) {
  const std::string head = R"(target: local
connections:
  local: { type: postgres, embedded: true }
  prod_pg: { type: postgres, dsn: "host=db" }
tables:
  - { table: A, file_pattern: a.tsv, columns: [{ name: x, type: text }] }
)";
  const Config c = parse_config(
      head + "  - { table: B, connection: prod_pg, file_pattern: b.tsv, columns: [{ name: x, type: text }] }\n",
      "t.yaml");
  EXPECT_EQ(c.tables.at(0).connection, "");
  EXPECT_EQ(c.connection_for(c.tables.at(0)).name, "local");
  EXPECT_EQ(c.connection_for(c.tables.at(1)).name, "prod_pg");

  const Error e = parse_error(
      head + "  - { table: B, connection: snow, file_pattern: b.tsv, columns: [{ name: x, type: text }] }\n");
  EXPECT_EQ(e.primary(), "connection \"snow\" is not defined");
  EXPECT_EQ(e.detail(), "t.yaml:7:29");
  EXPECT_EQ(e.hint(), "Defined connections: local, prod_pg");
}

TEST(ConfigConnections, CaFileOnTheConnectionServesTheStageUnlessItHasItsOwn) {
  ScopedEnv home("HOME", "/home/loader");
  Config c = parse_config(snowflake("    ca_file: ~/proxy-ca.pem\n"
                                    "    stage: { url: \"s3://b/x/\" }\n"),
                          "t.yaml");
  EXPECT_EQ(c.connections.at("snow").snowflake()->ca_file, "/home/loader/proxy-ca.pem");
  EXPECT_EQ(c.connections.at("snow").snowflake()->stage.ca_file, "/home/loader/proxy-ca.pem");
  c = parse_config(snowflake("    ca_file: /etc/a.pem\n"
                             "    stage: { url: \"s3://b/x/\", ca_file: /etc/s3-ca.pem }\n"),
                   "t.yaml");
  EXPECT_EQ(c.connections.at("snow").snowflake()->ca_file, "/etc/a.pem");
  EXPECT_EQ(c.connections.at("snow").snowflake()->stage.ca_file, "/etc/s3-ca.pem");
}

}  // namespace
}  // namespace sluice

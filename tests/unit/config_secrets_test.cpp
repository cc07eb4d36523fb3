// Literal secrets are refused wherever they appear, and the message never repeats them.
#include <gtest/gtest.h>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::parse_error;

TEST(ConfigSecrets, SecretKeysWithLiteralValuesAreRefusedWithoutEchoingThem) {
  for (const std::string key :
       {"password", "token", "secret", "private_key", "passphrase", "aws_secret_access_key"}) {
    const Error e = parse_error("connections:\n  pg:\n    type: postgres\n    " + key +
                                ": hunter2\n    dsn: \"host=x\"\n");
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "key \"" + key + "\" holds a literal secret");
    EXPECT_EQ(e.detail(), "t.yaml:4:5");
    EXPECT_NE(e.hint().find("~/.pgpass"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("key file"), std::string::npos) << e.hint();
    EXPECT_EQ(e.report().find("hunter2"), std::string::npos) << e.report();
  }
}

TEST(ConfigSecrets, SecretKeysAreFoundAnywhereAndInAnyCase) {
  Error e = parse_error(R"(tables:
  - table: A
    file_pattern: a.tsv
    columns: [{ name: x, type: text, Token: "abc123" }]
)");
  EXPECT_EQ(e.primary(), "key \"Token\" holds a literal secret");
  EXPECT_EQ(e.detail(), "t.yaml:4:38");
  EXPECT_EQ(e.report().find("abc123"), std::string::npos);

  // Reported before the file's other problems, so no other message can quote it.
  e = parse_error("bogus: 1\nextra:\n  - { aws_secret_access_key: wJalrXUtnFEMI }\n");
  EXPECT_EQ(e.primary(), "key \"aws_secret_access_key\" holds a literal secret");
  EXPECT_EQ(e.detail(), "t.yaml:3:7");
  EXPECT_EQ(e.report().find("wJalr"), std::string::npos);
}

TEST(ConfigSecrets, AnEnvironmentReferenceIsNoSecretButTheKeyIsStillUnknown) {
  const Error e = parse_error(R"(connections:
  pg:
    type: postgres
    dsn: "host=x"
    password: ${PGPW}
)");
  EXPECT_EQ(e.primary(), "unknown key \"password\" in postgres connection \"pg\"");
  EXPECT_EQ(e.detail(), "t.yaml:5:5");
  EXPECT_NE(e.hint().find("PGPASSWORD"), std::string::npos) << e.hint();
}

TEST(ConfigSecrets, APasswordInTheDsnIsRefusedEvenAsAReference) {
  for (const char* dsn : {"host=x password=hunter2 user=u", "host=x password = hunter2",
                          "PASSWORD=hunter2", "host=x password=${PGPW}", "sslpassword=hunter2",
                          "postgresql://u:hunter2@db/analytics", "postgres://db/a?user=u&password=hunter2"}) {
    const Error e = parse_error(std::string("connections:\n  pg: { type: postgres, dsn: \"") + dsn +
                                "\" }\n");
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "key \"dsn\" contains a password") << dsn;
    EXPECT_EQ(e.detail(), "t.yaml:2:25") << dsn;
    EXPECT_NE(e.hint().find("PGPASSWORD or ~/.pgpass"), std::string::npos) << e.hint();
    EXPECT_EQ(e.report().find("hunter2"), std::string::npos) << e.report();
  }
}

TEST(ConfigSecrets, DsnsWithoutAPasswordAreAccepted) {
  for (const char* dsn : {"host=x user=loader passfile=/etc/sluice/pgpass",
                          "postgresql://loader@db:5432/analytics", "host=x application_name=password"}) {
    const Config c = parse_config(std::string("connections:\n  pg: { type: postgres, dsn: \"") + dsn +
                                      "\" }\n",
                                  "t.yaml");
    EXPECT_EQ(c.connections.at("pg").postgres()->dsn, dsn);
  }
}

}  // namespace
}  // namespace sluice

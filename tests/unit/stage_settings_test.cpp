// The S3 stage settings from the config entry and the environment.
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "warehouse/s3/stage_settings.h"

namespace sluice::s3 {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

SnowflakeStage stage(std::string url = "s3://my-bucket/sluice/in") {
  SnowflakeStage s;
  s.name = "SLUICE_STAGE";
  s.url = std::move(url);
  return s;
}

TEST(StageSettings, FromTheEnvironment) {
  const StageTarget t = stage_target(stage(), env_of({{"AWS_ACCESS_KEY_ID", "AKID"},
                                                      {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                                                      {"AWS_SESSION_TOKEN", "TOKEN"},
                                                      {"AWS_DEFAULT_REGION", "eu-central-1"}}));
  EXPECT_EQ(t.location.bucket, "my-bucket");
  EXPECT_EQ(t.location.prefix, "sluice/in/");
  EXPECT_EQ(t.settings.bucket, "my-bucket");
  EXPECT_EQ(t.settings.region, "eu-central-1");
  EXPECT_EQ(t.settings.endpoint, "");
  EXPECT_EQ(t.settings.addressing, Addressing::automatic);
  EXPECT_EQ(t.settings.credentials.access_key_id, "AKID");
  EXPECT_EQ(t.settings.credentials.secret_access_key, "SECRET");
  EXPECT_EQ(t.settings.credentials.session_token, "TOKEN");
}

TEST(StageSettings, ConfigWinsAndNamesItsOwnVariables) {
  SnowflakeStage s = stage();
  s.region = "us-west-2";
  s.endpoint = "http://127.0.0.1:9000";
  s.addressing = "path";
  s.access_key_id_env = "STAGE_KEY";
  s.secret_access_key_env = "STAGE_SECRET";
  const StageTarget t = stage_target(s, env_of({{"STAGE_KEY", "K"}, {"STAGE_SECRET", "S"},
                                                {"AWS_REGION", "eu-west-1"},
                                                {"AWS_ENDPOINT_URL", "https://other"},
                                                {"AWS_ACCESS_KEY_ID", "ignored"}}));
  EXPECT_EQ(t.settings.region, "us-west-2");
  EXPECT_EQ(t.settings.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(t.settings.addressing, Addressing::path);
  EXPECT_EQ(t.settings.credentials.access_key_id, "K");
  EXPECT_EQ(t.settings.credentials.session_token, "");
  const StageTarget u = stage_target(stage(), env_of({{"AWS_ACCESS_KEY_ID", "K"},
                                                      {"AWS_SECRET_ACCESS_KEY", "S"},
                                                      {"AWS_REGION", "eu-west-1"},
                                                      {"AWS_ENDPOINT_URL_S3", "https://s3.local"}}));
  EXPECT_EQ(u.settings.endpoint, "https://s3.local");
}

TEST(StageSettings, MissingPiecesAreUsageErrorsWithoutValues) {
  try {
    stage_target(stage(), env_of({{"AWS_ACCESS_KEY_ID", "AKIDVALUE"}, {"AWS_REGION", "eu-west-1"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "no S3 credentials for the stage s3://my-bucket/sluice/in");
    EXPECT_EQ(e.detail(), "AWS_ACCESS_KEY_ID is set, AWS_SECRET_ACCESS_KEY is not set.");
    EXPECT_EQ(e.report().find("AKIDVALUE"), std::string::npos);
  }
  EXPECT_THROW(stage_target(stage(), env_of({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}})),
               Error);  // no region
  SnowflakeStage plain = stage();
  plain.region = "eu-west-1";
  plain.endpoint = "http://minio.internal:9000";
  EXPECT_THROW(stage_target(plain, env_of({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}})),
               Error);
  EXPECT_THROW(stage_target(stage(""), env_of({})), Error);
}

TEST(StageSettings, CaFileFromTheEntryElseAwsCaBundle) {
  const auto env = env_of({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}, {"AWS_REGION", "eu-west-1"},
                           {"AWS_CA_BUNDLE", "/etc/ssl/aws-ca.pem"}});
  EXPECT_EQ(stage_target(stage(), env).settings.http.ca_file, "/etc/ssl/aws-ca.pem");
  SnowflakeStage s = stage();
  s.ca_file = "/etc/ssl/stage-ca.pem";
  EXPECT_EQ(stage_target(s, env).settings.http.ca_file, "/etc/ssl/stage-ca.pem");
  EXPECT_EQ(stage_target(stage(), env_of({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"},
                                          {"AWS_REGION", "eu-west-1"}}))
                .settings.http.ca_file,
            "");  // the system's bundle
}

}  // namespace
}  // namespace sluice::s3

#include "warehouse/s3/stage_settings.h"

#include <cstdlib>

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/http/url.h"

namespace sluice::s3 {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

StageTarget stage_target(const SnowflakeStage& stage, const EnvLookup& env) {
  if (stage.url.empty())
    throw usage_error("the Snowflake connection has no stage",
                      "Loading into Snowflake stages files in S3 first.",
                      "Add stage: { name: SLUICE_STAGE, url: \"s3://bucket/prefix/\", region: ... } "
                      "to the connection.");
  StageTarget t;
  t.location = S3Url::parse(stage.url);
  S3Settings& s = t.settings;
  s.bucket = t.location.bucket;
  s.region = !stage.region.empty() ? stage.region
                                   : env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
  if (s.region.empty())
    throw usage_error(fmt::format("no region for the stage {}", stage.url),
                      "Every S3 request is signed for the bucket's region.",
                      "Set region: in the stage entry, or export AWS_REGION.");
  s.endpoint = !stage.endpoint.empty()
                   ? stage.endpoint
                   : env("AWS_ENDPOINT_URL_S3").value_or(env("AWS_ENDPOINT_URL").value_or(""));
  if (!s.endpoint.empty()) http::require_allowed_endpoint(s.endpoint, "the S3 stage endpoint");
  s.addressing = stage.addressing == "path"      ? Addressing::path
                 : stage.addressing == "virtual" ? Addressing::virtual_hosted
                                                 : Addressing::automatic;
  const auto key_id = env(stage.access_key_id_env);
  const auto secret = env(stage.secret_access_key_env);
  if (!key_id || !secret)
    throw usage_error(
        fmt::format("no S3 credentials for the stage {}", stage.url),
        fmt::format("{} is {}, {} is {}.", stage.access_key_id_env, key_id ? "set" : "not set",
                    stage.secret_access_key_env, secret ? "set" : "not set"),
        fmt::format("Export {} and {} (and {} for temporary credentials).", stage.access_key_id_env,
                    stage.secret_access_key_env, stage.session_token_env));
  s.credentials.access_key_id = *key_id;
  s.credentials.secret_access_key = *secret;
  s.credentials.session_token = env(stage.session_token_env).value_or("");
  // The AWS CLI's and SDKs' variable for a private CA, so one setting serves both.
  s.http.ca_file = !stage.ca_file.empty() ? stage.ca_file : env("AWS_CA_BUNDLE").value_or("");
  return t;
}

}  // namespace sluice::s3

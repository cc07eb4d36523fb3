// From the config's stage entry and the environment to a ready S3Settings: bucket and prefix from
// the s3:// URL, region (config, else AWS_REGION / AWS_DEFAULT_REGION), endpoint override (config,
// else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), addressing, and the credentials from the
// environment variables the config names (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN by default). Errors name variables, never their values.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/config_model.h"
#include "warehouse/s3/s3_client.h"

namespace sluice::s3 {

// The value of an environment variable (nullopt when unset or empty).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

struct StageTarget {
  S3Url location;       // bucket and key prefix of the stage
  S3Settings settings;  // everything else left at its default (part size, retries, ...)
};

// Throws a usage Error when the stage has no URL, no region or no credentials.
StageTarget stage_target(const SnowflakeStage& stage, const EnvLookup& env = process_environment());

}  // namespace sluice::s3

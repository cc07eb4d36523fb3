#include "operations/stage_cleanup.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "operations/job_json.h"
#include "warehouse/s3/s3_client.h"
#include "warehouse/s3/stage_settings.h"

namespace sluice {
namespace {

// Seconds since the epoch of S3's "2026-11-22T07:12:00.000Z" (ListObjectsV2 LastModified,
// ListMultipartUploads Initiated); 0 when it does not parse.
std::time_t parse_s3_time(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

// "12/..." -> 12; 0 when the first path segment is not a job id (digits only).
std::int64_t job_of(std::string_view rest, std::string* dir) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 18) return 0;
  const std::string_view name = rest.substr(0, slash);
  if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) return 0;
  *dir = std::string(name) + "/";
  return std::stoll(std::string(name));
}

const SnowflakeConnection& snowflake_of(const ConnectionSpec& c) {
  if (const SnowflakeConnection* snowflake = c.snowflake()) return *snowflake;
  throw usage_error(fmt::format("connection \"{}\" is not a Snowflake connection", c.name),
                    "Only Snowflake loads stage files in S3.",
                    "Name a connection of type: snowflake with --connection.");
}

s3::StageTarget stage_of(const ConnectionSpec& c) { return s3::stage_target(snowflake_of(c).stage); }

}  // namespace

std::string_view to_string(StagedJobState s) {
  switch (s) {
    case StagedJobState::running: return "running";
    case StagedJobState::resumable: return "resumable";
    case StagedJobState::finished: return "finished";
    case StagedJobState::unknown: return "unknown";
  }
  return "unknown";
}

StageCleanup::StageCleanup(const ConnectionSpec& connection, JobLookup lookup, JobLog& jobs,
                           const Cancellation& cancel)
    : connection_(connection), lookup_(std::move(lookup)), jobs_(jobs), cancel_(cancel) {}

void StageCleanup::classify(StagedJobDir& d) {
  const JobFacts f = lookup_(d.job_id);
  d.note.clear();
  if (f.known && f.status == JobStatus::running) {
    d.state = StagedJobState::running;
    d.note = fmt::format("pid {}", f.pid);
  } else if (f.resumed_by) {
    d.state = StagedJobState::running;
    d.note = fmt::format("being resumed by job {}", f.resumed_by);
  } else if (!f.known || f.kind != "load") {
    // Another machine's job store (or another state directory) may own it, and it may be running.
    d.state = StagedJobState::unknown;
    d.note = f.known ? fmt::format("job {} is a {}, not a load", d.job_id, f.kind) : "not in this job store";
  } else if (f.status == JobStatus::failed && f.error == "process ended unexpectedly") {
    d.state = StagedJobState::resumable;
    d.note = "process ended unexpectedly";
  } else {
    d.state = StagedJobState::finished;
    d.note = to_string(f.status);
  }
}

StageListing StageCleanup::list(const StageCleanRequest& request) {
  s3::StageTarget stage = stage_of(connection_);
  stage.settings.http.cancel = &cancel_;
  s3::S3Client s3(stage.settings);
  const std::string& prefix = stage.location.prefix;

  StageListing out;
  out.connection = connection_.name;
  out.stage_url = snowflake_of(connection_).stage.url;
  std::map<std::int64_t, StagedJobDir> dirs;
  std::map<std::int64_t, std::time_t> newest;
  auto dir_for = [&](const std::string& key) -> StagedJobDir* {
    std::string name;
    const std::int64_t id = key.size() > prefix.size() ? job_of(std::string_view(key).substr(prefix.size()), &name) : 0;
    if (!id) return nullptr;
    StagedJobDir& d = dirs[id];
    d.job_id = id;
    d.dir = prefix + name;
    return &d;
  };
  auto seen = [&](std::int64_t id, const std::string& when) {
    const std::time_t t = parse_s3_time(when);
    if (t > newest[id]) {
      newest[id] = t;
      dirs[id].newest = when;
    }
  };
  for (const s3::ObjectInfo& o : s3.list_objects(prefix)) {
    StagedJobDir* d = dir_for(o.key);
    if (!d) {
      ++out.other_objects;
      continue;
    }
    ++d->objects;
    d->bytes += o.size;
    seen(d->job_id, o.last_modified);
  }
  for (const s3::UploadInfo& u : s3.list_multipart_uploads(prefix)) {
    StagedJobDir* d = dir_for(u.key);
    if (!d) continue;  // not ours to abort
    ++d->uploads;
    seen(d->job_id, u.initiated);
  }

  const std::time_t now = std::time(nullptr);
  for (auto& [id, d] : dirs) {
    classify(d);
    d.age_days = newest[id] ? static_cast<double>(now - newest[id]) / 86400.0 : 0.0;
    if (!request.jobs.empty() && std::find(request.jobs.begin(), request.jobs.end(), id) == request.jobs.end())
      d.skip_reason = "not among --job";
    else if (d.state == StagedJobState::running)
      d.skip_reason = "running";
    else if (request.older_than_days && d.age_days < *request.older_than_days)
      d.skip_reason = fmt::format("newer than {:g} days", *request.older_than_days);
    else if (d.state == StagedJobState::unknown && !request.older_than_days)
      d.skip_reason = "unknown job (it may be running elsewhere): give --older-than DAYS to include it";
    else
      d.selected = true;
    out.dirs.push_back(d);
  }
  return out;
}

StageCleanResult StageCleanup::clean(const StageListing& listing) {
  s3::StageTarget stage = stage_of(connection_);
  stage.settings.http.cancel = &cancel_;
  s3::S3Client s3(stage.settings);

  StageCleanResult r;
  std::vector<std::int64_t> ids;
  for (const auto& d : listing.dirs)
    if (d.selected) ids.push_back(d.job_id);
  r.job_id = jobs_.begin_job("stage-clean", fmt::format("{}: {} job director{}", listing.stage_url, ids.size(),
                                                        ids.size() == 1 ? "y" : "ies"),
                             job_json({{"connection", listing.connection}, {"jobs", ids}}));
  try {
    for (const auto& planned : listing.dirs) {
      if (!planned.selected) continue;
      if (cancel_.cancelled()) throw runtime_error("cancelled", "the stage clean was interrupted",
                                                   "Run it again to remove the rest.");
      // Again, now: a `sluice load` may have started resuming this directory since the listing.
      StagedJobDir d = planned;
      classify(d);
      if (d.state == StagedJobState::running) {
        r.skipped.push_back(fmt::format("{} ({})", d.dir, d.note));
        continue;
      }
      const std::vector<s3::ObjectInfo> objects = s3.list_objects(d.dir);
      std::vector<std::string> keys;
      for (const s3::ObjectInfo& o : objects) keys.push_back(o.key);
      if (!keys.empty()) s3.delete_objects(keys);
      for (const s3::ObjectInfo& o : objects) {
        ++r.objects_deleted;
        r.bytes_deleted += o.size;
      }
      r.uploads_aborted += s3.abort_multipart_uploads(d.dir);
      ++r.dirs;
    }
  } catch (const Error& e) {
    jobs_.finish_job(r.job_id, cancel_.cancelled() ? JobStatus::cancelled : JobStatus::failed,
                     job_json({{"objects_deleted", r.objects_deleted}}), e.primary());
    throw;
  }
  jobs_.finish_job(r.job_id, JobStatus::succeeded,
                   job_json({{"dirs", r.dirs},
                             {"objects_deleted", r.objects_deleted},
                             {"bytes_deleted", r.bytes_deleted},
                             {"uploads_aborted", r.uploads_aborted}}),
                   "");
  return r;
}

}  // namespace sluice

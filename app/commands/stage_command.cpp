// sluice stage list | clean: the job directories a Snowflake connection's S3 stage holds, and the
// removal of those of jobs that are not running (operations/stage_cleanup.h).
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/confirmation.h"
#include "app/output.h"
#include "core/text_format.h"
#include "jobs/job_log_adapter.h"
#include "jobs/job_store.h"
#include "operations/stage_cleanup.h"
#include "output/json_text.h"

namespace sluice {
namespace {

// --connection, else the target when it is a Snowflake connection, else the only one.
const ConnectionSpec& snowflake_connection(const Config& config, const std::string& name) {
  if (!name.empty()) {
    const auto it = config.connections.find(name);
    if (it == config.connections.end())
      throw usage_error(fmt::format("no connection \"{}\" in {}", name, config.path));
    return it->second;
  }
  const auto target = config.connections.find(config.target);
  if (target != config.connections.end() && target->second.snowflake()) return target->second;
  const ConnectionSpec* only = nullptr;
  int n = 0;
  for (const auto& [_, c] : config.connections)
    if (c.snowflake()) {
      only = &c;
      ++n;
    }
  if (n == 1) return *only;
  throw usage_error(n == 0 ? "the config has no Snowflake connection" : "which Snowflake connection's stage?",
                    n == 0 ? "Only Snowflake loads stage files in S3." : "The config has several.",
                    n == 0 ? "" : "Name one with --connection.");
}

// The job store's view of a job: marks dead processes first, so "running" means alive.
JobLookup job_lookup(JobStore& store) {
  return [&store](std::int64_t id) {
    store.reap_dead_jobs();
    JobFacts f;
    if (auto j = store.job(id)) {
      f.known = true;
      f.kind = j->kind;
      f.status = j->status;
      f.error = j->error;
      f.pid = j->pid;
    }
    for (const JobRecord& r : store.recent_jobs(1000)) {
      if (r.status != JobStatus::running || r.kind != "load") continue;
      const auto args = nlohmann::json::parse(r.args_json, nullptr, false);
      const auto from = args.is_object() ? args.find("resumed_from") : args.end();
      if (from != args.end() && from->is_number_integer() && from->get<std::int64_t>() == id) f.resumed_by = r.id;
    }
    return f;
  };
}

nlohmann::json listing_json(const StageListing& l) {
  nlohmann::json dirs = nlohmann::json::array();
  for (const auto& d : l.dirs)
    dirs.push_back({{"job_id", d.job_id}, {"dir", d.dir}, {"state", std::string(to_string(d.state))}, {"note", d.note},
                    {"objects", d.objects}, {"bytes", d.bytes}, {"uploads", d.uploads}, {"newest", d.newest},
                    {"age_days", d.age_days}, {"selected", d.selected},
                    {"skip_reason", d.selected ? nlohmann::json(nullptr) : nlohmann::json(d.skip_reason)}});
  return {{"connection", l.connection}, {"stage", l.stage_url}, {"dirs", dirs}, {"other_objects", l.other_objects}};
}

std::string listing_text(const StageListing& l, bool clean) {
  std::string out = fmt::format("Stage {} (connection {}):\n\n", l.stage_url, l.connection);
  if (l.dirs.empty()) {
    out += "No job directories.\n";
  } else {
    std::vector<std::vector<std::string>> rows{
        {"JOB", "STATE", "OBJECTS", "BYTES", "UPLOADS", "NEWEST (UTC)", clean ? "CLEAN" : "NOTE"}};
    for (const auto& d : l.dirs)
      rows.push_back({std::to_string(d.job_id), std::string(to_string(d.state)), grouped(d.objects), human_bytes(d.bytes),
                      std::to_string(d.uploads), d.newest.substr(0, 19),
                      clean ? (d.selected ? "yes" : "no: " + d.skip_reason) : d.note});
    out += aligned_table(rows, {2, 3, 4});
  }
  if (l.other_objects)
    out += fmt::format("\n{} object(s) under the prefix are not in a job directory; stage clean never touches them.\n",
                       l.other_objects);
  return out;
}

}  // namespace

int run_stage_command(ApplicationContext& ctx, const StageCommandOptions& options) {
  const OutputFormat format = parse_output_format(options.out.format);
  if (format == OutputFormat::csv) throw usage_error("stage prints text or json", "", "Use --format text or --format json.");
  const bool text = format == OutputFormat::text;
  const ConnectionSpec& connection = snowflake_connection(ctx.config(), options.connection);
  JobStoreLog log(ctx.jobs());
  StageCleanup cleanup(connection, job_lookup(ctx.jobs()), log, ctx.cancellation());

  StageCleanRequest req;
  req.jobs = options.jobs;
  if (options.older_than_days >= 0) req.older_than_days = options.older_than_days;
  StageListing listing = cleanup.list(req);
  if (!options.clean) {
    emit(text ? listing_text(listing, false) : json_text(listing_json(listing)) + "\n", options.out.output);
    return 0;
  }

  int dirs = 0;
  std::uint64_t objects = 0, bytes = 0;
  int uploads = 0;
  for (const auto& d : listing.dirs)
    if (d.selected) {
      ++dirs;
      objects += d.objects;
      bytes += d.bytes;
      uploads += d.uploads;
    }
  const std::string preview = listing_text(listing, true);
  bool preview_shown = false;  // on the terminal already, before the confirmation
  auto finish = [&](const std::string& closing, const StageCleanResult* r) {
    if (text) {
      emit((preview_shown && options.out.output.empty() ? "" : preview + "\n") + closing + "\n", options.out.output);
    } else {
      nlohmann::json j = listing_json(listing);
      j["dry_run"] = options.dry_run;
      j["executed"] = r != nullptr;
      if (r)
        j["result"] = {{"job_id", r->job_id}, {"dirs", r->dirs}, {"objects_deleted", r->objects_deleted},
                       {"bytes_deleted", r->bytes_deleted}, {"uploads_aborted", r->uploads_aborted},
                       {"skipped", r->skipped}};
      emit(json_text(j) + "\n", options.out.output);
    }
    return 0;
  };
  if (dirs == 0) return finish("Nothing to clean.", nullptr);
  const std::string what = fmt::format("{} object(s) ({}) and {} unfinished upload(s) of {} job director{}", grouped(objects),
                                       human_bytes(bytes), uploads, dirs, dirs == 1 ? "y" : "ies");
  if (options.dry_run) return finish(fmt::format("Dry run: nothing was deleted. A clean would remove {}.", what), nullptr);
  if (!options.yes) {
    if (!ctx.interactive())
      throw usage_error("stage clean needs --yes when it cannot ask (--batch, or input is not a terminal)",
                        "nothing was deleted", "Check the preview with --dry-run, then run again with --yes.");
    std::fputs(preview.c_str(), stderr);
    require_typed_confirmation(fmt::format("\nThis deletes {} from {}.", what, listing.stage_url),
                               fmt::format("clean {}", dirs));
    preview_shown = true;
  }
  const StageCleanResult r = cleanup.clean(listing);
  ctx.log().info("stage clean job {}: {} objects, {} uploads from {}", r.job_id, r.objects_deleted, r.uploads_aborted,
                 listing.stage_url);
  std::string done = fmt::format("Removed {} object(s) ({}) and aborted {} upload(s) in {} job director{} (job {}).",
                                 grouped(r.objects_deleted), human_bytes(r.bytes_deleted), r.uploads_aborted, r.dirs,
                                 r.dirs == 1 ? "y" : "ies", r.job_id);
  for (const auto& s : r.skipped) done += "\nskipped, running now: " + s;
  return finish(done, &r);
}

}  // namespace sluice

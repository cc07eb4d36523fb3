// The Snowflake load: every file scanned once (QC + COPY text + zstd in the workers), its chunks
// staged in S3 as they are produced (StageSink: bounded parallelism and memory), then, when every
// file passed, one transaction of COPY INTO ... FROM @stage FILES = (...) with PURGE = TRUE and the
// history rows (SnowflakeTarget::publish). On a QC failure, an error or Ctrl-C, the job's staged
// files (and any unfinished multipart upload under its prefix) are removed, and nothing is loaded.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "loaders/input/byte_source.h"
#include "loaders/snowflake/snowflake_target.h"
#include "loaders/snowflake/stage_sink.h"
#include "operations/load_operation.h"
#include "operations/reject_file.h"
#include "operations/snowflake_resume_key.h"
#include "operations/table_qc.h"
#include "operations/validate_operation.h"
#include "warehouse/s3/stage_settings.h"
#include "warehouse/snowflake/dialect.h"
#include "warehouse/snowflake/snowflake_warehouse.h"
#include "warehouse/snowflake/sql_api_client.h"

namespace sluice {
namespace {

// A file name fit for an object key and a FILES = ('...') entry.
std::string safe_name(const std::filesystem::path& file) {
  std::string name = file.filename().string();
  for (const char* ext : {".zst", ".gz", ".tsv", ".csv", ".txt"})
    if (name.size() > std::strlen(ext) && name.ends_with(ext)) name.resize(name.size() - std::strlen(ext));
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  return name.empty() ? "file" : name;
}

// Deletes what the job staged: its objects and unfinished multipart uploads under its prefix.
// Uses its own client without the cancellation (Ctrl-C must not stop the clean-up). Never throws.
void remove_staged(const s3::S3Settings& settings, const std::string& prefix, ProgressSink& progress) {
  try {
    s3::S3Settings quiet = settings;
    quiet.http.cancel = nullptr;
    s3::S3Client s3(quiet);
    std::vector<std::string> keys;
    for (const auto& o : s3.list_objects(prefix)) keys.push_back(o.key);
    if (!keys.empty()) s3.delete_objects(keys);  // a request per thousand parts
    s3.abort_multipart_uploads(prefix);
    if (!keys.empty()) progress.note(fmt::format("removed {} staged file(s)", keys.size()));
  } catch (const Error& e) {
    progress.note(fmt::format("could not remove the staged files under {}: {}", prefix, e.primary()));
  }
}

}  // namespace

LoadSummary LoadOperation::run_snowflake(const ConnectionSpec& connection, const std::vector<SelectedFile>& files,
                                         const LoadRequest& req, LoadSummary summary,
                                         std::chrono::steady_clock::time_point started) {
  const SnowflakeConnection& sfc = connection.snowflake;
  if (req.on_error == OnError::skip && req.reject_file.empty())
    throw usage_error("--on-error skip needs --reject-file PATH");

  // The clients: SQL API (token from the connection's auth) and the S3 stage.
  const snowflake::SqlApiSettings sql_settings = snowflake::sql_api_settings(sfc, &cancel_);
  snowflake::SqlApiClient sql(sql_settings, std::shared_ptr<snowflake::TokenSource>(
                                                snowflake::make_token_source(sfc)));
  s3::StageTarget stage = s3::stage_target(sfc.stage);
  stage.settings.http.cancel = &cancel_;
  s3::S3Client s3(stage.settings);
  SnowflakeTarget target(sql, sfc.schema, sfc.stage.name);

  // Resume: the same files (path, size, time), target and staging settings as a load whose
  // process died give the same staged parts; that job's parts are checked, not uploaded again.
  // The key names the staged format: parts an older sluice staged in another are not resumed.
  const std::string resume_key = snowflake_resume_key(SnowflakeTarget::staged_format, connection, req, files);
  const std::int64_t resumed = jobs_.find_interrupted("load", resume_key);
  std::map<std::string, std::string> recorded;
  if (resumed) {
    const std::string bucket_url = "s3://" + stage.settings.bucket + "/";
    for (const auto& c : jobs_.chunks_of(resumed))
      if (c.status == "staged" && c.destination.starts_with(bucket_url))
        recorded[c.destination.substr(bucket_url.size())] = c.etag;
  }

  const std::string description = req.month.empty() ? fmt::format("{} file(s)", files.size())
                                                    : fmt::format("{} ({} file(s))", req.month, files.size());
  summary.job_id = jobs_.begin_job(
      "load", description,
      fmt::format(R"({{"month":"{}","files":{},"qc":"{}","replace":{},"create":{},"target":"snowflake",)"
                  R"("resume_key":"{}","resumed_from":{}}})",
                  req.month, files.size(), to_string(req.qc), req.replace, req.create, resume_key, resumed));
  if (resumed)
    progress_.note(fmt::format("resuming job {}: {} staged file(s) recorded; they are checked on the stage, "
                               "not uploaded again",
                               resumed, recorded.size()));
  // Under the stage: the interrupted job's directory when resuming, else this job's.
  const std::string job_dir = fmt::format("{}/", resumed ? resumed : summary.job_id);
  const std::string job_prefix = stage.location.prefix + job_dir;  // the objects' keys
  std::mutex jobs_mu;                                              // uploads record from their threads

  std::optional<RejectFile> rejects;
  if (req.on_error == OnError::skip) rejects.emplace(req.reject_file);
  // --qc warehouse: dropped at the end, published or not, with a client Ctrl-C does not stop.
  std::vector<std::string> staging_tables;
  auto drop_staging = [&] {
    if (staging_tables.empty()) return;
    snowflake::SqlApiSettings quiet = sql_settings;
    quiet.cancel = nullptr;
    try {
      snowflake::SqlApiClient cleanup(quiet, std::shared_ptr<snowflake::TokenSource>(snowflake::make_token_source(sfc)));
      for (const auto& t : staging_tables) target.drop_staging_table(cleanup, t);
    } catch (const Error& e) {
      progress_.note(fmt::format("could not drop the staging table(s) of job {}: {}", summary.job_id, e.primary()));
    }
    staging_tables.clear();
  };

  try {
    target.ensure_history_table();
    std::vector<SnowflakeFileLoad> loads;
    std::vector<std::size_t> load_of_file(files.size(), static_cast<std::size_t>(-1));
    bool any_failed = false;

    for (std::size_t i = 0; i < files.size(); ++i) {
      const SelectedFile& file = files[i];
      const TableSpec& table = *file.table;
      FileOutcome& o = summary.files.emplace_back();
      o.file = file;
      o.target = snowflake::normalize_identifier(sfc.schema) + "." + snowflake::normalize_identifier(table.table);
      const auto t0 = std::chrono::steady_clock::now();
      const std::string name = file.path.filename().string();
      auto fail = [&](FileStatus status, Error e) {
        o.status = status;
        o.error = std::move(e);
        any_failed = true;
      };

      bool load = !any_failed;

      const std::string table_dir = snowflake::normalize_identifier(table.table) + "/";
      std::optional<StageSink> sink;
      if (load) {
        StageSinkOptions so = req.staging;
        if (req.on_error == OnError::skip) so.skip_limit = req.max_errors;
        so.reuse_staged = resumed != 0;
        // A plain file's size is its stream's: the sink can shrink the last parts (stage_sink.h).
        if (open_byte_source(file.path)->compression() == Compression::none) {
          std::error_code ec;
          so.input_bytes = std::filesystem::file_size(file.path, ec);
        }
        so.recorded_etags = recorded;
        sink.emplace(s3, job_prefix + table_dir, safe_name(file.path), so,
                     [&, path = file.path.string()](const StagedPart& p) {
                       ChunkProgress c;
                       c.job_id = summary.job_id;
                       c.file = path;
                       c.chunk_index = p.first_chunk;
                       c.bytes = p.bytes;
                       c.rows = p.rows;
                       c.destination = s3::S3Url{stage.settings.bucket, ""}.url_of(p.key);
                       c.status = "staged";  // kept from an interrupted job, or uploaded now
                       c.etag = p.etag;
                       std::lock_guard lock(jobs_mu);
                       jobs_.record_chunk(c);
                     });
      }
      PipelineOptions popts = req.pipeline;
      popts.encode_copy = load;
      popts.zstd_level = load ? std::max(1, popts.zstd_level) : 0;
      popts.zstd_copy_text = load;
      popts.copy_format = CopyFormat::snowflake_csv;
      const FileSyntax syntax = FileSyntax::for_table(table, name);
      popts.phase = load ? "scan+stage" : "check";
      popts.skip_bad_rows = req.on_error == OnError::skip;
      popts.max_rejects_kept = static_cast<std::size_t>(req.max_errors) + 1;

      // Rows set aside go to the reject file, in file order, as the chunks pass.
      struct Tee final : ChunkSink {
        ChunkSink* inner;
        RejectFile* rejects;
        std::string file;
        std::function<void()> before_first;
        void consume(const ScannedChunk& c) override {
          if (before_first) std::exchange(before_first, nullptr)();
          if (rejects && c.rejects)
            for (const auto& r : *c.rejects) rejects->write(file, r, c.first_line);
          if (inner) inner->consume(c);
        }
      } tee;
      tee.inner = sink ? &*sink : nullptr;
      tee.rejects = rejects ? &*rejects : nullptr;
      tee.file = file.path.string();

      // The table checks (its columns, CREATE with --create, an earlier load of this file name)
      // are SQL round trips: they run while the scan starts, and the first chunk waits for them
      // before anything is staged. A table that fails them stages nothing; the file is still
      // scanned for its QC report.
      struct TableChecks {
        bool created = false;
        bool range_checked = false;
        std::optional<Error> refusal;
        std::vector<std::string> notes;
      };
      std::optional<std::pair<FileStatus, Error>> check_failure;
      bool range_checked = false;
      Cancellation file_cancel(&cancel_);
      std::future<TableChecks> checks;
      if (load)
        checks = std::async(std::launch::async, [&] {
          TableChecks c;
          c.created = target.prepare_table(table, req.create);
          std::error_code ec;
          const auto size = std::filesystem::file_size(file.path, ec);
          if (!req.replace) {
            SnowflakeWarehouse w(sql, sfc.schema);
            ReloadCheckInput in = reload_input(w, sfc.schema, table, name, o.target, req);
            in.table_is_new = c.created;
            c.refusal = reload_check_before_scan(in,
                                                 target.find_by_name(table, name, size), file.expected_range,
                                                 &c.range_checked, c.notes);
          }
          return c;
        });
      auto settle_checks = [&] {
        if (!checks.valid()) return;
        try {
          TableChecks c = checks.get();
          o.table_created = c.created;
          range_checked = c.range_checked;
          for (const auto& n : c.notes) progress_.note(n);
          if (c.refusal) check_failure.emplace(FileStatus::refused, std::move(*c.refusal));
        } catch (const Error& e) {
          if (cancel_.cancelled()) throw;
          check_failure.emplace(FileStatus::failed, e);
          progress_.note(fmt::format("{}: {}; nothing will be loaded (the file is still checked)", o.target, e.primary()));
        }
        if (check_failure && sink) {
          tee.inner = nullptr;
          sink->abandon();
        }
        // A refused file is not read on: the refusal stands whatever it holds.
        if (check_failure && check_failure->first == FileStatus::refused) file_cancel.cancel();
      };
      tee.before_first = settle_checks;

      try {
        o.scan = run_pipeline(file.path, syntax,
                              table_qc_settings(table, file.expected_range, req.qc == QcMode::file), popts,
                              (load || rejects) ? &tee : nullptr, progress_, file_cancel);
        o.scanned = true;
        apply_error_policy(req, o);
      } catch (const Error& e) {
        if (sink) sink->abandon();
        if (cancel_.cancelled()) throw;
        if (file_cancel.cancelled() && check_failure) {
          fail(check_failure->first, std::move(check_failure->second));  // refused: its scan was stopped
        } else {
          fail(FileStatus::failed, e);
        }
        o.seconds = seconds_since(t0);
        continue;
      }
      settle_checks();  // a file without rows never reached the sink
      if (o.table_created) progress_.note(fmt::format("created table {}", o.target));
      if (check_failure) {
        fail(check_failure->first, std::move(check_failure->second));
        load = false;
      }
      if (!o.scan.qc.passed()) {
        if (sink) sink->abandon();
        o.status = FileStatus::qc_failed;
        any_failed = true;
        o.seconds = seconds_since(t0);
        continue;
      }
      if (!load) {
        if (!o.error) o.status = FileStatus::rolled_back;
        o.seconds = seconds_since(t0);
        continue;
      }
      try {
        std::vector<StagedPart> parts = sink->finish();
        std::uint64_t staged_rows = 0;
        for (const auto& p : parts) staged_rows += p.rows;
        const std::uint64_t expected = o.scan.rows - o.rows_rejected;
        if (staged_rows != expected)
          throw runtime_error(fmt::format("{}: {} rows staged but {} scanned", name, staged_rows, expected),
                              o.target, "This should not happen: keep the file and report it. Nothing was loaded.");
        if (!req.replace) {
          // Nothing of this load is in the table yet: every row counted there was there before.
          SnowflakeWarehouse w(sql, sfc.schema);
          std::vector<std::string> notes;
          ReloadCheckInput in = reload_input(w, sfc.schema, table, name, o.target, req);
          in.table_is_new = o.table_created;
          auto refusal = reload_check_after_scan(
              in,
              target.find_by_checksum(table, o.scan.file_checksum, o.scan.content_checksum), o.scan.qc.found_range,
              range_checked, false, o.scan.qc.rows_per_day, expected, notes);
          for (const auto& n : notes) progress_.note(n);
          if (refusal) {
            fail(FileStatus::refused, std::move(*refusal));
            o.seconds = seconds_since(t0);
            continue;
          }
        }
        SnowflakeFileLoad l;
        l.table = &table;
        l.stage_dir = job_dir + table_dir;
        l.parts = std::move(parts);
        l.history.file_name = name;
        if (req.qc == QcMode::warehouse) {
          // The validate checks on the rows as Snowflake stores them, in a staging table; the
          // publish below takes them from there only when they pass.
          progress_.begin("qc", o.target, 0);
          TableValidation v;
          try {
            l.staging_table = target.create_staging_table(table, summary.job_id, i);
            staging_tables.push_back(l.staging_table);
            target.copy_to_staging(l, l.staging_table);
            SnowflakeWarehouse w(sql, sfc.schema);
            const TableSql staged(w.dialect(), table, sfc.schema, w.dialect().qualified(sfc.schema, l.staging_table));
            v = check_table(w, staged, file.expected_range);
          } catch (...) {
            progress_.end(false, "failed");
            throw;
          }
          progress_.end(v.passed(), v.passed() ? "passed" : "failed");
          o.scan.qc.findings.insert(o.scan.qc.findings.end(), v.findings.begin(), v.findings.end());
          if (!v.passed()) {
            o.status = FileStatus::qc_failed;
            any_failed = true;
            o.seconds = seconds_since(t0);
            continue;
          }
        }
        if (req.replace) l.replace = file.expected_range;
        HistoryRecord& h = l.history;
        h.table = table.table;
        h.file_name = name;
        h.file_path = std::filesystem::absolute(file.path).string();
        h.compression = to_string(o.scan.compression);
        h.qc_mode = to_string(req.qc);
        h.file_size = o.scan.file_bytes;
        h.file_checksum = o.scan.file_checksum;
        h.content_checksum = o.scan.content_checksum;
        h.rows_loaded = expected;
        h.rows_rejected = o.rows_rejected;
        h.range = file.expected_range ? file.expected_range : o.scan.qc.found_range;
        h.job_id = summary.job_id;
        h.replace = req.replace;
        load_of_file[i] = loads.size();
        loads.push_back(std::move(l));
        o.status = FileStatus::loaded;  // provisional: published below
      } catch (const Error& e) {
        if (cancel_.cancelled()) throw;
        fail(FileStatus::failed, e);
      }
      o.seconds = seconds_since(t0);
    }

    if (rejects) {
      rejects->close();
      if (rejects->rows()) summary.reject_file = rejects->path();
    }
    if (!any_failed) {
      std::size_t staged_files = 0;
      for (const auto& l : loads) staged_files += l.parts.size();
      // The warehouse reports nothing while COPY runs: the line shows the files and the time.
      progress_.begin("copy into",
                      fmt::format("{}.{}: {} staged file(s)", sfc.database, snowflake::normalize_identifier(sfc.schema),
                                  staged_files),
                      0);
      try {
        const std::vector<SnowflakeFileResult> results =
            target.publish(loads, summary.job_id, [&] { progress_.update({"copy into", "", 0, 0, 0}); });
        for (std::size_t i = 0; i < files.size(); ++i) {
          if (load_of_file[i] == static_cast<std::size_t>(-1)) continue;
          summary.files[i].rows_loaded = results[load_of_file[i]].rows_loaded;
          summary.files[i].rows_deleted = results[load_of_file[i]].rows_deleted;
        }
        summary.committed = true;
        progress_.end(true, "committed");
      } catch (const Error& e) {
        progress_.end(false, "failed");
        if (cancel_.cancelled()) throw;
        for (auto& f : summary.files)
          if (f.status == FileStatus::loaded) {
            f.status = FileStatus::failed;
            f.error = e;
          }
      }
    }
    if (!summary.committed) {
      for (auto& f : summary.files) {
        if (f.status == FileStatus::loaded) f.status = FileStatus::rolled_back;
        f.rows_loaded = 0;
        f.rows_deleted = 0;
      }
    }
    // PURGE removed what COPY loaded; anything else the job staged goes now.
    remove_staged(stage.settings, job_prefix, progress_);
    drop_staging();
  } catch (...) {
    remove_staged(stage.settings, job_prefix, progress_);
    drop_staging();
    jobs_.finish_job(summary.job_id, cancel_.cancelled() ? JobStatus::cancelled : JobStatus::failed, "{}", "load aborted");
    throw;
  }
  summary.seconds = seconds_since(started);
  std::uint64_t rows = 0;
  for (const auto& f : summary.files) rows += f.rows_loaded;
  jobs_.finish_job(summary.job_id, summary.committed ? JobStatus::succeeded : JobStatus::failed,
                   fmt::format(R"({{"files":{},"rows_loaded":{},"seconds":{:.1f}}})", summary.files.size(), rows,
                               summary.seconds),
                   summary.committed ? "" : "nothing loaded: see the file statuses");
  return summary;
}

}  // namespace sluice

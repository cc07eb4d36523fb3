#include "operations/load_operation.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <cmath>
#include <future>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "loaders/load_target.h"
#include "loaders/postgres/postgres_target.h"
#include "loaders/snowflake/snowflake_target.h"
#include "loaders/scan/file_syntax.h"
#include "loaders/scan/row_locator.h"
#include "operations/job_json.h"
#include "operations/reject_file.h"
#include "operations/reload_guard.h"
#include "operations/snowflake_resume_key.h"
#include "operations/table_qc.h"
#include "operations/table_sql.h"
#include "operations/validate_operation.h"

namespace sluice {

const char* to_string(QcMode mode) {
  switch (mode) {
    case QcMode::file: return "file";
    case QcMode::warehouse: return "warehouse";
    case QcMode::none: break;
  }
  return "none";
}

const char* to_string(FileStatus s) {
  switch (s) {
    case FileStatus::loaded: return "loaded";
    case FileStatus::qc_failed: return "QC failed";
    case FileStatus::refused: return "refused";
    case FileStatus::failed: return "failed";
    case FileStatus::rolled_back: return "not loaded";
    case FileStatus::checked: return "checked (dry run)";
  }
  return "?";
}

ExitCode LoadSummary::exit_code() const {
  if (committed) return ExitCode::ok;
  if (std::all_of(files.begin(), files.end(), [](const FileOutcome& f) { return f.status == FileStatus::checked; }))
    return ExitCode::ok;
  bool qc = false, usage = false;
  for (const auto& f : files) {
    if (f.status == FileStatus::qc_failed) qc = true;
    if (f.status == FileStatus::refused) usage = true;
    if (f.status == FileStatus::failed && f.error && f.error->code() != ExitCode::usage) return ExitCode::runtime;
    if (f.status == FileStatus::failed && f.error) usage = true;
  }
  if (qc) return ExitCode::qc_failed;
  return usage ? ExitCode::usage : ExitCode::runtime;
}

LoadOperation::LoadOperation(const Config& config, ConninfoResolver conninfo, JobLog& jobs, ProgressSink& progress,
                             const Cancellation& cancel)
    : config_(config), conninfo_(std::move(conninfo)), jobs_(jobs), progress_(progress), cancel_(cancel) {}

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

namespace {

// --on-error skip: within the limit, row-level findings are warnings (those rows are in the reject
// file); beyond it, the file fails and says why.
void apply_error_policy(const LoadRequest& req, FileOutcome& o) {
  if (req.on_error != OnError::skip || o.scan.rejected_rows == 0) return;
  if (o.scan.rejected_rows <= req.max_errors) {
    set_aside_row_findings(o.scan.qc);
    o.rows_rejected = o.scan.rejected_rows;
    return;
  }
  o.scan.qc.findings.insert(o.scan.qc.findings.begin(),
                            make_finding(Check::max_errors, o.scan.rejected_rows, fmt::arg("limit", req.max_errors)));
}

}  // namespace

LoadSummary LoadOperation::check_only(const std::vector<SelectedFile>& files, LoadSummary summary, const LoadRequest& req,
                                      std::chrono::steady_clock::time_point started) {
  summary.job_id = jobs_.begin_job("check", fmt::format("{} file(s), dry run", files.size()), "{}");
  bool failed = false;
  for (const auto& file : files) {
    FileOutcome& o = summary.files.emplace_back();
    o.file = file;
    o.target = file.table->table;
    const auto t0 = std::chrono::steady_clock::now();
    PipelineOptions popts = req.pipeline;
    popts.encode_copy = false;
    popts.phase = "check";
    try {
      o.scan = run_pipeline(file.path, FileSyntax::for_feed(file.table->feed, file.path.filename().string()),
                            table_qc_settings(*file.table, file.expected_range, req.qc == QcMode::file), popts, nullptr, progress_, cancel_);
      o.scanned = true;
      apply_error_policy(req, o);
      o.status = o.scan.qc.passed() ? FileStatus::checked : FileStatus::qc_failed;
    } catch (const Error& e) {
      if (cancel_.cancelled()) throw;
      o.status = FileStatus::failed;
      o.error = e;
    }
    failed = failed || o.status != FileStatus::checked;
    o.seconds = since(t0);
  }
  summary.seconds = since(started);
  jobs_.finish_job(summary.job_id, failed ? JobStatus::failed : JobStatus::succeeded, "{}", failed ? "QC failed" : "");
  return summary;
}

LoadSummary LoadOperation::run(const LoadRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  LoadSummary summary;
  summary.qc = req.qc;

  std::vector<SelectedFile> files;
  if (req.replace && req.append)
    throw usage_error("--replace and --append cannot be combined", "",
                      "--replace swaps the rows of the file's range for the file's; --append adds to them. Pick one.");
  if (!req.files.empty()) {
    if (req.tables.size() > 1)
      throw usage_error("--files takes at most one --table", "", "Run one load per table, or drop --table to match by pattern.");
    files = select_files(config_, req.files, req.tables.empty() ? "" : req.tables.front());
    // --files with --month: the files are that month's (for a name without a date in it).
    if (!req.month.empty()) {
      const auto month = parse_month(req.month);
      if (!month) throw usage_error(fmt::format("invalid --month \"{}\"", req.month), "", "Write the month as YYYY-MM, e.g. 2024-01.");
      for (auto& f : files) {
        if (f.expected_range && !(*f.expected_range == *month))
          throw usage_error(fmt::format("{} is named for {}, not --month {}", f.path.filename().string(),
                                        f.expected_range->str(), req.month),
                            "", "Drop --month (the name gives the range), or check the file.");
        f.expected_range = month;
      }
    }
  } else if (!req.month.empty()) {
    auto sel = select_by_month(config_, req.month, req.base_path, req.tables);
    files = std::move(sel.files);
    summary.not_found = std::move(sel.not_found);
  } else {
    throw usage_error("nothing to load", "", "Pass --month YYYY-MM [--base-path DIR], or --files a,b.");
  }
  if (files.empty()) {
    std::string detail;
    for (const auto& n : summary.not_found) detail += (detail.empty() ? "" : "\n") + n;
    throw usage_error(fmt::format("no files to load for {} in {}", req.month, req.base_path.string()), detail,
                      "Check --base-path and each table's file_pattern (sluice config validate).");
  }
  if (req.on_error == OnError::skip && req.reject_file.empty())
    throw usage_error("--on-error skip needs --reject-file PATH", "rows set aside must go somewhere a person can see them",
                      "Add --reject-file rejects.tsv (each bad row with its file, line and reason).");
  for (const auto& f : files) {
    if (req.replace && !f.expected_range)
      throw usage_error(fmt::format("--replace needs the date range of {}", f.path.filename().string()),
                        "the range comes from --month or a {month}/{date_range} in the file name",
                        fmt::format("Say which month it is (--files {} --month YYYY-MM --replace), or name the file "
                                    "after its pattern ({}).",
                                    f.path.string(), f.table->feed.file_pattern));
    if (req.replace && f.table->date_column.empty())
      throw usage_error(fmt::format("--replace needs a date_column for table {}", f.table->table), f.table->position.str(),
                        "Add date_column: to the table's config entry.");
  }

  if (req.dry_run && req.qc == QcMode::warehouse)
    throw usage_error("--dry-run cannot use --qc warehouse", "warehouse QC checks the rows in a staging table, which takes a load",
                      "Check the files with --dry-run --qc file, or load with --qc warehouse (nothing is published when it fails).");
  if (req.dry_run) return check_only(files, std::move(summary), req, started);

  // One target (one transaction) per connection, in the order the files come.
  std::vector<const ConnectionSpec*> connections;
  std::vector<std::size_t> target_of(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const ConnectionSpec& c = config_.connection_for(*files[i].table);
    std::size_t t = 0;
    while (t < connections.size() && connections[t] != &c) ++t;
    if (t == connections.size()) connections.push_back(&c);
    target_of[i] = t;
  }
  std::vector<std::unique_ptr<LoadTarget>> targets;
  for (const ConnectionSpec* c : connections) {
    if (const SnowflakeConnection* snowflake = c->snowflake()) {
      if (connections.size() != 1)
        throw usage_error(fmt::format("this load goes to the Snowflake connection \"{}\" and to other connections", c->name),
                          "a load is one transaction, and no transaction spans two warehouses",
                          "Load the tables of each connection separately (--table).");
      SnowflakeLoadSettings s;
      s.jobs = &jobs_;
      s.resume_key = snowflake_resume_key(SnowflakeTarget::staged_format, *c, req, files);
      s.staging = req.staging;
      s.progress = &progress_;
      s.cancel = &cancel_;
      targets.push_back(std::make_unique<SnowflakeTarget>(*snowflake, std::move(s)));
    } else if (const PostgresConnection* postgres = c->postgres()) {
      targets.push_back(std::make_unique<PostgresTarget>([this, c] { return conninfo_(*c); }, postgres->schema));
    } else {
      throw usage_error(fmt::format("connection \"{}\" is a SQLite file, which sluice reads but never loads into", c->name),
                        "", "Load into a postgres or snowflake connection.");
    }
  }

  nlohmann::json args = {{"month", req.month}, {"files", files.size()}, {"qc", to_string(req.qc)},
                         {"replace", req.replace}, {"create", req.create}};
  for (const auto& t : targets) t->describe(args);
  summary.job_id = jobs_.begin_job("load",
                                   req.month.empty() ? fmt::format("{} file(s)", files.size())
                                                     : fmt::format("{} ({} file(s))", req.month, files.size()),
                                   job_json(args));
  std::optional<RejectFile> rejects;
  if (req.on_error == OnError::skip) rejects.emplace(req.reject_file);
  std::mutex jobs_mu;  // chunks are recorded from the scan's and the uploads' threads
  bool any_failed = false;

  try {
    for (auto& t : targets) t->begin(summary.job_id);
    for (std::size_t i = 0; i < files.size(); ++i) {
      LoadTarget& target = *targets[target_of[i]];
      FileOutcome& o = summary.files.emplace_back();
      any_failed = !load_file(files[i], i, target, req, summary.job_id, rejects ? &*rejects : nullptr, jobs_mu, !any_failed, o) ||
                   any_failed;
    }
    if (rejects) {
      rejects->close();
      if (rejects->rows()) summary.reject_file = rejects->path();
    }
    if (!any_failed) {
      try {
        for (auto& t : targets)
          for (const auto& [index, done] : t->commit(progress_)) {
            summary.files[index].rows_loaded = done.rows_loaded;
            summary.files[index].rows_deleted = done.rows_deleted;
          }
        summary.committed = true;
      } catch (const Error& e) {
        if (cancel_.cancelled()) throw;
        for (auto& f : summary.files)
          if (f.status == FileStatus::loaded) {
            f.status = FileStatus::failed;
            f.error = e;
          }
      }
    }
    if (!summary.committed) {
      for (auto& t : targets) t->abandon();
      for (auto& f : summary.files) {
        if (f.status == FileStatus::loaded) f.status = FileStatus::rolled_back;
        f.rows_loaded = 0;  // rows_deleted stays: what would have been replaced
      }
    }
  } catch (...) {
    for (auto& t : targets) t->abandon();
    jobs_.finish_job(summary.job_id, cancel_.cancelled() ? JobStatus::cancelled : JobStatus::failed, "{}", "load aborted");
    throw;
  }
  summary.seconds = since(started);

  std::uint64_t rows = 0;
  for (const auto& f : summary.files) rows += f.rows_loaded;
  const nlohmann::json result = {{"files", summary.files.size()}, {"rows_loaded", rows},
                                 {"seconds", std::round(summary.seconds * 10) / 10}};
  jobs_.finish_job(summary.job_id, summary.committed ? JobStatus::succeeded : JobStatus::failed, job_json(result),
                   summary.committed ? "" : "nothing loaded: see the file statuses");
  return summary;
}

namespace {

// The scan's chunks on their way to the target: the table checks are settled before the first
// one goes (the checks run while the scan starts), rows set aside go to the reject file in file
// order, and where every sent row came from is kept for the server's errors.
class FileTee final : public ChunkSink {
 public:
  std::function<void()> before_first;
  ChunkSink* target = nullptr;
  RejectFile* rejects = nullptr;
  std::string file;
  SentRows sent;

  void consume(const ScannedChunk& c) override {
    if (before_first) std::exchange(before_first, nullptr)();
    if (rejects && c.rejects)
      for (const auto& r : *c.rejects) rejects->write(file, r, c.first_line);
    if (target) {
      sent.add(c);
      target->consume(c);
    }
  }
};

}  // namespace

// One file, from the table checks to its history row: false when it failed (nothing of the load
// is then published). `load` is false once an earlier file failed: the file is only checked.
bool LoadOperation::load_file(const SelectedFile& file, std::size_t index, LoadTarget& target, const LoadRequest& req,
                              std::int64_t job_id, RejectFile* rejects, std::mutex& jobs_mu, bool load, FileOutcome& o) {
  const TableSpec& table = *file.table;
  const auto t0 = std::chrono::steady_clock::now();
  o.file = file;
  o.target = target.display_table(table);
  TargetFile tf;
  tf.index = index;
  tf.table = &table;
  tf.path = file.path;
  tf.name = file.path.filename().string();
  tf.syntax = FileSyntax::for_feed(table.feed, tf.name);
  if (req.replace) tf.replace = file.expected_range;
  tf.warehouse_qc = req.qc == QcMode::warehouse;
  if (req.on_error == OnError::skip) tf.skip_limit = req.max_errors;
  bool failed = false;
  auto fail = [&](FileStatus status, Error e) {
    o.status = status;
    o.error = std::move(e);
    failed = true;
  };
  auto done = [&] {
    o.seconds = since(t0);
    return !failed;
  };
  const auto reload_input_for = [&](bool table_is_new) {
    ReloadCheckInput in;
    in.warehouse = &target.warehouse();
    in.table = &table;
    in.schema = target.warehouse().schema();
    in.file = tf.name;
    in.target = o.target;
    in.append = req.append;
    in.table_is_new = table_is_new;
    return in;
  };

  // The table checks (its columns, CREATE with --create, rows already where the file goes) are
  // round trips to the warehouse: they run while the scan starts, and the first chunk waits for
  // them. A file they refuse stops being read: the refusal stands whatever it holds. A table that
  // fails them takes nothing; the file is still scanned for its QC report.
  struct TableChecks {
    bool created = false;
    bool range_checked = false;
    std::optional<Error> refusal;
    std::vector<std::string> notes;
  };
  std::future<TableChecks> checks;
  if (load)
    checks = std::async(std::launch::async, [&] {
      TableChecks c;
      c.created = target.prepare_table(table, req.create);
      if (!req.replace) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(file.path, ec);
        c.refusal = reload_check_before_scan(reload_input_for(c.created),
                                             LoadHistory(target.warehouse()).load_of_file(table.table, tf.name, size),
                                             file.expected_range, &c.range_checked, c.notes);
      }
      return c;
    });
  std::optional<std::pair<FileStatus, Error>> check_failure;
  bool range_checked = false;
  bool sending = false;  // the target takes this file's chunks
  FileTee tee;
  tee.rejects = rejects;
  tee.file = file.path.string();
  Cancellation file_cancel(&cancel_);
  const auto settle_checks = [&] {
    if (!checks.valid()) return;
    try {
      TableChecks c = checks.get();
      o.table_created = c.created;
      range_checked = c.range_checked;
      if (o.table_created) progress_.note(fmt::format("created table {}", o.target));
      for (const auto& n : c.notes) progress_.note(n);
      if (c.refusal) {
        check_failure.emplace(FileStatus::refused, std::move(*c.refusal));
        file_cancel.cancel();
        return;
      }
      o.rows_deleted = target.open_file(tf, [this, &jobs_mu, job_id, path = file.path.string()](ChunkProgress p) {
        p.job_id = job_id;
        p.file = path;
        std::lock_guard lock(jobs_mu);
        jobs_.record_chunk(p);
      });
      if (o.rows_deleted)
        progress_.note(fmt::format("{}: {} rows of {} to be replaced", o.target, o.rows_deleted, tf.replace->str()));
      sending = true;
      tee.target = &target.file_sink();
    } catch (const Error& e) {
      if (cancel_.cancelled()) throw;
      check_failure.emplace(FileStatus::failed, e);
      // Said now: the file is still read for its QC report, which can take a while.
      progress_.note(fmt::format("{}: {}; nothing will be loaded (the file is still checked)", o.target, e.primary()));
    }
  };
  tee.before_first = settle_checks;

  PipelineOptions popts = req.pipeline;
  if (load) {
    target.configure(popts);
  } else {
    popts.encode_copy = false;
    popts.phase = "check";
  }
  popts.skip_bad_rows = req.on_error == OnError::skip;
  popts.max_rejects_kept = static_cast<std::size_t>(req.max_errors) + 1;
  try {
    o.scan = run_pipeline(file.path, tf.syntax, table_qc_settings(table, file.expected_range, req.qc == QcMode::file), popts,
                          (load || rejects) ? &tee : nullptr, progress_, file_cancel);
    o.scanned = true;
    apply_error_policy(req, o);
  } catch (const Error& e) {
    if (sending) target.abandon_file();
    if (checks.valid()) checks.wait();
    if (cancel_.cancelled()) throw;
    if (file_cancel.cancelled() && check_failure) {
      fail(check_failure->first, std::move(check_failure->second));  // refused: its scan was stopped
    } else {
      fail(FileStatus::failed, e);
    }
    return done();
  }
  settle_checks();  // a file without rows never reached the sink
  if (check_failure) {
    if (check_failure->first == FileStatus::refused) {
      // Refused before its rows went anywhere: what was read of it is not reported.
      o.scan = PipelineResult{};
      o.scanned = false;
    }
    fail(check_failure->first, std::move(check_failure->second));
    load = false;
  }
  if (!o.scan.qc.passed()) {
    if (sending) target.abandon_file();
    o.status = FileStatus::qc_failed;
    failed = true;
    return done();
  }
  if (!load) {
    if (!o.error) o.status = FileStatus::rolled_back;
    return done();
  }
  try {
    const std::uint64_t rows = target.close_file(tf, tee.sent);
    const std::uint64_t expected = o.scan.rows - o.rows_rejected;
    if (rows != expected)
      throw runtime_error(fmt::format("{}: {} rows reached {} but {} were read", tf.name, rows, o.target, expected),
                          "", "This should not happen: keep the file and report it. Nothing was loaded.");
    if (tf.warehouse_qc) {
      // The validate checks, on the rows as the warehouse stores them, before they are published.
      progress_.begin("qc", o.target, 0);
      std::string relation;
      try {
        relation = target.staged_relation(tf);
      } catch (...) {
        progress_.end(false, "failed");
        throw;
      }
      TableValidation v;
      try {
        v = check_table(target.warehouse(), TableSql(target.warehouse().dialect(), table, target.warehouse().schema(), relation),
                        file.expected_range);
      } catch (const Error& e) {
        progress_.end(false, "failed");
        // A failed check query, not a rejected value: report it as itself.
        throw runtime_error(fmt::format("{}: the warehouse QC of the staged rows failed", tf.name), e.report(),
                            "Nothing was loaded.");
      }
      progress_.end(v.passed(), v.passed() ? "passed" : "failed");
      o.scan.qc.findings.insert(o.scan.qc.findings.end(), v.findings.begin(), v.findings.end());
      if (!v.passed()) {
        o.status = FileStatus::qc_failed;
        failed = true;
        return done();
      }
      target.publish_staged(tf, rows);
    }
    if (!req.replace) {
      std::vector<std::string> notes;
      auto refusal = reload_check_after_scan(
          reload_input_for(o.table_created),
          LoadHistory(target.warehouse()).load_of_contents(table.table, o.scan.file_checksum, o.scan.content_checksum),
          o.scan.qc.found_range, range_checked, target.rows_visible_before_commit(), o.scan.qc.rows_per_day, rows, notes);
      for (const auto& n : notes) progress_.note(n);
      if (refusal) {
        fail(FileStatus::refused, std::move(*refusal));
        return done();
      }
    }
    HistoryRecord h;
    h.table = table.table;
    h.file_name = tf.name;
    h.file_path = std::filesystem::absolute(file.path).string();
    h.compression = to_string(o.scan.compression);
    h.qc_mode = to_string(req.qc);
    h.file_size = o.scan.file_bytes;
    h.file_checksum = o.scan.file_checksum;
    h.content_checksum = o.scan.content_checksum;
    h.rows_loaded = rows;
    h.rows_deleted = o.rows_deleted;
    h.rows_rejected = o.rows_rejected;
    h.range = file.expected_range ? file.expected_range : o.scan.qc.found_range;
    h.job_id = job_id;
    h.replace = req.replace;
    target.add_history(tf, h);
    o.rows_loaded = rows;
    o.status = FileStatus::loaded;  // until the commit says otherwise
  } catch (const Error& e) {
    if (cancel_.cancelled()) throw;
    fail(FileStatus::failed, e);
  }
  return done();
}

}  // namespace sluice

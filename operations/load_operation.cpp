#include "operations/load_operation.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <regex>

#include <fmt/format.h>

#include "loaders/postgres/postgres_target.h"
#include "loaders/scan/file_syntax.h"
#include "loaders/scan/row_locator.h"
#include "operations/reject_file.h"
#include "operations/reload_guard.h"
#include "operations/table_qc.h"
#include "operations/table_sql.h"
#include "operations/validate_operation.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/postgres/dialect.h"
#include "warehouse/postgres/postgres_warehouse.h"

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

ReloadCheckInput reload_input(Warehouse& w, const std::string& schema, const TableSpec& table, const std::string& file,
                              const std::string& target, const LoadRequest& req) {
  ReloadCheckInput in;
  in.warehouse = &w;
  in.table = &table;
  in.schema = schema;
  in.file = file;
  in.target = target;
  in.append = req.append;
  return in;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

namespace {

double since(std::chrono::steady_clock::time_point t) { return seconds_since(t); }

// Remembers where each chunk's rows are (to turn the server's row number into a file line),
// records each chunk in the job log as it is sent, and writes set-aside rows to the reject file.
class RecordingSink final : public ChunkSink {
 public:
  RecordingSink(ChunkSink& inner, JobLog& jobs, std::int64_t job_id, std::string file, std::string destination,
                RejectFile* rejects)
      : inner_(inner), jobs_(jobs), job_id_(job_id), file_(std::move(file)), destination_(std::move(destination)),
        rejects_(rejects) {}

  void consume(const ScannedChunk& c) override {
    inner_.consume(c);
    Span span{c.first_row, c.rows, c.first_line, c.rows_span_lines, {}};
    if (c.rejects) {
      for (const auto& r : *c.rejects) {
        span.rejected_rows.push_back(r.row);
        if (rejects_) rejects_->write(file_, r, c.first_line);
      }
    }
    spans_.push_back(std::move(span));
    ChunkProgress p;
    p.job_id = job_id_;
    p.file = file_;
    p.chunk_index = c.index;
    p.offset = c.stream_offset;
    p.bytes = c.stream_bytes;
    p.rows = c.rows - c.rejected_rows;
    p.destination = destination_;
    p.status = c.qc_errors ? (c.rejects ? "sent, rows set aside" : "qc_failed") : "sent";
    jobs_.record_chunk(p);
  }

  // File line of the server's 1-based row `sent_row` (rows set aside were never sent), or 0.
  std::uint64_t line_of(std::uint64_t sent_row, const std::filesystem::path& path, const FileSyntax& syntax) const {
    std::uint64_t sent_before = 0;
    for (const auto& s : spans_) {
      const std::uint64_t sent_here = s.rows - s.rejected_rows.size();
      if (sent_row > sent_before + sent_here) {
        sent_before += sent_here;
        continue;
      }
      // The k-th sent row of this chunk is its k-th row not set aside.
      std::uint64_t row = sent_row - sent_before - 1;
      for (std::uint64_t skipped : s.rejected_rows)
        if (skipped <= row) ++row;
      if (!s.spans_lines) return s.first_line + row;
      return line_of_row(path, syntax, s.first_row + row + 1);
    }
    return 0;
  }

 private:
  struct Span {
    std::uint64_t first_row, rows, first_line;
    bool spans_lines;
    std::vector<std::uint64_t> rejected_rows;  // ascending, chunk-relative
  };
  ChunkSink& inner_;
  JobLog& jobs_;
  std::int64_t job_id_;
  std::string file_, destination_;
  RejectFile* rejects_;
  std::vector<Span> spans_;
};

// A value the server rejected during COPY, told in the file's terms: file:line, table.column.
// Only data errors (SQLSTATE classes 22 and 23) are about a value; anything else (a lost
// connection, a full disk, a refused privilege) is reported as what it is.
Error copy_error(const pg::ServerError& e, const SelectedFile& file, const FileSyntax& syntax, const RecordingSink& rec) {
  const bool about_a_value = e.sqlstate().starts_with("22") || e.sqlstate().starts_with("23");
  if (!about_a_value) return e;
  static const std::regex where(R"(line (\d+)(?:, column ([^:]+))?)");
  std::smatch m;
  std::string location = file.path.string();
  std::string column;
  if (std::regex_search(e.context(), m, where)) {
    const std::uint64_t row = std::stoull(m[1].str());
    if (const std::uint64_t line = rec.line_of(row, file.path, syntax)) location += fmt::format(":{}", line);
    if (m[2].matched) {
      const std::string server_name = m[2].str();
      column = server_name;
      const int idx = file.table->column_index(server_name);
      if (idx >= 0)
        column = fmt::format("{}.{} (field {})", file.table->table, file.table->columns[static_cast<std::size_t>(idx)].name, idx + 1);
    }
  }
  std::string detail = column.empty() ? "" : "column " + column + "\n";
  detail += "PostgreSQL: " + e.primary();
  if (!e.detail().empty()) detail += "\n" + e.detail();
  if (!e.context().empty()) detail += "\n(" + e.context() + ")";
  return Error(ExitCode::runtime, fmt::format("{}: the server rejected a value", location), detail,
               "Fix the value in the file, or the column's type in the config. Nothing was loaded.");
}

}  // namespace

// --on-error skip: within the limit, row-level findings are warnings (those rows are in the reject
// file); beyond it, the file fails and says why.
void apply_error_policy(const LoadRequest& req, FileOutcome& o) {
  if (req.on_error != OnError::skip || o.scan.rejected_rows == 0) return;
  if (o.scan.rejected_rows <= req.max_errors) {
    set_aside_row_findings(o.scan.qc);
    o.rows_rejected = o.scan.rejected_rows;
    return;
  }
  Finding f;
  f.check = "max_errors";
  f.count = o.scan.rejected_rows;
  f.message = fmt::format("{} bad rows, more than --max-errors {}: nothing of this file is loaded",
                          o.scan.rejected_rows, req.max_errors);
  o.scan.qc.findings.insert(o.scan.qc.findings.begin(), std::move(f));
}

namespace {

struct Group {
  const ConnectionSpec* connection = nullptr;
  std::unique_ptr<pg::Connection> conn;
  std::unique_ptr<PostgresTarget> target;
  bool broken = false;  // its transaction can take no more statements
};

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
      o.scan = run_pipeline(file.path, FileSyntax::for_table(*file.table, file.path.filename().string()),
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
                                    f.path.string(), f.table->file_pattern));
    if (req.replace && f.table->date_column.empty())
      throw usage_error(fmt::format("--replace needs a date_column for table {}", f.table->table), f.table->position.str(),
                        "Add date_column: to the table's config entry.");
  }

  // One transaction per target connection, in the order the files come.
  std::vector<Group> groups;
  std::vector<std::size_t> group_of(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const ConnectionSpec& c = config_.connection_for(*files[i].table);
    std::size_t g = 0;
    while (g < groups.size() && groups[g].connection != &c) ++g;
    if (g == groups.size()) groups.push_back(Group{&c, nullptr, nullptr, false});
    group_of[i] = g;
  }
  if (req.dry_run && req.qc == QcMode::warehouse)
    throw usage_error("--dry-run cannot use --qc warehouse", "warehouse QC checks the rows in a staging table, which takes a load",
                      "Check the files with --dry-run --qc file, or load with --qc warehouse (nothing is published when it fails).");
  if (req.dry_run) return check_only(files, std::move(summary), req, started);
  for (const auto& g : groups) {
    if (g.connection->type != ConnectionType::snowflake) continue;
    if (groups.size() != 1)
      throw usage_error(fmt::format("this load goes to the Snowflake connection \"{}\" and to other connections",
                                    g.connection->name),
                        "a load is one transaction, and no transaction spans two warehouses",
                        "Load the tables of each connection separately (--table).");
    return run_snowflake(*g.connection, files, req, std::move(summary), started);
  }

  std::string description = req.month.empty() ? fmt::format("{} file(s)", files.size())
                                              : fmt::format("{} ({} file(s))", req.month, files.size());
  std::string args = fmt::format(R"({{"month":"{}","files":{},"qc":"{}","replace":{},"create":{}}})", req.month,
                                 files.size(), to_string(req.qc), req.replace, req.create);
  summary.job_id = jobs_.begin_job("load", description, args);

  auto rollback_all = [&] {
    for (auto& g : groups)
      if (g.target) g.target->rollback();
  };

  std::optional<RejectFile> rejects;
  if (req.on_error == OnError::skip) rejects.emplace(req.reject_file);

  bool any_failed = false;
  try {
    for (auto& g : groups) {
      g.conn = std::make_unique<pg::Connection>(pg::Connection::open(conninfo_(*g.connection), "sluice load"));
      g.target = std::make_unique<PostgresTarget>(*g.conn, g.connection->postgres.schema);
      g.target->ensure_history_table();
      g.target->begin();
    }

    for (std::size_t i = 0; i < files.size(); ++i) {
      const SelectedFile& file = files[i];
      const TableSpec& table = *file.table;
      Group& g = groups[group_of[i]];
      PostgresTarget& target = *g.target;
      FileOutcome& o = summary.files.emplace_back();
      o.file = file;
      o.target = fmt::format("{}.{}", pg::normalize_identifier(target.schema()), pg::normalize_identifier(table.table));
      const auto t0 = std::chrono::steady_clock::now();
      const std::string name = file.path.filename().string();
      const FileSyntax syntax = FileSyntax::for_table(table, name);
      const QcSettings qc = table_qc_settings(table, file.expected_range, req.qc == QcMode::file);

      bool load = !any_failed && !g.broken;
      bool range_checked = false;  // the range the rows go to was checked for rows already there
      std::string staging;  // --qc warehouse: the temporary table the rows are checked in
      auto fail = [&](FileStatus status, Error e, bool breaks_transaction) {
        o.status = status;
        o.error = std::move(e);
        any_failed = true;
        if (breaks_transaction) g.broken = true;
      };

      if (load) {
        try {
          target.lock_table(table);
          o.table_created = target.prepare_table(table, req.create);
          if (o.table_created) progress_.note(fmt::format("created table {}", o.target));
          if (!req.replace) {
            std::error_code ec;
            const auto size = std::filesystem::file_size(file.path, ec);
            PostgresWarehouse w(*g.conn, target.schema());
            std::vector<std::string> notes;
            ReloadCheckInput in = reload_input(w, target.schema(), table, name, o.target, req);
            in.table_is_new = o.table_created;
            auto refusal = reload_check_before_scan(in,
                                                    target.find_by_name(table, name, size), file.expected_range,
                                                    &range_checked, notes);
            for (const auto& n : notes) progress_.note(n);
            if (refusal) {
              fail(FileStatus::refused, std::move(*refusal), false);
              load = false;
            }
          }
          if (load && req.replace) {
            o.rows_deleted = target.delete_range(table, *file.expected_range);
            if (o.rows_deleted)
              progress_.note(fmt::format("{}: {} rows of {} to be replaced", o.target, o.rows_deleted, file.expected_range->str()));
          }
          if (load && req.qc == QcMode::warehouse) staging = target.create_staging_table(table, static_cast<int>(i));
          if (load)
            target.begin_copy(table, req.on_error == OnError::skip ? std::optional<std::uint64_t>(req.max_errors) : std::nullopt,
                              staging);
        } catch (const Error& e) {
          fail(FileStatus::failed, e, true);
          load = false;
          // Said now: the file is still read for its QC report, which can take a while.
          progress_.note(fmt::format("{}: {}; nothing will be loaded (the file is still checked)", o.target, e.primary()));
        }
      }

      // A file refused before its scan is not read: the refusal stands whatever it holds, and a
      // 50 GB month should be refused in a second, not after an hour.
      if (o.status == FileStatus::refused) {
        o.seconds = since(t0);
        continue;
      }
      PipelineOptions popts = req.pipeline;
      popts.encode_copy = load;
      popts.phase = load ? "load" : "check";
      popts.skip_bad_rows = req.on_error == OnError::skip;
      popts.max_rejects_kept = static_cast<std::size_t>(req.max_errors) + 1;
      RecordingSink rec(target.sink(), jobs_, summary.job_id, file.path.string(), "postgres:" + o.target,
                        rejects ? &*rejects : nullptr);
      try {
        o.scan = run_pipeline(file.path, syntax, qc, popts, load ? &rec : nullptr, progress_, cancel_);
        o.scanned = true;
        apply_error_policy(req, o);
      } catch (const Error& e) {
        if (cancel_.cancelled()) throw;
        fail(FileStatus::failed, e, load);
        o.seconds = since(t0);
        continue;
      }

      if (!o.scan.qc.passed()) {
        o.status = FileStatus::qc_failed;
        any_failed = true;
        if (load) g.broken = true;  // its COPY was aborted or is still open
        o.seconds = since(t0);
        continue;
      }
      if (!load) {
        if (!o.error) o.status = FileStatus::rolled_back;
        o.seconds = since(t0);
        continue;
      }
      try {
        const std::uint64_t copied = target.end_copy();
        const std::uint64_t expected_rows = o.scan.rows - o.rows_rejected;
        if (copied != expected_rows)
          throw runtime_error(fmt::format("{}: the server copied {} rows but {} were sent", name, copied, expected_rows),
                              o.target, "This should not happen: keep the file and report it. Nothing was loaded.");
        if (!staging.empty()) {
          // The validate checks, on the staged rows, in the load's transaction.
          progress_.begin("qc", o.target, 0);
          PostgresWarehouse w(*g.conn, target.schema());
          const TableSql staged(w.dialect(), table, target.schema(), staging);
          TableValidation v;
          try {
            v = check_table(w, staged, file.expected_range);
          } catch (const pg::ServerError& e) {
            // A failed check query, not a rejected value: report it as itself.
            throw runtime_error(fmt::format("{}: the warehouse QC of the staged rows failed", name), e.report(),
                                "Nothing was loaded.");
          }
          progress_.end(v.passed(), v.passed() ? "passed" : "failed");
          o.scan.qc.findings.insert(o.scan.qc.findings.end(), v.findings.begin(), v.findings.end());
          if (!v.passed()) {
            o.status = FileStatus::qc_failed;
            any_failed = true;
            o.seconds = since(t0);
            continue;
          }
          if (target.publish_staged(table, staging) != copied)
            throw runtime_error(fmt::format("{}: the staged rows did not all reach {}", name, o.target), "",
                                "This should not happen: report it. Nothing was loaded.");
        }
        if (!req.replace) {
          PostgresWarehouse w(*g.conn, target.schema());
          std::vector<std::string> notes;
          ReloadCheckInput in = reload_input(w, target.schema(), table, name, o.target, req);
          in.table_is_new = o.table_created;
          auto refusal = reload_check_after_scan(
              in, target.find_by_checksum(table, o.scan.file_checksum, o.scan.content_checksum), o.scan.qc.found_range,
              range_checked, true, o.scan.qc.rows_per_day, copied, notes);
          for (const auto& n : notes) progress_.note(n);
          if (refusal) {
            fail(FileStatus::refused, std::move(*refusal), true);
            o.seconds = since(t0);
            continue;
          }
        }
        HistoryRecord h;
        h.table = table.table;
        h.file_name = name;
        h.file_path = std::filesystem::absolute(file.path).string();
        h.compression = to_string(o.scan.compression);
        h.qc_mode = to_string(req.qc);
        h.file_size = o.scan.file_bytes;
        h.file_checksum = o.scan.file_checksum;
        h.content_checksum = o.scan.content_checksum;
        h.rows_loaded = copied;
        h.rows_deleted = o.rows_deleted;
        h.rows_rejected = o.rows_rejected;
        h.range = file.expected_range ? file.expected_range : o.scan.qc.found_range;
        h.job_id = summary.job_id;
        h.replace = req.replace;
        target.record_history(h);
        o.rows_loaded = copied;
        o.status = FileStatus::loaded;
      } catch (const pg::ServerError& e) {
        fail(FileStatus::failed, copy_error(e, file, syntax, rec), true);
      } catch (const Error& e) {
        fail(FileStatus::failed, e, true);
      }
      o.seconds = since(t0);
    }

    if (rejects) {
      rejects->close();
      if (rejects->rows()) summary.reject_file = rejects->path();
    }
    if (!any_failed) {
      progress_.begin("commit", "", 0);
      for (auto& g : groups) g.target->commit();
      progress_.end(true, "committed");
      summary.committed = true;
    } else {
      rollback_all();
      for (auto& f : summary.files) {
        if (f.status == FileStatus::loaded) f.status = FileStatus::rolled_back;
        f.rows_loaded = 0;
      }
    }
  } catch (...) {
    rollback_all();
    jobs_.finish_job(summary.job_id, cancel_.cancelled() ? JobStatus::cancelled : JobStatus::failed, "{}", "load aborted");
    throw;
  }
  summary.seconds = since(started);

  std::uint64_t rows = 0;
  for (const auto& f : summary.files) rows += f.rows_loaded;
  jobs_.finish_job(summary.job_id, summary.committed ? JobStatus::succeeded : JobStatus::failed,
                   fmt::format(R"({{"files":{},"rows_loaded":{},"seconds":{:.1f}}})", summary.files.size(), rows, summary.seconds),
                   summary.committed ? "" : "nothing loaded: see the file statuses");
  return summary;
}

}  // namespace sluice

#include "loaders/snowflake/snowflake_target.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/input/byte_source.h"
#include "warehouse/snowflake/dialect.h"
#include "warehouse/snowflake/snowflake_warehouse.h"

namespace sluice {
namespace {

namespace sf = snowflake;

constexpr std::size_t kMaxFilesPerCopy = 1000;

std::string upper(std::string_view s) { return sf::normalize_identifier(s); }

std::string lit(std::string_view v) { return sf::string_literal(v); }

struct Statement {
  enum Kind { other, remove_range, copy, insert_staged } kind = other;
  std::size_t file = 0;
  std::uint64_t expected_rows = 0;
  std::string sql;
};

std::string range_condition(const TableSpec& table, const DateRange& range) {
  const int idx = table.date_column_index();
  const ColumnSpec& col = table.columns.at(static_cast<std::size_t>(idx));
  const std::string c = sf::identifier(col.name);
  if (col.type.is_temporal())
    return fmt::format("{} >= {} AND {} < {}", c, lit(format_iso(range.first)), c,
                       lit(format_iso(range.last + 1)));
  if (col.type.is_integer() || col.type.kind == ColumnKind::numeric)
    return fmt::format("{} BETWEEN {} AND {}", c, format_compact(range.first), format_compact(range.last));
  // A text date column: every spelling the file QC accepts for each day of the range.
  std::string days;
  for (DayNumber d = range.first; d <= range.last; ++d)
    for (const std::string& s : day_spellings(d)) days += (days.empty() ? "" : ", ") + lit(s);
  return fmt::format("{} IN ({})", c, days);
}

// The COPY statements of one file's staged parts into `table` (at most 1000 names each).
void copy_statements(std::vector<Statement>& out, std::size_t i, const SnowflakeFileLoad& f, const std::string& table,
                     const std::string& stage) {
  std::string columns;
  for (const auto& c : f.table->columns) columns += (columns.empty() ? "" : ", ") + sf::identifier(c.name);
  for (std::size_t from = 0; from < f.parts.size(); from += kMaxFilesPerCopy) {
    const std::size_t to = std::min(f.parts.size(), from + kMaxFilesPerCopy);
    std::string names;
    std::uint64_t rows = 0;
    for (std::size_t p = from; p < to; ++p) {
      names += (names.empty() ? "" : ", ") + lit(f.parts[p].name);
      rows += f.parts[p].rows;
    }
    out.push_back({Statement::copy, i, rows,
                   fmt::format("COPY INTO {} ({}) FROM @{}/{} FILES = ({}) FILE_FORMAT = {} "
                               "ON_ERROR = ABORT_STATEMENT PURGE = TRUE",
                               table, columns, sf::identifier(stage), f.stage_dir, names,
                               SnowflakeTarget::file_format(f.table->columns.size()))});
  }
}

// The load history's statements for one file (warehouse/load_history.h), as Snowflake runs
// them inside the publish transaction: rendered by a SnowflakeWarehouse that buffers them.
std::vector<std::string> history_statements(const HistoryRecord& h, const std::string& rows_deleted_sql,
                                            const std::string& schema, sf::SqlApiClient& client) {
  SnowflakeWarehouse w(client, schema);
  w.begin();
  LoadHistory(w).record_load(h, rows_deleted_sql);
  std::vector<std::string> statements = w.pending();
  w.rollback();
  return statements;
}

std::vector<Statement> build(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id,
                             const std::string& schema, const std::string& stage, sf::SqlApiClient& client) {
  std::vector<Statement> out;
  out.push_back({Statement::other, 0, 0, "BEGIN"});
  for (std::size_t i = 0; i < files.size(); ++i) {
    const SnowflakeFileLoad& f = files[i];
    const TableSpec& t = *f.table;
    const std::string table = sf::qualified(schema, t.table);
    // The history row first: with --replace it counts the rows about to be deleted. Then the
    // rows it replaces (loads, deletes and restores overlapping the range) point at it.
    HistoryRecord h = f.history;
    h.staged_files = f.parts.size();
    h.job_id = job_id;
    h.replace = f.replace.has_value();
    const std::string deleted =
        f.replace ? fmt::format("(SELECT COUNT(*) FROM {} WHERE {})", table, range_condition(t, *f.replace)) : "";
    for (auto& sql : history_statements(h, deleted, schema, client)) out.push_back({Statement::other, i, 0, std::move(sql)});
    if (f.replace)
      out.push_back({Statement::remove_range, i, 0,
                     fmt::format("DELETE FROM {} WHERE {}", table, range_condition(t, *f.replace))});
    if (!f.staging_table.empty()) {
      // --qc warehouse: the checked rows go over from the staging table.
      std::string columns;
      for (const auto& c : t.columns) columns += (columns.empty() ? "" : ", ") + sf::identifier(c.name);
      out.push_back({Statement::insert_staged, i, f.history.rows_loaded,
                     fmt::format("INSERT INTO {} ({cols}) SELECT {cols} FROM {}", table,
                                 sf::qualified(schema, f.staging_table), fmt::arg("cols", columns))});
      continue;
    }
    copy_statements(out, i, f, table, stage);
  }
  out.push_back({Statement::other, 0, 0, "COMMIT"});
  return out;
}

// A file name fit for an object key and a FILES = ('...') entry.
std::string safe_name(const std::filesystem::path& file) {
  std::string name = file.filename().string();
  for (const char* ext : {".zst", ".gz", ".tsv", ".csv", ".txt"})
    if (name.size() > std::strlen(ext) && name.ends_with(ext)) name.resize(name.size() - std::strlen(ext));
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  return name.empty() ? "file" : name;
}

void require_stage_name(const std::string& stage) {
  if (stage.empty())
    throw usage_error("the Snowflake connection's stage has no name",
                      "COPY INTO reads the staged files through a named external stage.",
                      "Add name: to the stage entry (the stage created with CREATE STAGE ... URL = "
                      "the stage url).");
}

}  // namespace

SnowflakeTarget::SnowflakeTarget(snowflake::SqlApiClient& sql, std::string schema, std::string stage_name)
    : sql_(&sql), reads_(std::make_unique<SnowflakeWarehouse>(sql, schema)), schema_(std::move(schema)),
      stage_(std::move(stage_name)) {
  require_stage_name(stage_);
}

SnowflakeTarget::SnowflakeTarget(const SnowflakeConnection& c, SnowflakeLoadSettings settings)
    : schema_(c.schema), stage_(c.stage.name), connection_(&c), settings_(std::move(settings)) {
  require_stage_name(stage_);
  sql_settings_ = sf::sql_api_settings(c, settings_.cancel);
  owned_sql_ = std::make_unique<sf::SqlApiClient>(sql_settings_, std::shared_ptr<sf::TokenSource>(sf::make_token_source(c)));
  sql_ = owned_sql_.get();
  reads_ = std::make_unique<SnowflakeWarehouse>(*sql_, schema_);
  stage_target_ = s3::stage_target(c.stage);
  stage_target_.settings.http.cancel = settings_.cancel;
  s3_ = std::make_unique<s3::S3Client>(stage_target_.settings);
  // The key names the staged format: parts an older sluice staged in another are not resumed.
  resumed_ = settings_.jobs->find_interrupted("load", settings_.resume_key);
  if (resumed_) {
    const std::string bucket_url = "s3://" + stage_target_.settings.bucket + "/";
    for (const auto& chunk : settings_.jobs->chunks_of(resumed_))
      if (chunk.status == "staged" && chunk.destination.starts_with(bucket_url))
        recorded_[chunk.destination.substr(bucket_url.size())] = chunk.etag;
  }
}

SnowflakeTarget::~SnowflakeTarget() { abandon(); }

std::string SnowflakeTarget::qualified_table(const TableSpec& t) const { return sf::qualified(schema_, t.table); }

std::string SnowflakeTarget::display_table(const TableSpec& table) const {
  return sf::normalize_identifier(schema_) + "." + sf::normalize_identifier(table.table);
}

void SnowflakeTarget::describe(nlohmann::json& args) const {
  args["target"] = "snowflake";
  args["resume_key"] = settings_.resume_key;
  args["resumed_from"] = resumed_;
}

void SnowflakeTarget::configure(PipelineOptions& options) const {
  options.encode_copy = true;
  options.zstd_level = std::max(1, options.zstd_level);
  options.zstd_copy_text = true;
  options.copy_format = CopyFormat::snowflake_csv;
  options.phase = "scan+stage";
}

void SnowflakeTarget::begin(std::int64_t job_id) {
  job_id_ = job_id;
  // Under the stage: the interrupted job's directory when resuming, else this job's.
  job_dir_ = fmt::format("{}/", resumed_ ? resumed_ : job_id);
  job_prefix_ = stage_target_.location.prefix + job_dir_;
  cleaned_up_ = false;
  if (resumed_)
    settings_.progress->note(fmt::format("resuming job {}: {} staged file(s) recorded; they are checked on the stage, "
                                         "not uploaded again",
                                         resumed_, recorded_.size()));
  reads_->ensure_load_history();
}

std::uint64_t SnowflakeTarget::open_file(const TargetFile& file, ChunkRecorder record) {
  const std::string table_dir = sf::normalize_identifier(file.table->table) + "/";
  StageSinkOptions so = settings_.staging;
  so.skip_limit = file.skip_limit;
  so.reuse_staged = resumed_ != 0;
  // A plain file's size is its stream's: the sink can shrink the last parts (stage_sink.h).
  if (open_byte_source(file.path)->compression() == Compression::none) {
    std::error_code ec;
    so.input_bytes = std::filesystem::file_size(file.path, ec);
  }
  so.recorded_etags = recorded_;
  current_ = SnowflakeFileLoad{};
  current_.table = file.table;
  current_.stage_dir = job_dir_ + table_dir;
  current_.replace = file.replace;
  sink_.emplace(*s3_, job_prefix_ + table_dir, safe_name(file.path), so,
                [this, record = std::move(record)](const StagedPart& p) {
                  ChunkProgress c;
                  c.chunk_index = p.first_chunk;
                  c.bytes = p.bytes;
                  c.rows = p.rows;
                  c.destination = s3::S3Url{stage_target_.settings.bucket, ""}.url_of(p.key);
                  c.status = "staged";  // kept from an interrupted job, or uploaded now
                  c.etag = p.etag;
                  std::lock_guard lock(jobs_mu_);
                  record(std::move(c));
                });
  return 0;
}

ChunkSink& SnowflakeTarget::file_sink() { return *sink_; }

void SnowflakeTarget::abandon_file() noexcept {
  if (sink_) sink_->abandon();
}

std::uint64_t SnowflakeTarget::close_file(const TargetFile&, const SentRows&) {
  current_.parts = sink_->finish();
  std::uint64_t staged = 0;
  for (const auto& p : current_.parts) staged += p.rows;
  return staged;
}

std::string SnowflakeTarget::staged_relation(const TargetFile& file) {
  current_.staging_table = create_staging_table(*file.table, job_id_, file.index);
  staging_tables_.push_back(current_.staging_table);
  copy_to_staging(current_, current_.staging_table);
  return sf::qualified(schema_, current_.staging_table);
}

void SnowflakeTarget::add_history(const TargetFile& file, const HistoryRecord& record) {
  current_.history = record;
  loads_.push_back(std::move(current_));
  file_of_load_.push_back(file.index);
  current_ = SnowflakeFileLoad{};
}

std::map<std::size_t, LoadTarget::Committed> SnowflakeTarget::commit(ProgressSink& progress) {
  std::size_t staged_files = 0;
  for (const auto& l : loads_) staged_files += l.parts.size();
  // The warehouse reports nothing while COPY runs: the line shows the files and the time.
  progress.begin("copy into",
                 fmt::format("{}.{}: {} staged file(s)", connection_ ? connection_->database : "",
                             sf::normalize_identifier(schema_), staged_files),
                 0);
  std::map<std::size_t, Committed> out;
  try {
    const std::vector<SnowflakeFileResult> results =
        publish(loads_, job_id_, [&] { progress.update({"copy into", "", 0, 0, 0}); });
    for (std::size_t i = 0; i < loads_.size(); ++i)
      out[file_of_load_[i]] = Committed{results[i].rows_loaded, results[i].rows_deleted};
  } catch (...) {
    progress.end(false, "failed");
    clean_up();
    throw;
  }
  progress.end(true, "committed");
  // PURGE removed what COPY loaded; anything else the job staged goes now.
  clean_up();
  return out;
}

void SnowflakeTarget::abandon() noexcept {
  if (sink_) sink_->abandon();
  clean_up();
}

void SnowflakeTarget::clean_up() noexcept {
  if (cleaned_up_ || !connection_) return;
  cleaned_up_ = true;
  ProgressSink& progress = *settings_.progress;
  try {
    s3::S3Settings quiet = stage_target_.settings;
    quiet.http.cancel = nullptr;
    s3::S3Client s3(quiet);
    const std::size_t removed = s3.delete_prefix(job_prefix_);  // a request per thousand parts
    s3.abort_multipart_uploads(job_prefix_);
    if (removed) progress.note(fmt::format("removed {} staged file(s)", removed));
  } catch (const Error& e) {
    progress.note(fmt::format("could not remove the staged files under {}: {}", job_prefix_, e.primary()));
  }
  if (staging_tables_.empty()) return;
  sf::SqlApiSettings quiet = sql_settings_;
  quiet.cancel = nullptr;
  try {
    sf::SqlApiClient cleanup(quiet, std::shared_ptr<sf::TokenSource>(sf::make_token_source(*connection_)));
    for (const auto& t : staging_tables_) {
      try {
        cleanup.execute(fmt::format("DROP TABLE IF EXISTS {}", sf::qualified(schema_, t)));
      } catch (...) {
        // Left behind: a transient table named after the job, easy to find and drop by hand.
      }
    }
  } catch (const Error& e) {
    progress.note(fmt::format("could not drop the staging table(s) of job {}: {}", job_id_, e.primary()));
  }
  staging_tables_.clear();
}

std::string SnowflakeTarget::file_format(std::size_t columns) {
  // Every option that decides what a byte of the staged CSV means is spelled out, and each is one
  // Snowflake documents (COPY INTO <table>, "Format type options", and "Data unloading
  // considerations: Empty strings and NULL values"; quoted in docs/snowflake.md):
  // - FIELD_DELIMITER tab, RECORD_DELIMITER newline, MULTI_LINE: a newline inside an enclosed
  //   value is the value's;
  // - FIELD_OPTIONALLY_ENCLOSED_BY '"': an enclosed value is the string between the quotes, with
  //   "" for a quote ("When a field contains this character, escape it using the same character");
  // - ESCAPE and ESCAPE_UNENCLOSED_FIELD NONE: no escape character, so a backslash is a backslash
  //   (the unenclosed escape defaults to backslash, whose decoding of other sequences is
  //   undocumented);
  // - NULL_IF () with EMPTY_FIELD_AS_NULL: only an empty unenclosed field is NULL; "" is the
  //   empty string, and no text (\N included) means NULL;
  // - SKIP_BYTE_ORDER_MARK: a file starting with one loses it, so such a first value is enclosed;
  // - SKIP_BLANK_LINES FALSE: "blank lines produce an end-of-record error". A one-column table's
  //   NULL would be one, so its records carry a second, empty field, and ERROR_ON_COLUMN_COUNT_MISMATCH
  //   is FALSE for it: then "the matching fields are loaded in order of occurrence in the file and
  //   the remaining fields are not loaded" (every record has two fields, as that option assumes);
  // - TRIM_SPACE FALSE, SKIP_HEADER 0, ENCODING UTF8, REPLACE_INVALID_CHARACTERS FALSE.
  return fmt::format("(TYPE = CSV FIELD_DELIMITER = '\\t' RECORD_DELIMITER = '\\n' MULTI_LINE = TRUE "
                     "COMPRESSION = ZSTD FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE = NONE "
                     "ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE SKIP_BYTE_ORDER_MARK = TRUE "
                     "TRIM_SPACE = FALSE SKIP_HEADER = 0 SKIP_BLANK_LINES = FALSE ERROR_ON_COLUMN_COUNT_MISMATCH = {} "
                     "ENCODING = 'UTF8' REPLACE_INVALID_CHARACTERS = FALSE)",
                     columns == 1 ? "FALSE" : "TRUE");
}

std::string SnowflakeTarget::create_staging_table(const TableSpec& table, std::int64_t job_id, std::size_t file_index) {
  // Transient: no Fail-safe and at most a day of Time Travel for rows that live minutes. One per
  // file: two months of one table in one load are checked (and published) apart.
  const std::string name = fmt::format("{}__SLUICE_STAGE_{}_{}", upper(table.table), job_id, file_index + 1);
  std::string cols;
  for (const auto& c : table.columns) cols += (cols.empty() ? "" : ", ") + sf::identifier(c.name) + " " + sf::type_name(c.type);
  sql_->execute(fmt::format("CREATE OR REPLACE TRANSIENT TABLE {} ({})", sf::qualified(schema_, name), cols));
  return name;
}

std::uint64_t SnowflakeTarget::copy_to_staging(const SnowflakeFileLoad& file, const std::string& staging) {
  std::vector<Statement> statements;
  copy_statements(statements, 0, file, sf::qualified(schema_, staging), stage_);
  std::uint64_t loaded = 0, staged = 0;
  for (const auto& s : statements) {
    const snowflake::ResultSet rs = sql_->execute(s.sql);
    staged += s.expected_rows;
    const int rows_loaded = rs.column("rows_loaded");
    if (rows_loaded < 0) continue;
    for (const auto& row : rs.rows)
      loaded += static_cast<std::uint64_t>(snowflake::jsonv2::to_int64(row[static_cast<std::size_t>(rows_loaded)].value_or("0")));
  }
  if (loaded != staged)
    throw runtime_error(fmt::format("{}: COPY loaded {} rows into the staging table {} of {} staged", file.history.file_name,
                                    loaded, staging, staged),
                        "", "Nothing was published. Keep the file and report it.");
  return loaded;
}

bool SnowflakeTarget::prepare_table(const TableSpec& table, bool create) {
  snowflake::StatementOptions o;
  o.bindings = {{"TEXT", upper(schema_)}, {"TEXT", upper(table.table)}};
  const auto rs = sql_->execute(
      "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE "
      "FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
      o);
  if (rs.rows.empty()) {
    if (!create)
      throw usage_error(fmt::format("table {} does not exist", qualified_table(table)),
                        table.position.str(), "Create it, or pass --create to create it from the config.");
    std::string cols;
    for (const auto& c : table.columns)
      cols += (cols.empty() ? "" : ", ") + sf::identifier(c.name) + " " + sf::type_name(c.type);
    sql_->execute(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", qualified_table(table), cols));
    return true;
  }
  auto number = [](const std::optional<std::string>& v) -> std::optional<std::int64_t> {
    if (!v) return std::nullopt;
    return snowflake::jsonv2::to_int64(*v);
  };
  std::vector<std::string> have;
  std::vector<sf::CatalogType> types;
  for (const auto& r : rs.rows) {
    have.push_back(upper(r.at(0).value_or("")));
    types.push_back({r.at(1).value_or(""), number(r.at(2)), number(r.at(3)), number(r.at(4))});
  }
  std::string problems;
  std::vector<std::string> alters;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnSpec& c = table.columns[i];
    const std::string want = upper(c.name);
    if (i >= have.size()) {
      problems += fmt::format("\n{}.{}: missing in the table", table.table, want);
    } else if (have[i] != want) {
      problems += fmt::format("\n{}.{}: column {} of the table is {}", table.table, want, i + 1, have[i]);
    } else {
      // What this target creates for the config's type is that type here, whatever its limits.
      const std::optional<ColumnType> stored = sf::column_type(types[i]);
      const TypeFit fit = stored == sf::stored_type(c.type) ? TypeFit::same : compare_column_types(c.type, stored);
      if (fit == TypeFit::narrower || fit == TypeFit::different) {
        problems += "\n" + describe_type_mismatch(table.table + "." + want, c.type, sf::display_name(types[i]), fit);
        alters.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DATA TYPE {};", qualified_table(table),
                                     sf::identifier(c.name), sf::type_name(c.type)));
      }
    }
  }
  for (std::size_t i = table.columns.size(); i < have.size(); ++i)
    problems += fmt::format("\n{}.{}: in the table but not in the config", table.table, have[i]);
  if (!problems.empty()) {
    std::string hint = "Make the config's columns (in order) match the table, or alter the table.";
    if (!alters.empty())
      hint += fmt::format(" For the types: make the config say the table's, or widen the table (Snowflake widens a "
                          "VARCHAR's length and a NUMBER's precision in place):\n  {}",
                          fmt::join(alters, "\n  "));
    throw usage_error(fmt::format("table {} does not match the config", qualified_table(table)),
                      table.position.str() + problems, hint);
  }
  return false;
}

std::string SnowflakeTarget::publish_sql(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id) const {
  std::string out;
  for (const auto& s : build(files, job_id, schema_, stage_, *sql_)) out += s.sql + ";\n";
  return out;
}

std::vector<SnowflakeFileResult> SnowflakeTarget::publish(const std::vector<SnowflakeFileLoad>& files,
                                                          std::int64_t job_id,
                                                          const std::function<void()>& while_running) {
  const std::vector<Statement> statements = build(files, job_id, schema_, stage_, *sql_);
  std::string text;
  for (const auto& s : statements) text += s.sql + ";\n";
  snowflake::StatementOptions o;
  o.multi_statement_count = static_cast<int>(statements.size());
  o.query_tag = fmt::format("sluice:job-{}", job_id);
  o.while_running = while_running;
  const snowflake::ResultSet parent = sql_->execute(text, o);
  if (parent.statement_handles.size() != statements.size())
    throw runtime_error("Snowflake answered the load's transaction without every statement's handle",
                        fmt::format("{} handles for {} statements", parent.statement_handles.size(),
                                    statements.size()));

  // Committed. Read what each COPY did and reconcile it with what was staged.
  std::vector<SnowflakeFileResult> results(files.size());
  std::string mismatches;
  for (std::size_t k = 0; k < statements.size(); ++k) {
    const Statement& s = statements[k];
    if (s.kind == Statement::other) continue;
    const snowflake::ResultSet rs = sql_->fetch(parent.statement_handles[k]);
    SnowflakeFileResult& r = results[s.file];
    if (s.kind == Statement::remove_range) {
      r.rows_deleted += static_cast<std::uint64_t>(rs.rows_affected());
      continue;
    }
    if (s.kind == Statement::insert_staged) {
      const auto inserted = static_cast<std::uint64_t>(rs.rows_affected());
      r.rows_loaded += inserted;
      if (inserted != s.expected_rows)
        mismatches += fmt::format("\n{}: {} rows went over from the staging table, {} were checked there (statement {})",
                                  files[s.file].history.file_name, inserted, s.expected_rows, parent.statement_handles[k]);
      continue;
    }
    std::uint64_t loaded = 0;
    const int status = rs.column("status"), rows_loaded = rs.column("rows_loaded"), file = rs.column("file");
    if (rows_loaded >= 0) {
      for (const auto& row : rs.rows) {
        if (status >= 0 && row[static_cast<std::size_t>(status)].value_or("") != "LOADED")
          mismatches += fmt::format("\n{}: {}", file >= 0 ? row[static_cast<std::size_t>(file)].value_or("?") : "?",
                                    row[static_cast<std::size_t>(status)].value_or("?"));
        loaded += static_cast<std::uint64_t>(
            snowflake::jsonv2::to_int64(row[static_cast<std::size_t>(rows_loaded)].value_or("0")));
        ++r.files_loaded;
      }
    }
    r.rows_loaded += loaded;
    if (loaded != s.expected_rows)
      mismatches += fmt::format("\n{}: COPY loaded {} rows of {} staged (statement {})",
                                files[s.file].history.file_name, loaded, s.expected_rows,
                                parent.statement_handles[k]);
  }
  if (!mismatches.empty())
    throw runtime_error("the rows Snowflake loaded do not match the rows staged",
                        "The transaction was committed." + mismatches,
                        "Keep the files and the job id, and report it; Time Travel can restore the "
                        "table as it was before the load's statements.");
  return results;
}

}  // namespace sluice

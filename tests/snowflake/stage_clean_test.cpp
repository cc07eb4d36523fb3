// `sluice stage list` and `sluice stage clean`, the real binary against the S3 and SQL API
// emulators: a load killed with kill -9 leaves its parts (and here an unfinished multipart
// upload) on the stage; list shows them with the job's state, clean removes them, while the
// directory of a load still running, a directory no job store here knows, and keys outside job
// directories stay. --dry-run deletes nothing; --batch without --yes is refused (exit 2). The
// emulator's storage is checked through ListObjectsV2 / ListMultipartUploads afterwards.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/progress.h"
#include "jobs/job_store.h"
#include "operations/sample_data.h"
#include "tests/support/emulator_process.h"
#include "tests/support/run_sluice.h"
#include "tests/support/snowflake_config.h"
#include "tests/support/snowflake_emulators.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/s3/s3_client.h"

namespace sluice::test {
namespace {

using nlohmann::json;
constexpr const char* kAkid = "AKIDSTAGECLEAN";
constexpr const char* kSecret = "stage/clean/secret";

// A child sluice killed (SIGKILL) and reaped when the test ends, however it ends.
struct Child {
  pid_t pid = -1;
  ~Child() { stop(SIGKILL); }
  void stop(int sig) {
    if (pid > 0) {
      kill(pid, sig);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
};

class StageCleanTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulators_ = new SnowflakeEmulators({kAkid, kSecret});
    key_ = &emulators_->key();
    s3_ = &emulators_->s3();
    sf_ = &emulators_->sql_api();
  }
  static void TearDownTestSuite() {
    delete emulators_;
    emulators_ = nullptr;
  }

  void SetUp() override {
    s3_->reset();
    sf_->reset();
    schema_ = create_snowflake_test_schema("SC");
    const TableSpec spec = sample_table_spec("FACT_LENDING", "factLending_{date_range}.tsv", false);
    const std::string tables = table_entry_yaml(spec, false);
    config_ = dir_.path() / "sluice.yaml";
    std::ofstream(config_) << snowflake_config_yaml({key_->private_key_file.string(), schema_, sf_->url(), s3_->url(), ""}, tables);
    // Whatever earlier tests left on the shared stage does not concern this one.
    s3::S3Client s3(s3_settings());
    for (const auto& o : s3.list_objects("")) s3.delete_object(o.key);
    s3.abort_multipart_uploads("");
  }
  void TearDown() override {
    try {
      test_connection().exec(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema_));
    } catch (...) {
    }
  }

  static s3::S3Settings s3_settings() {
    return emulators_->s3_settings();
  }
  std::filesystem::path generate(const std::filesystem::path& dir, std::uint64_t rows) {
    std::filesystem::create_directories(dir);
    SampleDataOptions o;
    o.rows = rows;
    NullProgress progress;
    const auto path = dir / "factLending_20240101-20240131.tsv";
    generate_sample_data(path, o, progress);
    return path;
  }
  RunOptions env() const {
    RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_.path() / "state").string()},
             {"XDG_DATA_HOME", (dir_.path() / "data").string()},
             {"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
             {"AWS_ACCESS_KEY_ID", kAkid},
             {"AWS_SECRET_ACCESS_KEY", kSecret}};
    return o;
  }
  std::vector<std::string> with_config(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", config_.string(), "--progress", "none"});
    return args;
  }
  RunResult run(std::vector<std::string> args) { return run_sluice(with_config(std::move(args)), env()); }
  // A load in the background whose uploads are slowed down; returns once `min_parts` of its parts
  // are stored, with the job directory ("sluice/<id>/") they are in.
  std::string start_load(Child& child, const std::filesystem::path& file, const std::filesystem::path& log_dir,
                         std::size_t min_parts, const std::set<std::string>& other_dirs) {
    std::filesystem::create_directories(log_dir);
    child.pid = spawn_sluice(with_config({"--batch", "load", "--files", file.string(), "--create", "--chunk-mb", "1",
                                          "--stage-part-mb", "0.1", "--stage-uploads", "2"}),
                             env(), log_dir);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      std::map<std::string, std::size_t> stored;
      for (const auto& r : s3_->requests("op", "PutObject"))
        if (r["status"] == 200) {
          const std::string key = r["key"];
          const auto slash = key.find('/', std::string("sluice/").size());
          if (slash == std::string::npos) continue;  // not in a job directory
          const std::string dir = key.substr(0, slash + 1);
          if (!other_dirs.count(dir)) ++stored[dir];
        }
      for (const auto& [dir, n] : stored)
        if (n >= min_parts) return dir;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the load did not stage " << min_parts << " parts in time";
    return "";
  }
  std::set<std::string> keys_under(const std::string& prefix) {
    s3::S3Client s3(s3_settings());
    std::set<std::string> out;
    for (const auto& o : s3.list_objects(prefix)) out.insert(o.key);
    return out;
  }
  std::size_t uploads_under(const std::string& prefix) {
    s3::S3Client s3(s3_settings());
    return s3.list_multipart_uploads(prefix).size();
  }
  static json dir_of(const json& listing, const std::string& dir) {
    for (const auto& d : listing["dirs"])
      if (d["dir"] == dir) return d;
    return nullptr;
  }

  static inline SnowflakeEmulators* emulators_ = nullptr;
  static inline TestKeyPair* key_ = nullptr;
  static inline EmulatorProcess* s3_ = nullptr;
  static inline EmulatorProcess* sf_ = nullptr;
  TempDir dir_{"sluice-stageclean"};
  std::string schema_;
  std::filesystem::path config_;
};

TEST_F(StageCleanTest, AKilledLoadsLeftoversAreListedAndCleanedWhileARunningLoadsAreNot) {
  s3_->faults(json::array({{{"op", "PutObject"}, {"action", "delay"}, {"delay_ms", 700}, {"count", -1}}}));

  // A load killed outright: its parts stay, and here also an unfinished multipart upload.
  Child killed;
  const std::string killed_dir = start_load(killed, generate(dir_.path() / "a", 60000), dir_.path() / "log-a", 3, {});
  ASSERT_FALSE(killed_dir.empty());
  killed.stop(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // uploads the server was still taking
  s3::S3Client s3(s3_settings());
  s3.create_multipart_upload(killed_dir + "FACT_LENDING/orphan.tsv.zst");
  // Not sluice's: a directory no job store here knows, and a key outside any job directory.
  s3.put_object("sluice/990001/FACT_LENDING/elsewhere.tsv.zst", http::Body::memory("another machine's part"));
  s3.put_object("sluice/README.txt", http::Body::memory("not a job directory"));

  // A load running now (another copy of the file: another job and directory).
  Child running;
  const std::string running_dir =
      start_load(running, generate(dir_.path() / "b", 60000), dir_.path() / "log-b", 1, {killed_dir, "sluice/990001/"});
  ASSERT_FALSE(running_dir.empty());
  ASSERT_NE(running_dir, killed_dir);
  const std::set<std::string> killed_keys = keys_under(killed_dir);
  ASSERT_GE(killed_keys.size(), 3u);

  // list: each directory with its job's state.
  const RunResult listed = run({"stage", "list", "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  const json listing = json::parse(listed.out);
  EXPECT_EQ(listing["stage"], "s3://stage/sluice/");
  EXPECT_EQ(listing["other_objects"], 1);
  const json k = dir_of(listing, killed_dir), r = dir_of(listing, running_dir),
             u = dir_of(listing, "sluice/990001/");
  ASSERT_FALSE(k.is_null()) << listing.dump(2);
  ASSERT_FALSE(r.is_null()) << listing.dump(2);
  ASSERT_FALSE(u.is_null()) << listing.dump(2);
  EXPECT_EQ(k["state"], "resumable");
  EXPECT_EQ(k["objects"].get<std::size_t>(), killed_keys.size());
  EXPECT_EQ(k["uploads"], 1);
  EXPECT_EQ(r["state"], "running");
  EXPECT_EQ(u["state"], "unknown");
  const RunResult text = run({"stage", "list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("resumable"), std::string::npos) << text.out;

  // --dry-run: the preview, nothing deleted.
  const RunResult dry = run({"--batch", "stage", "clean", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("Dry run: nothing was deleted"), std::string::npos) << dry.out;
  EXPECT_EQ(keys_under(killed_dir), killed_keys);
  EXPECT_EQ(uploads_under(killed_dir), 1u);

  // --batch without --yes: refused as a usage error, nothing deleted.
  const RunResult refused = run({"--batch", "stage", "clean"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("needs --yes"), std::string::npos) << refused.err;
  EXPECT_EQ(keys_under(killed_dir), killed_keys);

  // The clean: the killed job's directory goes; the running one, the unknown one and the key
  // outside job directories stay.
  const std::set<std::string> running_before = keys_under(running_dir);
  const RunResult cleaned = run({"--batch", "stage", "clean", "--yes"});
  ASSERT_EQ(cleaned.exit_code, 0) << cleaned.out << cleaned.err;
  EXPECT_NE(cleaned.out.find(fmt::format("Removed {} object(s)", killed_keys.size())), std::string::npos) << cleaned.out;
  EXPECT_TRUE(keys_under(killed_dir).empty());
  EXPECT_EQ(uploads_under(killed_dir), 0u);
  for (const auto& key : running_before) EXPECT_EQ(keys_under(running_dir).count(key), 1u) << key << " was deleted";
  EXPECT_EQ(keys_under("sluice/990001/").size(), 1u);
  EXPECT_EQ(keys_under("sluice/README.txt").size(), 1u);
  const auto deletes = s3_->requests("op", "DeleteObjects");
  ASSERT_EQ(deletes.size(), 1u);  // one request for the directory's parts
  EXPECT_EQ(deletes[0]["keys"].size(), killed_keys.size());
  for (const auto& key : deletes[0]["keys"])
    EXPECT_TRUE(key.get<std::string>().starts_with(killed_dir)) << key;

  // The running load was not disturbed: stopped, it removes its own parts. (Uploads the server is
  // still delaying would land after that clean-up: let them finish first.)
  s3_->control("DELETE", "faults");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  running.stop(SIGTERM);
  EXPECT_TRUE(keys_under(running_dir).empty());

  // An unknown directory goes only when it is old enough (--older-than), here 0 days.
  const RunResult unknown = run({"--batch", "stage", "clean", "--yes", "--older-than", "0", "--format", "json"});
  ASSERT_EQ(unknown.exit_code, 0) << unknown.out << unknown.err;
  EXPECT_EQ(json::parse(unknown.out)["result"]["objects_deleted"], 1);
  EXPECT_TRUE(keys_under("sluice/990001/").empty());
  EXPECT_EQ(keys_under("sluice/README.txt").size(), 1u);
}

TEST_F(StageCleanTest, OlderThanAndJobFiltersKeepNewerAndOtherDirectories) {
  s3::S3Client s3(s3_settings());
  s3.put_object("sluice/990002/T/a.tsv.zst", http::Body::memory("a"));
  s3.put_object("sluice/990003/T/b.tsv.zst", http::Body::memory("b"));
  // Nothing is a day old: --older-than 1 selects nothing.
  const RunResult none = run({"--batch", "stage", "clean", "--yes", "--older-than", "1"});
  ASSERT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_NE(none.out.find("Nothing to clean."), std::string::npos) << none.out;
  EXPECT_EQ(keys_under("sluice/").size(), 2u);
  // --job picks one directory.
  const RunResult one = run({"--batch", "stage", "clean", "--yes", "--older-than", "0", "--job", "990003"});
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_EQ(keys_under("sluice/"), (std::set<std::string>{"sluice/990002/T/a.tsv.zst"}));
}

TEST_F(StageCleanTest, OnATerminalTheTypedConfirmationMustMatch) {
  s3::S3Client s3(s3_settings());
  s3.put_object("sluice/990004/T/a.tsv.zst", http::Body::memory("a"));
  RunOptions o = env();
  o.terminal = true;
  o.terminal_input = "yes\n";
  RunResult r = run_sluice(with_config({"stage", "clean", "--older-than", "0"}), o);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("Type \"clean 1\" to confirm"), std::string::npos) << r.out;
  EXPECT_EQ(keys_under("sluice/").size(), 1u);
  o.terminal_input = "clean 1\n";
  r = run_sluice(with_config({"stage", "clean", "--older-than", "0"}), o);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(keys_under("sluice/").empty());
}

// A job's args were pasted together with fmt::format, so a connection name holding a quote or a
// backslash made the record invalid JSON. Built as JSON, the record parses and gives the name back,
// in the job store and in `sluice jobs --json`.
TEST_F(StageCleanTest, JobArgsStayValidJsonForAConnectionNameWithQuotesAndBackslashes) {
  const std::string name = R"(snow "eu" \ prod)";
  std::ifstream in(config_);
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // YAML's single quotes keep " and \ as they are.
  const std::string quoted = "'" + name + "'";
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"target: snow\n", "target: " + quoted + "\n"},
                                 {"\n  snow:\n", "\n  " + quoted + ":\n"}}) {
    const auto at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << yaml;
    yaml.replace(at, from.size(), to);
  }
  std::ofstream(config_) << yaml;
  s3::S3Client s3(s3_settings());
  s3.put_object("sluice/990005/T/a.tsv.zst", http::Body::memory("a"));

  const RunResult clean = run({"--batch", "stage", "clean", "--yes", "--older-than", "0", "--json"});
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  const json result = json::parse(clean.out);
  EXPECT_EQ(result["connection"], name);
  const std::int64_t id = result["result"]["job_id"];

  const auto job = JobStore(dir_.path() / "state" / "sluice" / "jobs.sqlite").job(id);
  ASSERT_TRUE(job.has_value());
  const json args = json::parse(job->args_json, nullptr, false);
  ASSERT_FALSE(args.is_discarded()) << "not JSON: " << job->args_json;
  EXPECT_EQ(args["connection"], name) << job->args_json;
  EXPECT_EQ(args["jobs"], json::array({990005})) << job->args_json;

  const RunResult jobs = run({"jobs", "--json"});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.out << jobs.err;
  json listed;
  for (const auto& j : json::parse(jobs.out))
    if (j["id"] == id) listed = j;
  ASSERT_TRUE(listed.is_object()) << jobs.out;
  EXPECT_EQ(listed["kind"], "stage-clean");
  EXPECT_EQ(listed["args"]["connection"], name) << jobs.out;
}

}  // namespace
}  // namespace sluice::test

// The SQL API client against the Snowflake emulator (tests/emulators/snowflake_emulator.py), which
// runs the statements on the test PostgreSQL and reads staged files from the S3 emulator's storage.
// Over real HTTP; assertions on results, the emulator's request log (submits, retries, requestIds,
// retry=true, tokens) and the rows PostgreSQL holds.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "tests/support/emulator_process.h"
#include "tests/support/snowflake_emulators.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_postgres.h"
#include "warehouse/s3/s3_client.h"
#include "warehouse/snowflake/sql_api_client.h"

namespace sluice::test {
namespace {

using nlohmann::json;
using snowflake::SqlApiClient;
using snowflake::SqlApiError;
namespace jsonv2 = snowflake::jsonv2;

constexpr const char* kAccount = "myorg-myacct";
constexpr const char* kUser = "loader";
constexpr const char* kAkid = "AKIDSQLAPI";
constexpr const char* kSecret = "sql/api/secret";

class SqlApiClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulators_ = new SnowflakeEmulators({kAkid, kSecret, "us-east-1", json{{"oauth_tokens", {"oauth-token-cpp"}}}});
    key_ = &emulators_->key();
    s3_ = &emulators_->s3();
    sf_ = &emulators_->sql_api();
  }
  static void TearDownTestSuite() {
    delete emulators_;
    emulators_ = nullptr;
  }
  void SetUp() override { sf_->reset(); }

  static snowflake::SqlApiSettings settings() {
    snowflake::SqlApiSettings s = emulators_->sql_api_settings();
    s.retry.base_delay = std::chrono::milliseconds(5);
    s.retry.max_delay = std::chrono::milliseconds(50);
    s.poll_first = std::chrono::milliseconds(10);
    s.poll_max = std::chrono::milliseconds(100);
    return s;
  }
  static std::shared_ptr<snowflake::KeyPairTokenSource> key_pair(snowflake::KeyPairOptions o = {}) {
    o.account = kAccount;
    o.user = kUser;
    if (o.private_key_file.empty()) o.private_key_file = key_->private_key_file.string();
    return std::make_shared<snowflake::KeyPairTokenSource>(std::move(o));
  }
  static SqlApiClient client(snowflake::SqlApiSettings s = settings()) { return SqlApiClient(s, key_pair()); }

  std::string schema() {
    const std::string name = unique_schema_or_table_name("SF");
    client().execute(fmt::format("CREATE SCHEMA \"{}\"", name));
    return name;
  }
  static std::int64_t count(const std::string& table) {
    auto conn = test_connection();
    return conn.query(fmt::format("select count(*) from {}", table)).get_int(0, 0);
  }
  static std::vector<json> statements_for(const std::string& request_id) {
    std::vector<json> out;
    const json all = sf_->control("GET", "statements");  // not in the for: it would dangle
    for (const auto& s : all["statements"])
      if (s["requestId"] == request_id) out.push_back(s);
    return out;
  }

  static inline SnowflakeEmulators* emulators_ = nullptr;
  static inline TestKeyPair* key_ = nullptr;
  static inline EmulatorProcess* s3_ = nullptr;
  static inline EmulatorProcess* sf_ = nullptr;
};

TEST_F(SqlApiClientTest, DecodesEveryJsonv2Type) {
  const auto rs = client().execute(
      "select 12345678901::number(38,0) as i, 1234.5::number(10,2) as n, 'a''b' as t, null::text as z, "
      "false as b, date '1969-12-31' as d, time '12:34:56.789' as tm, "
      "timestamp '2024-01-31 10:00:00.25' as ts, timestamptz '2024-01-31 10:00:00+00' as tl, "
      "'NaN'::float8 as f, '-Infinity'::float8 as fi, '\\\\x00ff10'::bytea as bin, "
      "'{\"k\": [1, null]}'::jsonb as v");
  ASSERT_EQ(rs.rows.size(), 1u);
  const auto& r = rs.rows[0];
  std::vector<jsonv2::Type> types;
  for (const auto& c : rs.columns) types.push_back(c.type);
  using T = jsonv2::Type;
  EXPECT_EQ(types, (std::vector<T>{T::fixed, T::fixed, T::text, T::text, T::boolean, T::date, T::time,
                                   T::timestamp_ntz, T::timestamp_ltz, T::real, T::real, T::binary,
                                   T::variant}));
  EXPECT_EQ(rs.columns[1].precision, 10);
  EXPECT_EQ(rs.columns[1].scale, 2);
  EXPECT_EQ(rs.columns[0].name, "I");
  EXPECT_EQ(jsonv2::to_int64(*r[0]), 12345678901);
  EXPECT_EQ(*r[1], "1234.50");
  EXPECT_EQ(*r[2], "a'b");
  EXPECT_FALSE(r[3]);
  EXPECT_FALSE(jsonv2::to_bool(*r[4]));
  EXPECT_EQ(jsonv2::date_iso(*r[5]), "1969-12-31");
  EXPECT_EQ(jsonv2::to_iso(*r[6], T::time), "12:34:56.789");
  EXPECT_EQ(jsonv2::to_iso(*r[7], T::timestamp_ntz), "2024-01-31 10:00:00.25");
  EXPECT_EQ(jsonv2::to_instant(*r[8], T::timestamp_ltz).seconds, 1706695200);
  EXPECT_TRUE(std::isnan(jsonv2::to_double(*r[9])));
  EXPECT_EQ(jsonv2::to_double(*r[10]), -INFINITY);
  EXPECT_EQ(jsonv2::from_hex(*r[11]), std::string("\x00\xff\x10", 3));
  EXPECT_EQ(jsonv2::to_json(*r[12]), json::parse(R"({"k": [1, null]})"));
}

TEST_F(SqlApiClientTest, SubmitsAsynchronouslyWithTheRequiredHeadersAndPolls) {
  sf_->faults(json::array({{{"op", "execute"}, {"action", "delay"}, {"delay_ms", 600}, {"match", "slowish"}}}));
  const auto rs = client().execute("select 'slowish' as x");
  EXPECT_EQ(*rs.rows.at(0).at(0), "slowish");
  const auto submits = sf_->requests("op", "submit");
  ASSERT_EQ(submits.size(), 1u);
  const std::string target = submits[0]["target"];
  EXPECT_TRUE(target.starts_with("/api/v2/statements?requestId=")) << target;
  EXPECT_TRUE(target.ends_with("&async=true")) << target;
  const std::string rid = submits[0]["request_id"];
  EXPECT_EQ(rid.size(), 36u);
  EXPECT_EQ(rid[14], '4');  // a version-4 UUID
  EXPECT_EQ(rs.request_id, rid);
  EXPECT_EQ(submits[0]["token_type"], "KEYPAIR_JWT");
  EXPECT_EQ(submits[0]["user_agent"], "sluice-test/1");
  EXPECT_EQ(submits[0]["auth"], "ok");
  const auto polls = sf_->requests("op", "status");
  EXPECT_GE(polls.size(), 2u);  // 202 while it runs, then 200
  EXPECT_EQ(polls.back()["status"], 200);
  EXPECT_EQ(polls.front()["status"], 202);
}

TEST_F(SqlApiClientTest, FetchesEveryGzipPartition) {
  const auto rs = client().execute("select g as n from generate_series(1, 2500) g order by g");
  ASSERT_EQ(rs.rows.size(), 2500u);
  EXPECT_EQ(rs.partitions, 3);
  for (size_t i = 0; i < rs.rows.size(); ++i) ASSERT_EQ(*rs.rows[i][0], std::to_string(i + 1));
  std::set<std::string> partitions;
  for (const auto& r : sf_->requests("op", "status"))
    if (!r["partition"].is_null()) {
      partitions.insert(r["partition"].get<std::string>());
      EXPECT_EQ(r["gzip"], true);
    }
  EXPECT_EQ(partitions, (std::set<std::string>{"1", "2"}));
}

TEST_F(SqlApiClientTest, ADroppedSubmitAnswerIsRetriedWithoutRunningTwice) {
  const std::string s = schema();
  client().execute(fmt::format("CREATE TABLE \"{}\".\"T\" (\"ID\" INT)", s));
  sf_->reset();
  // The server runs the INSERT, then closes the connection without answering.
  sf_->faults(json::array({{{"op", "submit"}, {"action", "drop_after"}, {"match", "INSERT"}}}));
  SqlApiClient c = client();
  const auto rs = c.execute(fmt::format("INSERT INTO \"{}\".\"T\" VALUES (1)", s));
  EXPECT_EQ(rs.rows_affected(), 1);
  EXPECT_EQ(count(fmt::format("\"{}\".\"T\"", s)), 1);
  const auto submits = sf_->requests("op", "submit");
  ASSERT_EQ(submits.size(), 2u);
  EXPECT_EQ(submits[0]["request_id"], submits[1]["request_id"]);
  EXPECT_EQ(submits[0]["retry"], false);
  EXPECT_EQ(submits[1]["retry"], true);
  EXPECT_EQ(submits[0]["executed"], true);
  EXPECT_EQ(submits[1]["executed"], false);  // the emulator returned the first run
  const auto runs = statements_for(submits[0]["request_id"]);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["executions"], 1);
  EXPECT_EQ(c.retries(), 1u);
}

TEST_F(SqlApiClientTest, SurvivesA429And503Storm) {
  sf_->faults(json::array({{{"op", "submit"}, {"action", "error"}, {"status", 429}, {"count", 3}},
                           {{"op", "status"}, {"action", "error"}, {"status", 503}, {"count", 2}},
                           {{"op", "execute"}, {"action", "delay"}, {"delay_ms", 300}}}));
  std::vector<std::string> retries;
  auto s = settings();
  s.on_retry = [&](const std::string& what) { retries.push_back(what); };
  SqlApiClient c(s, key_pair());
  const auto rs = c.execute("select 42 as answer");
  EXPECT_EQ(*rs.rows.at(0).at(0), "42");
  EXPECT_EQ(c.retries(), 5u);
  ASSERT_EQ(retries.size(), 5u);
  EXPECT_NE(retries[0].find("HTTP 429"), std::string::npos) << retries[0];
  const auto submits = sf_->requests("op", "submit");
  ASSERT_EQ(submits.size(), 4u);
  for (size_t i = 0; i < submits.size(); ++i) {
    EXPECT_EQ(submits[i]["request_id"], submits[0]["request_id"]);
    EXPECT_EQ(submits[i]["retry"], i > 0);
  }
  EXPECT_EQ(statements_for(submits[0]["request_id"]).size(), 1u);
}

TEST_F(SqlApiClientTest, CtrlCCancelsTheStatementOnTheServer) {
  Cancellation cancel;
  auto s = settings();
  s.cancel = &cancel;
  SqlApiClient c(s, key_pair());
  std::jthread ctrl_c([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (sf_->requests("op", "status").empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    c.execute("select pg_sleep(30)");
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "cancelled");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  const auto cancels = sf_->requests("op", "cancel");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0]["status"], 200);
  const auto runs = statements_for(sf_->requests("op", "submit").at(0)["request_id"]);
  EXPECT_EQ(runs.at(0)["status"], "cancelled");
}

TEST_F(SqlApiClientTest, ADeadlineCancelsToo) {
  snowflake::StatementOptions o;
  o.deadline = std::chrono::seconds(1);
  try {
    client().execute("select pg_sleep(20)", o);
    FAIL() << "expected a deadline error";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "the Snowflake statement did not finish within 1 s");
  }
  EXPECT_EQ(sf_->requests("op", "cancel").size(), 1u);
}

TEST_F(SqlApiClientTest, ErrorsCarrySnowflakesCodeStateMessageAndHandle) {
  try {
    client().execute("select * from nope_not_there");
    FAIL();
  } catch (const SqlApiError& e) {
    EXPECT_EQ(e.http_status(), 422);
    EXPECT_EQ(e.snowflake_code(), "002003");
    EXPECT_EQ(e.sql_state(), "42S02");
    EXPECT_FALSE(e.statement_handle().empty());
    EXPECT_EQ(e.primary(), "Snowflake error 002003: SQL compilation error: Table 'NOPE_NOT_THERE' "
                           "does not exist or not authorized.");
    EXPECT_NE(e.detail().find("statement handle " + e.statement_handle()), std::string::npos);
    EXPECT_NE(e.detail().find("Statement: select * from nope_not_there"), std::string::npos) << e.detail();
    EXPECT_NE(e.hint().find("database, schema and role"), std::string::npos);
  }
  snowflake::StatementOptions o;
  o.timeout = std::chrono::seconds(1);
  try {
    client().execute("select pg_sleep(10)", o);
    FAIL();
  } catch (const SqlApiError& e) {
    EXPECT_EQ(e.http_status(), 408);
    EXPECT_EQ(e.snowflake_code(), "000630");
    EXPECT_EQ(e.primary(), "Snowflake cancelled the statement: it reached its timeout");
  }
  try {
    client().execute("BEGIN");
    FAIL();
  } catch (const SqlApiError& e) {
    EXPECT_EQ(e.snowflake_code(), "391911");
    EXPECT_EQ(e.primary(), "Snowflake error 391911: Command not supported by SQL API: TRANSACTION_BEGIN");
  }
}

TEST_F(SqlApiClientTest, MultiStatementRequestsAreOneTransaction) {
  const std::string s = schema();
  auto c = client();
  c.execute(fmt::format("CREATE TABLE \"{}\".\"T\" (\"ID\" INT)", s));
  snowflake::StatementOptions o;
  o.multi_statement_count = 4;
  const auto rs = c.execute(fmt::format("BEGIN; INSERT INTO \"{0}\".\"T\" VALUES (1), (2), (3); "
                                        "DELETE FROM \"{0}\".\"T\" WHERE \"ID\" = 2; COMMIT", s), o);
  ASSERT_EQ(rs.statement_handles.size(), 4u);
  EXPECT_EQ(c.fetch(rs.statement_handles[1]).rows_affected(), 3);
  EXPECT_EQ(c.fetch(rs.statement_handles[2]).rows_affected(), 1);
  EXPECT_EQ(count(fmt::format("\"{}\".\"T\"", s)), 2);
  o.multi_statement_count = 0;
  try {
    c.execute(fmt::format("BEGIN; DELETE FROM \"{0}\".\"T\"; INSERT INTO \"{0}\".\"T\" VALUES ('x'); "
                          "COMMIT", s), o);
    FAIL();
  } catch (const SqlApiError& e) {
    EXPECT_EQ(e.snowflake_code(), "100132");
    EXPECT_NE(e.detail().find("on line 3"), std::string::npos) << e.detail();
  }
  EXPECT_EQ(count(fmt::format("\"{}\".\"T\"", s)), 2);  // rolled back
}

TEST_F(SqlApiClientTest, AnExpiredJwtIsRenewedAndTheStatementRunsOnce) {
  // The first token is signed with a clock two hours behind: already expired for the server.
  int calls = 0;
  snowflake::KeyPairOptions o;
  o.now = [&] {
    return std::chrono::system_clock::now() - (calls++ == 0 ? std::chrono::hours(2) : std::chrono::hours(0));
  };
  auto tokens = key_pair(o);
  SqlApiClient c(settings(), tokens);
  EXPECT_EQ(*c.execute("select 1 as one").rows.at(0).at(0), "1");
  EXPECT_EQ(tokens->tokens_minted(), 2u);
  const auto submits = sf_->requests("op", "submit");
  ASSERT_EQ(submits.size(), 2u);
  EXPECT_EQ(submits[0]["auth"], "expired");
  EXPECT_EQ(submits[1]["auth"], "ok");
  EXPECT_EQ(submits[1]["retry"], true);
  EXPECT_EQ(statements_for(submits[0]["request_id"]).size(), 1u);
}

TEST_F(SqlApiClientTest, TheJwtIsRenewedBeforeItExpiresDuringALongPoll) {
  snowflake::KeyPairOptions o;
  o.lifetime = std::chrono::seconds(3);
  o.renew_before = std::chrono::seconds(2);  // a new token every second or so
  auto tokens = key_pair(o);
  sf_->faults(json::array({{{"op", "execute"}, {"action", "delay"}, {"delay_ms", 3500}}}));
  SqlApiClient c(settings(), tokens);
  c.execute("select 1");
  std::set<std::int64_t> issued;
  for (const auto& r : sf_->requests()) {
    EXPECT_EQ(r["auth"], "ok");
    issued.insert(r["jwt_iat"].get<std::int64_t>());
  }
  EXPECT_GE(issued.size(), 3u);
  EXPECT_GE(tokens->tokens_minted(), 3u);
}

TEST_F(SqlApiClientTest, AKeyTheServerDoesNotKnowIsRefusedClearly) {
  TempDir dir;
  const TestKeyPair other = write_rsa_key(dir.path() / "other.p8");
  snowflake::KeyPairOptions o;
  o.private_key_file = other.private_key_file.string();
  auto tokens = key_pair(o);
  SqlApiClient c(settings(), tokens);
  try {
    c.execute("select 1");
    FAIL();
  } catch (const SqlApiError& e) {
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_EQ(e.snowflake_code(), "390144");
    EXPECT_EQ(e.primary(), "Snowflake refused the sign-in");
    EXPECT_NE(e.detail().find("JWT token is invalid."), std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find("MYORG-MYACCT.LOADER." + tokens->fingerprint()), std::string::npos);
    EXPECT_NE(e.hint().find("RSA_PUBLIC_KEY_FP"), std::string::npos);
    EXPECT_EQ(e.report().find("eyJ"), std::string::npos) << "a token in the error";
  }
  EXPECT_EQ(sf_->requests("op", "submit").size(), 2u);  // once more with a fresh token, no more
}

TEST_F(SqlApiClientTest, OAuthTokenFromAFile) {
  TempDir dir;
  const auto file = dir.write("token", "oauth-token-cpp\n");
  SqlApiClient c(settings(), std::make_shared<snowflake::StaticTokenSource>("OAUTH", "", file.string()));
  EXPECT_EQ(*c.execute("select 2").rows.at(0).at(0), "2");
  EXPECT_EQ(sf_->requests("op", "submit").at(0)["token_type"], "OAUTH");
  const auto bad = dir.write("bad", "stale-token");
  SqlApiClient d(settings(), std::make_shared<snowflake::StaticTokenSource>("OAUTH", "", bad.string()));
  try {
    d.execute("select 2");
    FAIL();
  } catch (const SqlApiError& e) {
    EXPECT_EQ(e.snowflake_code(), "390303");
    EXPECT_EQ(e.report().find("stale-token"), std::string::npos);
  }
}

TEST_F(SqlApiClientTest, EncryptedKeysNeedTheirPassphrase) {
  TempDir dir;
  const TestKeyPair enc = write_rsa_key(dir.path() / "enc.p8", "open sesame");
  snowflake::KeyPairOptions o;
  o.account = kAccount;
  o.user = kUser;
  o.private_key_file = enc.private_key_file.string();
  try {
    snowflake::KeyPairTokenSource t(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "cannot load the Snowflake private key " + enc.private_key_file.string());
    EXPECT_EQ(e.detail(), "The key is encrypted and no passphrase was given.");
  }
  o.passphrase = "wrong";
  EXPECT_THROW(snowflake::KeyPairTokenSource{o}, Error);
  o.passphrase = "open sesame";
  snowflake::KeyPairTokenSource t(o);
  EXPECT_EQ(t.token().substr(0, 3), "eyJ");
}

TEST_F(SqlApiClientTest, PlainHttpToANonLoopbackHostIsRefused) {
  auto s = settings();
  for (const char* url : {"http://myorg-myacct.snowflakecomputing.com", "http://10.1.2.3:8080"}) {
    s.base_url = url;
    try {
      SqlApiClient c(s, key_pair());
      FAIL() << url;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_TRUE(e.primary().starts_with("refusing plain http to ")) << e.primary();
    }
  }
  SnowflakeConnection conn;
  conn.account = "MyOrg-MyAcct";
  EXPECT_EQ(snowflake::base_url_for(conn), "https://myorg-myacct.snowflakecomputing.com");
}

TEST_F(SqlApiClientTest, CopyIntoFromFilesTheS3ClientStaged) {
  const std::string s = schema();
  auto c = client();
  c.execute(fmt::format("CREATE TABLE \"{}\".\"F\" (\"D\" DATE, \"ID\" NUMBER(38,0), \"NOTE\" VARCHAR)", s));
  TempDir dir;
  const auto raw = dir.write("part.tsv", "2024-01-01\t1\tone\n2024-01-02\t2\t\\N\n");
  const auto zst = dir.path() / "part.tsv.zst";
  ASSERT_EQ(std::system(fmt::format("zstd -q -f {} -o {}", raw.string(), zst.string()).c_str()), 0);
  s3::S3Settings st;
  st.bucket = "stage";
  st.region = "us-east-1";
  st.endpoint = s3_->url();
  st.addressing = s3::Addressing::path;
  st.credentials = {kAkid, kSecret, ""};
  s3::S3Client(st).upload_file("sluice/" + s + "/part_000.tsv.zst", zst);

  const std::string copy = fmt::format(
      "COPY INTO \"{0}\".\"F\" FROM @SLUICE_STAGE/{0}/ FILES = ('part_000.tsv.zst') "
      "FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = '\\t' COMPRESSION = ZSTD "
      "ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = ('\\\\N')) ON_ERROR = ABORT_STATEMENT PURGE = TRUE", s);
  auto rs = c.execute(copy);
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(*rs.rows[0][rs.column("file")], "s3://stage/sluice/" + s + "/part_000.tsv.zst");
  EXPECT_EQ(*rs.rows[0][rs.column("status")], "LOADED");
  EXPECT_EQ(*rs.rows[0][rs.column("rows_loaded")], "2");
  EXPECT_EQ(count(fmt::format("\"{}\".\"F\"", s)), 2);
  EXPECT_TRUE(s3::S3Client(st).list_objects("sluice/" + s + "/").empty());  // purged
  // Staged again (same bytes, same ETag): the load metadata skips it.
  s3::S3Client(st).upload_file("sluice/" + s + "/part_000.tsv.zst", zst);
  rs = c.execute(copy);
  ASSERT_EQ(rs.columns.size(), 1u);
  EXPECT_EQ(rs.columns[0].name, "status");
  EXPECT_EQ(*rs.rows.at(0).at(0), "Copy executed with 0 files processed.");
  EXPECT_EQ(count(fmt::format("\"{}\".\"F\"", s)), 2);
}

}  // namespace
}  // namespace sluice::test

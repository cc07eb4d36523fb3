// HTTPS for real: both emulators serve TLS with a server certificate for localhost/127.0.0.1 from a
// throw-away CA made at test time (tests/emulators/make_test_ca.py, in a temp dir). With that CA
// (ca_file) the S3 client, the SQL API client and a whole `sluice load` work; with a CA that did not
// sign the server's certificate they fail before sending anything, with an error naming the server
// and the verification failure and a hint about ca_file, and nothing is loaded or staged. Plain
// http to a host that is not loopback is refused before any connection.
#include <gtest/gtest.h>

#include <fstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/progress.h"
#include "operations/sample_data.h"
#include "tests/support/emulator_process.h"
#include "tests/support/snowflake_emulators.h"
#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/snowflake_config.h"
#include "tests/support/test_postgres.h"
#include "warehouse/http/http_client.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/s3/s3_client.h"
#include "warehouse/snowflake/sql_api_client.h"

namespace sluice::test {
namespace {

using nlohmann::json;
constexpr const char* kAkid = "AKIDTLSTEST";
constexpr const char* kSecret = "tls/test/secret";

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tls_ = new TempDir("sluice-tls");
    make_tls_material(tls_->path());
    SnowflakeEmulatorOptions o{kAkid, kSecret};
    o.tls_dir = tls_->path();
    emulators_ = new SnowflakeEmulators(o);
    key_ = &emulators_->key();
    s3_ = &emulators_->s3();
    sf_ = &emulators_->sql_api();
  }
  static void TearDownTestSuite() {
    delete emulators_;
    emulators_ = nullptr;
    delete tls_;
  }
  void SetUp() override {
    s3_->reset();
    sf_->reset();
  }
  void TearDown() override {
    if (schema_.empty()) return;
    try {
      test_connection().exec(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema_));
    } catch (...) {
    }
  }

  static std::string ca() { return (tls_->path() / "ca.pem").string(); }
  static std::string other_ca() { return (tls_->path() / "other_ca.pem").string(); }

  static s3::S3Settings s3_settings(const std::string& ca_file) {
    s3::S3Settings s = emulators_->s3_settings();
    s.retry.base_delay = std::chrono::milliseconds(5);
    s.retry.max_delay = std::chrono::milliseconds(20);
    s.http.ca_file = ca_file;
    return s;
  }
  static snowflake::SqlApiClient sql_client(const std::string& ca_file) {
    snowflake::SqlApiSettings s = emulators_->sql_api_settings();
    s.retry.base_delay = std::chrono::milliseconds(5);
    s.retry.max_delay = std::chrono::milliseconds(20);
    s.http.ca_file = ca_file;
    snowflake::KeyPairOptions o;
    o.account = "myorg-myacct";
    o.user = "loader";
    o.private_key_file = key_->private_key_file.string();
    return snowflake::SqlApiClient(s, std::make_shared<snowflake::KeyPairTokenSource>(std::move(o)));
  }

  // A config whose connection trusts `ca_file` (the stage inherits it).
  std::filesystem::path write_config(const std::string& ca_file, const std::string& stage_endpoint = "") {
    schema_ = create_snowflake_test_schema("TLS");
    const auto path = dir_.path() / "sluice.yaml";
    const std::string tables =
        "  - table: FACT\n"
        "    file_pattern: \"fact_{month}.tsv\"\n"
        "    format: tsv\n"
        "    columns:\n"
        "      - { name: ID, type: bigint }\n"
        "      - { name: NAME, type: text }\n";
    std::ofstream(path) << snowflake_config_yaml(
        {key_->private_key_file.string(), schema_, sf_->url(), stage_endpoint.empty() ? s3_->url() : stage_endpoint, ca_file},
        tables);
    return path;
  }
  std::filesystem::path small_file() {
    const auto f = dir_.path() / "fact_2024-01.tsv";
    std::ofstream out(f);
    for (int i = 1; i <= 500; ++i) out << i << "\tname " << i << "\n";
    return f;
  }
  RunResult run(const std::filesystem::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config.string(), "--progress", "none", "--batch"});
    RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_.path() / "state").string()},
             {"XDG_DATA_HOME", (dir_.path() / "data").string()},
             {"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
             {"AWS_ACCESS_KEY_ID", kAkid},
             {"AWS_SECRET_ACCESS_KEY", kSecret}};
    return run_sluice(args, o);
  }
  bool table_exists(const std::string& table) {
    auto r = test_connection().query(fmt::format(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' AND table_name = '{}'", schema_, table));
    return r.get_int(0, 0) == 1;
  }

  static inline TempDir* tls_ = nullptr;
  static inline SnowflakeEmulators* emulators_ = nullptr;
  static inline TestKeyPair* key_ = nullptr;
  static inline EmulatorProcess* s3_ = nullptr;
  static inline EmulatorProcess* sf_ = nullptr;
  TempDir dir_{"sluice-tlstest"};
  std::string schema_;
};

TEST_F(TlsTest, TheEmulatorsServeHttpsOnly) {
  EXPECT_TRUE(s3_->url().starts_with("https://127.0.0.1:")) << s3_->url();
  EXPECT_TRUE(sf_->url().starts_with("https://127.0.0.1:")) << sf_->url();
}

TEST_F(TlsTest, S3PutOverHttpsWithTheRightCaStoresTheObject) {
  s3::S3Client s3(s3_settings(ca()));
  s3.put_object("tls/hello.txt", http::Body::memory("hello over TLS"));
  long status = 0;
  EXPECT_EQ(s3_->control_bytes("object?bucket=stage&key=" + url_param("tls/hello.txt"), &status), "hello over TLS");
  EXPECT_EQ(status, 200);
  ASSERT_EQ(s3.list_objects("tls/").size(), 1u);
}

TEST_F(TlsTest, SqlApiOverHttpsWithTheRightCaRunsTheStatement) {
  auto sql = sql_client(ca());
  const auto r = sql.execute("SELECT 41 + 1");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0].value_or("NULL"), "42");
}

TEST_F(TlsTest, AnUntrustedServerCertificateFailsClearlyAndSendsNothing) {
  s3::S3Client s3(s3_settings(other_ca()));
  try {
    s3.put_object("tls/never.txt", http::Body::memory("must not arrive"));
    FAIL() << "the put succeeded with a CA that did not sign the server's certificate";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_EQ(e.primary(), fmt::format("could not verify the TLS certificate of {} (the S3 stage endpoint)", s3_->url()));
    EXPECT_NE(e.detail().find("unable to get local issuer certificate"), std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find(other_ca()), std::string::npos) << e.detail();
    EXPECT_NE(e.hint().find("ca_file in the stage entry"), std::string::npos) << e.hint();
  }
  EXPECT_TRUE(s3_->requests("op", "PutObject").empty());  // refused during the handshake
  long status = 0;
  s3_->control_bytes("object?bucket=stage&key=" + url_param("tls/never.txt"), &status);
  EXPECT_EQ(status, 404);

  auto sql = sql_client(other_ca());
  try {
    sql.execute("SELECT 1");
    FAIL() << "the SQL API call succeeded with the wrong CA";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), fmt::format("could not verify the TLS certificate of {} (the Snowflake SQL API)", sf_->url()));
    EXPECT_NE(e.hint().find("ca_file in the Snowflake connection"), std::string::npos) << e.hint();
  }
  EXPECT_TRUE(sf_->requests("op", "submit").empty());

  // The system's bundle does not know the test CA either.
  s3::S3Client system_ca(s3_settings(""));
  EXPECT_THROW(system_ca.put_object("tls/never.txt", http::Body::memory("x")), Error);
}

TEST_F(TlsTest, AMissingCaFileIsAUsageErrorNamingIt) {
  try {
    s3::S3Client s3(s3_settings((tls_->path() / "no-such-ca.pem").string()));
    s3.put_object("tls/x", http::Body::memory("x"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(e.primary().find("no-such-ca.pem"), std::string::npos) << e.primary();
  }
}

TEST_F(TlsTest, ALoadOverHttpsWithTheConnectionsCaLoadsTheRows) {
  const auto config = write_config(ca());
  const RunResult r = run(config, {"load", "--files", small_file().string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(test_connection().query(fmt::format("SELECT count(*) FROM \"{}\".\"FACT\"", schema_)).get_int(0, 0), 500);
  EXPECT_FALSE(s3_->requests("op", "PutObject").empty());
  for (const auto& p : s3_->requests("op", "PutObject")) EXPECT_EQ(p["auth"], "ok");
}

TEST_F(TlsTest, ALoadWithTheWrongCaFailsClearlyAndLoadsNothing) {
  const auto config = write_config(other_ca());
  const RunResult r = run(config, {"load", "--files", small_file().string(), "--create"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find(fmt::format("could not verify the TLS certificate of {}", sf_->url())), std::string::npos) << said;
  EXPECT_NE(said.find("HINT:"), std::string::npos) << said;
  EXPECT_NE(said.find("ca_file"), std::string::npos) << said;
  EXPECT_FALSE(table_exists("FACT"));
  EXPECT_TRUE(sf_->requests("op", "submit").empty());
  EXPECT_TRUE(s3_->requests("op", "PutObject").empty());
}

TEST_F(TlsTest, OnlyTheStagesCaWrongFailsTheUploadsAndStagesNothing) {
  // The SQL API is trusted (connection ca_file), the stage is given the unrelated CA.
  const auto config = write_config(ca());
  {
    std::ifstream in(config);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string marker = "addressing: path }";
    text.replace(text.find(marker), marker.size(), fmt::format("addressing: path, ca_file: \"{}\" }}", other_ca()));
    std::ofstream(config) << text;
  }
  const RunResult r = run(config, {"load", "--files", small_file().string(), "--create"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find(fmt::format("could not verify the TLS certificate of {} (the S3 stage endpoint)", s3_->url())),
            std::string::npos)
      << said;
  EXPECT_TRUE(s3_->requests("op", "PutObject").empty());
  EXPECT_EQ(table_exists("FACT") ? test_connection().query(fmt::format("SELECT count(*) FROM \"{}\".\"FACT\"", schema_)).get_int(0, 0) : 0,
            0);
}

TEST_F(TlsTest, PlainHttpToAHostThatIsNotLoopbackIsRefused) {
  // The config check (exit 2, before anything runs) ...
  const auto config = write_config(ca(), "http://s3.example.com:9000");
  const RunResult r = run(config, {"load", "--files", small_file().string(), "--create"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("endpoint must be an https:// URL"), std::string::npos) << r.out << r.err;
  // ... and the client itself, for any caller: refused before a connection is made.
  http::Client client;
  http::Request req;
  req.url = "http://10.0.0.1:9/";
  try {
    client.perform(req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

}  // namespace
}  // namespace sluice::test

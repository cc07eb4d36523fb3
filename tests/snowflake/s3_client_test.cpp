// The S3 stage client against the S3 emulator (tests/emulators/s3_emulator.py), over real HTTP:
// every request's signature is recomputed there by botocore. Assertions are on the bytes stored,
// the emulator's request log (operations, part numbers, retries, faults) and the errors raised.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "tests/support/emulator_process.h"
#include "tests/support/temp_dir.h"
#include "warehouse/crypto/digest.h"
#include "warehouse/s3/s3_client.h"

namespace sluice::test {
namespace {

using nlohmann::json;
constexpr const char* kAkid = "AKIDSLUICECPP";
constexpr const char* kSecret = "cpp/secret+KEY/0123456789";
constexpr const char* kTempAkid = "ASIASLUICECPP";
constexpr const char* kTempSecret = "temp/secret/cpp";
constexpr const char* kToken = "IQoJb3JpZ2luX2VjE//token+value==";
constexpr const char* kRegion = "eu-west-1";
constexpr std::uint64_t kMiB = 1 << 20;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class S3ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emu_ = new EmulatorProcess({"s3_emulator.py",
                                {"--root", "{dir}/store"},
                                json{{"region", kRegion},
                                     {"buckets", {"stage"}},
                                     {"list_page_size", 3},
                                     {"credentials",
                                      {{{"access_key", kAkid}, {"secret_key", kSecret}},
                                       {{"access_key", kTempAkid},
                                        {"secret_key", kTempSecret},
                                        {"session_token", kToken}}}}}});
  }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }
  void SetUp() override { emu_->reset(); }

  static s3::S3Settings settings() {
    s3::S3Settings s;
    s.bucket = "stage";
    s.region = kRegion;
    s.endpoint = emu_->url();
    s.addressing = s3::Addressing::path;
    s.credentials = {kAkid, kSecret, ""};
    s.part_size = 5 * kMiB;
    s.multipart_threshold = 5 * kMiB;
    s.parallel_parts = 3;
    s.retry.max_attempts = 6;
    s.retry.base_delay = std::chrono::milliseconds(5);
    s.retry.max_delay = std::chrono::milliseconds(50);
    s.http.user_agent = "sluice-test";
    return s;
  }

  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    const auto path = tmp_.path() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static std::string stored(const std::string& key, long* status = nullptr) {
    return emu_->control_bytes("object?bucket=stage&key=" + url_param(key), status);
  }

  static std::vector<std::string> ops() {
    std::vector<std::string> out;
    for (const auto& r : emu_->requests()) out.push_back(r.at("op").get<std::string>());
    return out;
  }

  static inline EmulatorProcess* emu_ = nullptr;
  TempDir tmp_;
};

TEST_F(S3ClientTest, PutObjectStoresTheExactBytesWithASignedPayload) {
  const std::string bytes = random_bytes(100'000, 1) + "\n\t\\N\r\n";
  s3::S3Client client(settings());
  const s3::ObjectInfo info =
      client.upload_file("job 1/part_000.zst", write_file("p.zst", bytes), "application/zstd");
  EXPECT_EQ(info.etag, "\"" + crypto::md5_hex(bytes) + "\"");
  EXPECT_EQ(info.size, bytes.size());
  EXPECT_EQ(stored("job 1/part_000.zst"), bytes);

  const auto log = emu_->requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["op"], "PutObject");
  EXPECT_EQ(log[0]["target"], "/stage/job%201/part_000.zst");
  EXPECT_EQ(log[0]["auth"], "ok");
  EXPECT_EQ(log[0]["content_sha256"], crypto::sha256_hex(bytes));  // S3 checks it against the body
  EXPECT_EQ(log[0]["user_agent"], "sluice-test");
  EXPECT_EQ(client.retries(), 0u);

  const auto head = client.head_object("job 1/part_000.zst");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, bytes.size());
  EXPECT_EQ(head->etag, info.etag);
  EXPECT_FALSE(client.head_object("job 1/missing.zst"));
}

TEST_F(S3ClientTest, MultipartUploadSendsPartsInParallel) {
  const std::string bytes = random_bytes(15 * kMiB + 1234, 2);
  // Each part takes at least 400 ms on the server, so overlapping parts prove parallelism.
  emu_->faults(json::array({{{"op", "UploadPart"}, {"action", "delay"}, {"delay_ms", 400},
                             {"count", -1}}}));
  s3::S3Client client(settings());
  const s3::ObjectInfo info = client.upload_file("job1/big.zst", write_file("big.zst", bytes));
  EXPECT_EQ(stored("job1/big.zst"), bytes);
  EXPECT_EQ(info.size, bytes.size());
  EXPECT_TRUE(info.etag.ends_with("-4\"")) << info.etag;

  std::vector<int> numbers;
  std::vector<std::pair<double, double>> spans;
  for (const auto& r : emu_->requests("op", "UploadPart")) {
    numbers.push_back(std::stoi(r.at("part").get<std::string>()));
    spans.emplace_back(r.at("time").get<double>(), r.at("end").get<double>());
    EXPECT_EQ(r["auth"], "ok");
  }
  std::sort(numbers.begin(), numbers.end());
  EXPECT_EQ(numbers, (std::vector<int>{1, 2, 3, 4}));
  int max_overlap = 0;
  for (const auto& [start, end] : spans) {
    int overlap = 0;
    for (const auto& [s, e] : spans) overlap += s <= start && start < e;
    max_overlap = std::max(max_overlap, overlap);
  }
  EXPECT_EQ(max_overlap, 3) << "parts in flight at once (parallel_parts = 3)";
  EXPECT_EQ(emu_->requests("op", "CreateMultipartUpload").size(), 1u);
  EXPECT_EQ(emu_->requests("op", "CompleteMultipartUpload").size(), 1u);
  EXPECT_TRUE(emu_->control("GET", "uploads?bucket=stage")["uploads"].empty());
}

TEST_F(S3ClientTest, SurvivesA5xxStormAndCountsEachRetry) {
  const std::string bytes = random_bytes(10 * kMiB + 5, 3);
  emu_->faults(json::array({{{"op", "UploadPart"}, {"action", "error"}, {"status", 503}, {"count", 3}},
                            {{"op", "CreateMultipartUpload"}, {"action", "error"}, {"status", 500},
                             {"count", 2}},
                            {{"op", "PutObject"}, {"action", "error"}, {"status", 503}, {"count", 2}}}));
  std::atomic<int> events{0};
  s3::S3Settings s = settings();
  s.on_retry = [&](const s3::RetryEvent& e) {
    ++events;
    EXPECT_TRUE(e.reason == "HTTP 503 SlowDown" || e.reason == "HTTP 500 InternalError") << e.reason;
  };
  s3::S3Client client(s);
  client.upload_file("storm/big.zst", write_file("big.zst", bytes));
  client.upload_file("storm/small.zst", write_file("small.zst", "small"));
  EXPECT_EQ(stored("storm/big.zst"), bytes);
  EXPECT_EQ(stored("storm/small.zst"), "small");
  EXPECT_EQ(client.retries(), 7u);
  EXPECT_EQ(events.load(), 7);
  int faults = 0;
  for (const auto& r : emu_->requests())
    if (!r["fault"].is_null()) ++faults;
  EXPECT_EQ(faults, 7);
  EXPECT_EQ(emu_->requests("op", "UploadPart").size(), 3u + 3u);  // 3 parts + 3 retried
}

TEST_F(S3ClientTest, GivesUpAfterMaxAttemptsWithTheLastS3Error) {
  emu_->faults(json::array({{{"op", "PutObject"}, {"action", "error"}, {"status", 503}, {"count", -1}}}));
  s3::S3Settings s = settings();
  s.retry.max_attempts = 3;
  s3::S3Client client(s);
  try {
    client.upload_file("giveup.zst", write_file("g.zst", "x"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "S3 PutObject of s3://stage/giveup.zst failed");
    EXPECT_NE(e.detail().find("HTTP 503 SlowDown: Please reduce your request rate."),
              std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find("after 3 attempts"), std::string::npos) << e.detail();
  }
  EXPECT_EQ(emu_->requests("op", "PutObject").size(), 3u);
}

TEST_F(S3ClientTest, CompleteAnswering200WithAnErrorBodyIsRetried) {
  const std::string bytes = random_bytes(6 * kMiB, 4);
  emu_->faults(json::array({{{"op", "CompleteMultipartUpload"}, {"action", "error_200"}}}));
  s3::S3Client client(settings());
  client.upload_file("e200/big.zst", write_file("big.zst", bytes));
  EXPECT_EQ(stored("e200/big.zst"), bytes);
  const auto completes = emu_->requests("op", "CompleteMultipartUpload");
  ASSERT_EQ(completes.size(), 2u);
  EXPECT_EQ(completes[0]["fault"], "error_200");
  EXPECT_EQ(completes[0]["status"], 200);
  EXPECT_EQ(completes[1]["status"], 200);
  EXPECT_TRUE(completes[1]["fault"].is_null());
}

TEST_F(S3ClientTest, ALostCompleteAnswerIsRecognisedOnRetry) {
  const std::string bytes = random_bytes(7 * kMiB, 5);
  // The server completes the upload, then drops the connection before answering.
  emu_->faults(json::array({{{"op", "CompleteMultipartUpload"}, {"action", "drop_after"}}}));
  s3::S3Client client(settings());
  s3::ObjectInfo info;
  try {
    info = client.upload_file("lost/big.zst", write_file("big.zst", bytes));
  } catch (const Error& e) {
    FAIL() << e.report();
  }
  EXPECT_EQ(stored("lost/big.zst"), bytes);
  EXPECT_TRUE(info.etag.ends_with("-2\"")) << info.etag;
  const auto completes = emu_->requests("op", "CompleteMultipartUpload");
  ASSERT_EQ(completes.size(), 2u);
  EXPECT_EQ(completes[0]["fault"], "drop_after");
  EXPECT_EQ(completes[1]["error"], "NoSuchUpload");  // already done by the first
  EXPECT_EQ(emu_->requests("op", "HeadObject").size(), 1u);
}

TEST_F(S3ClientTest, ADroppedPutIsRepeatedAndStoresOneObject) {
  emu_->faults(json::array({{{"op", "PutObject"}, {"action", "drop_after"}}}));
  s3::S3Client client(settings());
  client.upload_file("drop/one.zst", write_file("one.zst", "payload"));
  EXPECT_EQ(stored("drop/one.zst"), "payload");
  EXPECT_EQ(emu_->requests("op", "PutObject").size(), 2u);
  EXPECT_EQ(client.list_objects("drop/").size(), 1u);
}

TEST_F(S3ClientTest, AFailedMultipartUploadIsAborted) {
  emu_->faults(json::array({{{"op", "UploadPart"}, {"action", "error"}, {"status", 403},
                             {"code", "AccessDenied"}, {"message", "Access Denied"}, {"count", -1}}}));
  s3::S3Client client(settings());
  try {
    client.upload_file("denied/big.zst", write_file("big.zst", random_bytes(11 * kMiB, 6)));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "S3 UploadPart of s3://stage/denied/big.zst failed");
    EXPECT_NE(e.detail().find("HTTP 403 AccessDenied: Access Denied"), std::string::npos) << e.detail();
    EXPECT_NE(e.hint().find("s3:PutObject"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(emu_->requests("op", "AbortMultipartUpload").size(), 1u);
  EXPECT_TRUE(emu_->control("GET", "uploads?bucket=stage")["uploads"].empty());
  long status = 0;
  stored("denied/big.zst", &status);
  EXPECT_EQ(status, 404);
}

TEST_F(S3ClientTest, UnfinishedUploadsOfAKilledRunAreAborted) {
  s3::S3Client client(settings());
  // What a run killed mid-upload leaves: an upload with some parts, never completed.
  const std::string id1 = client.create_multipart_upload("job9/part_000.zst");
  client.upload_part("job9/part_000.zst", id1, 1, http::Body::memory(random_bytes(5 * kMiB, 7)));
  const std::string id2 = client.create_multipart_upload("job9/part_001.zst");
  client.create_multipart_upload("otherjob/part_000.zst");
  EXPECT_EQ(client.list_multipart_uploads("job9/").size(), 2u);
  EXPECT_EQ(client.list_parts("job9/part_000.zst", id1).size(), 1u);
  EXPECT_EQ(client.abort_multipart_uploads("job9/"), 2);
  EXPECT_TRUE(client.list_multipart_uploads("job9/").empty());
  EXPECT_EQ(client.list_multipart_uploads("").size(), 1u);  // another job's upload is left alone
  // Aborting again is not an error (the retry of a lost abort answer sees NoSuchUpload).
  EXPECT_NO_THROW(client.abort_multipart_upload("job9/part_001.zst", id2));
  client.abort_multipart_uploads("");
}

TEST_F(S3ClientTest, CancelDuringAMultipartUploadAbortsIt) {
  emu_->faults(json::array({{{"op", "UploadPart"}, {"action", "delay"}, {"delay_ms", 300},
                             {"count", -1}}}));
  Cancellation cancel;
  s3::S3Settings s = settings();
  s.parallel_parts = 1;
  s.http.cancel = &cancel;
  s3::S3Client client(s);
  std::jthread canceller([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (emu_->requests("op", "UploadPart").empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel.cancel();
  });
  try {
    client.upload_file("cancel/big.zst", write_file("big.zst", random_bytes(20 * kMiB, 8)));
    FAIL() << "expected cancellation";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "cancelled");
  }
  EXPECT_LT(emu_->requests("op", "UploadPart").size(), 4u);
  EXPECT_EQ(emu_->requests("op", "AbortMultipartUpload").size(), 1u);
  EXPECT_TRUE(emu_->control("GET", "uploads?bucket=stage")["uploads"].empty());
}

TEST_F(S3ClientTest, ListPagesThroughAllObjectsAndDeletes) {
  s3::S3Client client(settings());
  std::vector<std::string> keys = {"list/a b.zst", "list/c+d.zst", "list/\xC3\xA4.zst", "list/e.zst",
                                   "list/f/g.zst", "list/h.zst", "list/i%20.zst", "listx/no.zst"};
  for (size_t i = 0; i < keys.size(); ++i)
    client.put_object(keys[i], http::Body::memory(std::string(i + 1, 'x')));
  emu_->reset();
  const auto listed = client.list_objects("list/");
  std::vector<std::string> got;
  for (const auto& o : listed) got.push_back(o.key);
  std::vector<std::string> want(keys.begin(), keys.end() - 1);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  for (const auto& o : listed) {
    const size_t i = static_cast<size_t>(std::find(keys.begin(), keys.end(), o.key) - keys.begin());
    EXPECT_EQ(o.size, i + 1) << o.key;
    EXPECT_EQ(o.etag, "\"" + crypto::md5_hex(std::string(i + 1, 'x')) + "\"") << o.key;
  }
  EXPECT_EQ(emu_->requests("op", "ListObjectsV2").size(), 3u);  // 7 keys, 3 per page
  client.delete_object("list/a b.zst");
  EXPECT_EQ(client.list_objects("list/").size(), 6u);
  for (const auto& k : keys) client.delete_object(k);
  EXPECT_TRUE(client.list_objects("list").empty());
}

TEST_F(S3ClientTest, DeleteObjectsTakesAThousandKeysARequest) {
  s3::S3Client client(settings());
  const std::vector<std::string> present = {"del/a b.zst", "del/c&d.zst", "del/\xC3\xA4.zst"};
  for (const auto& k : present) client.put_object(k, http::Body::memory("x"));
  client.put_object("keep/x.zst", http::Body::memory("x"));
  std::vector<std::string> keys = present;
  for (int i = 0; i < 1002; ++i) keys.push_back(fmt::format("del/never-{:04}.zst", i));  // absent: deleted
  emu_->reset();
  client.delete_objects(keys);
  EXPECT_TRUE(client.list_objects("del/").empty());
  EXPECT_EQ(client.list_objects("keep/").size(), 1u);
  const auto requests = emu_->requests("op", "DeleteObjects");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["keys"].size(), 1000u);
  EXPECT_EQ(requests[1]["keys"].size(), 5u);
  EXPECT_EQ(requests[0]["keys"][1], "del/c&d.zst");
}

TEST_F(S3ClientTest, DeleteObjectsFailsNamingTheKeysS3KeptInIts200) {
  s3::S3Client client(settings());
  client.put_object("deny/a.zst", http::Body::memory("x"));
  emu_->faults(json::array({{{"op", "DeleteObjects"}, {"action", "error_200"}}}));
  try {
    client.delete_objects({"deny/a.zst"});
    FAIL() << "a key S3 could not delete must fail the call";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "S3 could not delete 1 of 1 object(s)");
    EXPECT_NE(e.detail().find("s3://stage/deny/a.zst: AccessDenied Access Denied"), std::string::npos) << e.detail();
    EXPECT_NE(e.hint().find("sluice stage clean"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(client.list_objects("deny/").size(), 1u);
}

TEST_F(S3ClientTest, WrongSecretIsRejectedWithAClearErrorAndNoSecret) {
  s3::S3Settings s = settings();
  s.credentials.secret_access_key = "not-the-secret-KEY";
  s3::S3Client client(s);
  try {
    client.upload_file("bad/x.zst", write_file("x.zst", "x"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_EQ(e.primary(), "S3 PutObject of s3://stage/bad/x.zst failed");
    EXPECT_NE(e.detail().find("HTTP 403 SignatureDoesNotMatch: The request signature we calculated "
                              "does not match the signature you provided."),
              std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find(std::string("access key id ") + kAkid), std::string::npos);
    EXPECT_NE(e.detail().find("request id "), std::string::npos);
    EXPECT_NE(e.hint().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << e.hint();
    EXPECT_EQ(e.report().find("not-the-secret-KEY"), std::string::npos);
    EXPECT_EQ(e.report().find("AWS4-HMAC-SHA256"), std::string::npos);  // no canonical request echo
  }
  const auto log = emu_->requests("op", "PutObject");
  ASSERT_EQ(log.size(), 1u);  // not retried
  EXPECT_EQ(log[0]["auth"], "SignatureDoesNotMatch");
  long status = 0;
  stored("bad/x.zst", &status);
  EXPECT_EQ(status, 404);

  s.credentials.access_key_id = "AKIDUNKNOWN";
  try {
    s3::S3Client(s).put_object("bad/y", http::Body::memory("y"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.detail().find("HTTP 403 InvalidAccessKeyId"), std::string::npos) << e.detail();
    EXPECT_NE(e.hint().find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.hint();
  }
}

TEST_F(S3ClientTest, SessionTokensAreSignedAndChecked) {
  s3::S3Settings s = settings();
  s.credentials = {kTempAkid, kTempSecret, kToken};
  s3::S3Client(s).put_object("sts/ok", http::Body::memory("ok"));
  const auto log = emu_->requests("op", "PutObject");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["auth"], "ok");
  EXPECT_EQ(log[0]["session_token"], true);

  s.credentials.session_token = "expired-or-wrong-token";
  try {
    s3::S3Client(s).put_object("sts/no", http::Body::memory("no"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.detail().find("HTTP 400 InvalidToken"), std::string::npos) << e.detail();
    EXPECT_NE(e.hint().find("AWS_SESSION_TOKEN"), std::string::npos) << e.hint();
    EXPECT_EQ(e.report().find("expired-or-wrong-token"), std::string::npos);
    EXPECT_EQ(e.report().find(kTempSecret), std::string::npos);
  }
}

TEST_F(S3ClientTest, VirtualHostedAddressingReachesTheBucketByHostName) {
  s3::S3Settings s = settings();
  s.endpoint = fmt::format("http://localhost:{}", emu_->port());
  s.addressing = s3::Addressing::virtual_hosted;
  s3::S3Client client(s);
  EXPECT_EQ(client.bucket_base_url(), fmt::format("http://stage.localhost:{}", emu_->port()));
  client.put_object("vhost/a.zst", http::Body::memory("virtual"));
  EXPECT_EQ(client.list_objects("vhost/").size(), 1u);
  EXPECT_EQ(stored("vhost/a.zst"), "virtual");
  const auto log = emu_->requests("op", "PutObject");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["host"], fmt::format("stage.localhost:{}", emu_->port()));
  EXPECT_EQ(log[0]["target"], "/vhost/a.zst");
}

TEST_F(S3ClientTest, PlainHttpToANonLoopbackHostIsRefused) {
  s3::S3Settings s = settings();
  for (const char* endpoint : {"http://s3.eu-west-1.amazonaws.com", "http://10.0.0.5:9000",
                               "http://localhost.example.com", "http://127.0.0.1.nip.io"}) {
    s.endpoint = endpoint;
    try {
      s3::S3Client client(s);
      FAIL() << "accepted " << endpoint;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_TRUE(e.primary().starts_with("refusing plain http to ")) << e.primary();
      EXPECT_NE(e.hint().find("https://"), std::string::npos);
    }
  }
  s.endpoint = "https://s3.eu-west-1.amazonaws.com";
  EXPECT_NO_THROW(s3::S3Client{s});
  s.endpoint = "";  // the AWS regional endpoint, https
  EXPECT_EQ(s3::S3Client(s).bucket_base_url(), "https://s3.eu-west-1.amazonaws.com/stage");
  s.addressing = s3::Addressing::automatic;
  EXPECT_EQ(s3::S3Client(s).bucket_base_url(), "https://stage.s3.eu-west-1.amazonaws.com");
  // The HTTP layer refuses too, whoever calls it.
  http::Client raw;
  http::Request r;
  r.url = "http://192.0.2.1/x";
  EXPECT_THROW(raw.perform(r), Error);
}

}  // namespace
}  // namespace sluice::test

// URL parsing and the transport rule of the HTTP clients: https anywhere, http only to loopback.
#include <gtest/gtest.h>

#include "core/error.h"
#include "warehouse/http/retry.h"
#include "warehouse/http/url.h"
#include "warehouse/s3/s3_client.h"
#include "warehouse/s3/s3_xml.h"

namespace sluice {
namespace {

TEST(HttpUrl, ParsesTheParts) {
  const http::Url u = http::parse_url("HTTPS://Acct.SnowflakeComputing.com:8443/api/v2/statements?requestId=x");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "acct.snowflakecomputing.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/api/v2/statements");
  EXPECT_EQ(u.query, "requestId=x");
  EXPECT_EQ(u.authority(), "acct.snowflakecomputing.com:8443");
  const http::Url v = http::parse_url("http://[::1]:9000");
  EXPECT_EQ(v.host, "[::1]");
  EXPECT_EQ(v.path, "/");
  EXPECT_EQ(v.origin(), "http://[::1]:9000");
  EXPECT_EQ(http::parse_url("https://h:443/").authority(), "h");  // default port not repeated
  EXPECT_THROW(http::parse_url("ftp://h/"), Error);
  EXPECT_THROW(http::parse_url("https://user:pw@h/"), Error);
  EXPECT_THROW(http::parse_url("https://h:99999/"), Error);
  EXPECT_THROW(http::parse_url("h:80"), Error);
}

TEST(HttpUrl, PlainHttpOnlyToLoopback) {
  for (const char* ok : {"https://example.com", "http://localhost:8080/", "http://127.0.0.1:9000",
                         "http://127.1.2.3", "http://[::1]:8443/x", "HTTP://LOCALHOST",
                         "http://stage.localhost:9000/"})
    EXPECT_TRUE(http::is_allowed_endpoint(ok)) << ok;
  for (const char* bad : {"http://example.com", "http://localhost.evil.com", "http://128.0.0.1",
                          "http://127.0.0.1.evil.com", "http://127.0.0.1:80@evil.com/",
                          "ftp://localhost", "https://", "localhost:8080", "http://[::2]",
                          "http://10.0.0.1"})
    EXPECT_FALSE(http::is_allowed_endpoint(bad)) << bad;
  try {
    http::require_allowed_endpoint("http://s3.amazonaws.com/b", "the S3 stage endpoint");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), "refusing plain http to s3.amazonaws.com for the S3 stage endpoint");
  }
}

TEST(S3Url, BucketAndPrefix) {
  const auto u = s3::S3Url::parse("s3://my-bucket/sluice/in");
  EXPECT_EQ(u.bucket, "my-bucket");
  EXPECT_EQ(u.prefix, "sluice/in/");
  EXPECT_EQ(u.key("job1/part_000.zst"), "sluice/in/job1/part_000.zst");
  EXPECT_EQ(u.url_of(u.key("a")), "s3://my-bucket/sluice/in/a");
  EXPECT_EQ(s3::S3Url::parse("s3://b").prefix, "");
  EXPECT_THROW(s3::S3Url::parse("gs://b/x"), Error);
  EXPECT_THROW(s3::S3Url::parse("s3:///x"), Error);
}

TEST(S3Xml, TextElementsAndEntities) {
  const std::string doc =
      "<?xml version=\"1.0\"?>\n<ListBucketResult xmlns=\"x\"><Name>b</Name>"
      "<Contents><Key>a&amp;b</Key><ETag>&quot;e1&quot;</ETag></Contents>"
      "<Contents><Key>&#xE4;&#228;</Key><ETag/></Contents></ListBucketResult>";
  EXPECT_EQ(s3::xml::root_name(doc), "ListBucketResult");
  EXPECT_EQ(s3::xml::text(doc, "Name"), "b");
  EXPECT_FALSE(s3::xml::text(doc, "Nam"));
  const auto contents = s3::xml::elements(doc, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(s3::xml::text(contents[0], "Key"), "a&b");
  EXPECT_EQ(s3::xml::text(contents[0], "ETag"), "\"e1\"");
  EXPECT_EQ(s3::xml::text(contents[1], "Key"), "\xC3\xA4\xC3\xA4");
  EXPECT_EQ(s3::xml::text(contents[1], "ETag"), "");
  EXPECT_EQ(s3::xml::root_name("<?xml version=\"1.0\"?>\n\n      \n<Error><Code>X</Code></Error>"),
            "Error");
  EXPECT_EQ(s3::xml::escape("<\"a&b'>"), "&lt;&quot;a&amp;b&apos;&gt;");
}

TEST(RetryPolicy, BackoffGrowsWithJitterAndHonoursRetryAfter) {
  http::RetryPolicy p;
  p.base_delay = std::chrono::milliseconds(100);
  p.max_delay = std::chrono::milliseconds(1000);
  for (int i = 0; i < 50; ++i) {
    const auto d1 = p.backoff(1).count(), d3 = p.backoff(3).count(), d9 = p.backoff(9).count();
    EXPECT_GE(d1, 50);
    EXPECT_LE(d1, 100);
    EXPECT_GE(d3, 200);
    EXPECT_LE(d3, 400);
    EXPECT_GE(d9, 500);
    EXPECT_LE(d9, 1000);
  }
  EXPECT_EQ(p.backoff(1, std::chrono::seconds(5)).count(), 1000);  // capped
  std::string h = "0";
  EXPECT_EQ(http::parse_retry_after(&h), std::chrono::seconds(0));
  h = "Wed, 21 Oct 2015 07:28:00 GMT";
  EXPECT_FALSE(http::parse_retry_after(&h));
  Cancellation c;
  c.cancel();
  EXPECT_FALSE(http::sleep_unless_cancelled(std::chrono::seconds(5), &c));
}

}  // namespace
}  // namespace sluice

// SigV4 against AWS's published signatures: the S3 examples of "Signature Calculations for the
// Authorization Header" (GET object with Range, PUT object, GET ?lifecycle, ListObjects) and cases
// of the aws-sig-v4-test-suite (credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1, service
// "service"). Each expected value was also reproduced with botocore's signer.
#include <gtest/gtest.h>

#include "warehouse/crypto/digest.h"
#include "warehouse/s3/sigv4.h"

namespace sluice::aws {
namespace {

const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const SigV4Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const SigV4Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

SigV4Signature s3_docs(SigV4Request r) {
  r.headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
  r.headers.emplace_back("x-amz-date", "20130524T000000Z");
  r.headers.emplace_back("x-amz-content-sha256", r.payload_hash);
  return sign_v4(r, kS3Docs, "us-east-1", "s3", "20130524T000000Z");
}

SigV4Signature suite(SigV4Request r) {
  r.headers.emplace_back("Host", "example.amazonaws.com");
  r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  if (r.payload_hash.empty()) r.payload_hash = kEmpty;
  return sign_v4(r, kSuite, "us-east-1", "service", "20150830T123600Z");
}

TEST(SigV4, S3GetObjectWithRange) {
  const auto sig = s3_docs({"GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, kEmpty});
  EXPECT_EQ(sig.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" + kEmpty + "\nx-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n" + kEmpty);
  EXPECT_EQ(crypto::sha256_hex(sig.canonical_request),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObject) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string hash = crypto::sha256_hex(body);
  EXPECT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const auto sig = s3_docs({"PUT", "/" + uri_encode("test$file.text", false), {},
                            {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                             {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                            hash});
  EXPECT_EQ(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  EXPECT_EQ(sig.signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
}

TEST(SigV4, S3GetBucketLifecycleValuelessParameter) {
  const auto sig = s3_docs({"GET", "/", {{"lifecycle", ""}}, {}, kEmpty});
  EXPECT_NE(sig.canonical_request.find("\n/\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(sig.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjects) {
  const auto sig = s3_docs({"GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, kEmpty});
  EXPECT_NE(sig.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos);
  EXPECT_EQ(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, SuiteGetVanilla) {
  EXPECT_EQ(suite({"GET", "/", {}, {}, ""}).authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, SuitePostVanilla) {
  EXPECT_EQ(suite({"POST", "/", {}, {}, ""}).signature,
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4, SuiteQueryOrderKeyCase) {
  EXPECT_EQ(suite({"GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {}, ""}).signature,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, SuiteUtf8Query) {
  EXPECT_EQ(suite({"GET", "/", {{"\xE1\x88\xB4", "bar"}}, {}, ""}).signature,
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST(SigV4, SuiteUtf8AndSpaceInPath) {
  EXPECT_EQ(suite({"GET", "/" + uri_encode("\xE1\x88\xB4", false), {}, {}, ""}).signature,
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
  EXPECT_EQ(suite({"GET", uri_encode("/example space/", false), {}, {}, ""}).signature,
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4, SuiteHeaderValueTrimAndCase) {
  EXPECT_EQ(suite({"GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, ""})
                .signature,
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
  EXPECT_EQ(suite({"POST", "/", {}, {{"My-Header1", "VALUE1"}}, ""}).signature,
            "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4, SuiteHeaderKeyDuplicate) {
  EXPECT_EQ(suite({"GET", "/", {},
                   {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, ""})
                .signature,
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

TEST(SigV4, SuitePostFormBody) {
  const std::string body = "Param1=value1";
  EXPECT_EQ(suite({"POST", "/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}},
                   crypto::sha256_hex(body)})
                .signature,
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4, UriEncodeAndCanonicalQuery) {
  EXPECT_EQ(uri_encode("job 1/part+0001.csv.zst", false), "job%201/part%2B0001.csv.zst");
  EXPECT_EQ(uri_encode("a/b~c_d-e.f", true), "a%2Fb~c_d-e.f");
  EXPECT_EQ(uri_encode("\xC3\xA4"), "%C3%A4");  // upper-case hex
  // sorted, valueless as "name=", values encoded
  EXPECT_EQ(canonical_query({{"uploadId", "a/b+c=="}, {"partNumber", "3"}}),
            "partNumber=3&uploadId=a%2Fb%2Bc%3D%3D");
  EXPECT_EQ(canonical_query({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(canonical_query({{"prefix", "x"}, {"list-type", "2"}, {"continuation-token", "t/=="}}),
            "continuation-token=t%2F%3D%3D&list-type=2&prefix=x");
}

TEST(SigV4, AmzDate) {
  EXPECT_EQ(amz_date(std::chrono::system_clock::from_time_t(1369353600)), "20130524T000000Z");
}

}  // namespace
}  // namespace sluice::aws

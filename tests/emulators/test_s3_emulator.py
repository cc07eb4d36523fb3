#!/usr/bin/python3
"""Tests of the S3 emulator itself, with third-party clients: botocore, Debian's awscli and curl.
Run: /usr/bin/python3 -m unittest -v test_s3_emulator (from tests/emulators), or via ctest."""

import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from xml.etree import ElementTree

import botocore.session
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, SSLError

from harness import EmulatorProcess

AKID, SECRET = "AKIDSLUICETEST", "s3cr3t/Key+With/Slashes"
TMP_AKID, TMP_SECRET, TOKEN = "ASIASLUICETEMP", "temp/secret", "FwoGZXIvYXdzEBc//session+token=="
REGION = "eu-west-1"
MIB = 1024 * 1024
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class _FixedPayloadSigner(S3SigV4Auth):
    """botocore's signer with a chosen x-amz-content-sha256 (None: the body's hash)."""

    def __init__(self, credentials, region, payload_hash):
        super().__init__(credentials, "s3", region)
        self._payload_hash = payload_hash

    def payload(self, request):
        return self._payload_hash or super().payload(request)


def error_code(e: ClientError) -> str:
    return e.response["Error"]["Code"]


class S3EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = EmulatorProcess("s3_emulator.py", ["--root", "{dir}/store"], {
            "region": REGION, "buckets": ["stage", "other"],
            "credentials": [{"access_key": AKID, "secret_key": SECRET},
                            {"access_key": TMP_AKID, "secret_key": TMP_SECRET,
                             "session_token": TOKEN}]})
        cls.s3 = cls.client()

    @classmethod
    def tearDownClass(cls):
        cls.s3.close()
        cls.emu.stop()

    @classmethod
    def client(cls, akid=AKID, secret=SECRET, token=None, style="path", endpoint=None):
        session = botocore.session.get_session()
        return session.create_client(
            "s3", region_name=REGION, endpoint_url=endpoint or cls.emu.url,
            aws_access_key_id=akid, aws_secret_access_key=secret, aws_session_token=token,
            config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1}))

    def setUp(self):
        self.emu.reset()

    # --- raw requests signed by botocore, optionally spoiled ---------------------------------

    def raw(self, method, path, body=b"", headers=None, sign=True, creds=(AKID, SECRET, None),
            spoil=None, payload_hash=None):
        """Sends one request with http.client; botocore signs it (x-amz-content-sha256 =
        payload_hash, else the body's hash); `spoil(headers)` may tamper with the signed headers
        (names lower-cased) before sending. Returns (status, headers, body)."""
        headers = dict(headers or {})
        if sign:
            req = AWSRequest(method=method, url=self.emu.url + path, data=body, headers=headers)
            _FixedPayloadSigner(Credentials(*creds), REGION, payload_hash).add_auth(req)
            headers = {k.lower(): v for k, v in req.headers.items()}
        if spoil:
            spoil(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    @staticmethod
    def xml_error(body: bytes) -> dict:
        root = ElementTree.fromstring(body)
        assert root.tag == "Error", body
        return {child.tag: child.text for child in root}

    # --- the happy paths through third-party clients -----------------------------------------

    def test_botocore_put_get_head_list_delete(self):
        data = os.urandom(1000) + b"\n\t\x00end"
        put = self.s3.put_object(Bucket="stage", Key="job1/part 0001.csv.zst", Body=data,
                                 ContentType="application/zstd")
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        got = self.s3.get_object(Bucket="stage", Key="job1/part 0001.csv.zst")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ContentType"], "application/zstd")
        head = self.s3.head_object(Bucket="stage", Key="job1/part 0001.csv.zst")
        self.assertEqual(head["ContentLength"], len(data))
        listed = self.s3.list_objects_v2(Bucket="stage", Prefix="job1/")
        self.assertEqual([(o["Key"], o["Size"]) for o in listed["Contents"]],
                         [("job1/part 0001.csv.zst", len(data))])
        self.s3.delete_object(Bucket="stage", Key="job1/part 0001.csv.zst")
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="stage", Key="job1/part 0001.csv.zst")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        # every request was verified by the emulator's botocore signer
        self.assertTrue(all(r["auth"] == "ok" for r in self.emu.requests()))

    def test_botocore_delete_objects(self):
        for k in ("d/a", "d/b & c", "d/keep"):
            self.s3.put_object(Bucket="stage", Key=k, Body=b"x")
        # botocore sends the Content-MD5 S3 requires; a missing key counts as deleted
        out = self.s3.delete_objects(Bucket="stage", Delete={
            "Objects": [{"Key": "d/a"}, {"Key": "d/b & c"}, {"Key": "d/never"}]})
        self.assertEqual(sorted(d["Key"] for d in out["Deleted"]), ["d/a", "d/b & c", "d/never"])
        self.assertNotIn("Errors", out)
        listed = self.s3.list_objects_v2(Bucket="stage", Prefix="d/")
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["d/keep"])
        quiet = self.s3.delete_objects(Bucket="stage", Delete={"Objects": [{"Key": "d/keep"}],
                                                               "Quiet": True})
        self.assertNotIn("Deleted", quiet)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="stage", Prefix="d/"))

    def test_delete_objects_needs_a_matching_content_md5(self):
        self.s3.put_object(Bucket="stage", Key="d/a", Body=b"x")
        doc = b"<Delete><Object><Key>d/a</Key></Object></Delete>"
        status, _, body = self.raw("POST", "/stage?delete", doc)
        self.assertEqual((status, self.xml_error(body)["Code"]), (400, "InvalidRequest"))
        wrong = base64.b64encode(hashlib.md5(doc + b" ").digest()).decode()
        status, _, body = self.raw("POST", "/stage?delete", doc, headers={"Content-MD5": wrong})
        self.assertEqual((status, self.xml_error(body)["Code"]), (400, "BadDigest"))
        right = base64.b64encode(hashlib.md5(doc).digest()).decode()
        status, _, body = self.raw("POST", "/stage?delete", b"<Delete></Delete>", headers={
            "Content-MD5": base64.b64encode(hashlib.md5(b"<Delete></Delete>").digest()).decode()})
        self.assertEqual((status, self.xml_error(body)["Code"]), (400, "MalformedXML"))
        self.s3.head_object(Bucket="stage", Key="d/a")  # still there
        status, _, body = self.raw("POST", "/stage?delete", doc, headers={"Content-MD5": right})
        self.assertEqual(status, 200, body)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="stage", Key="d/a")

    def test_ranged_get(self):
        self.s3.put_object(Bucket="stage", Key="r", Body=b"0123456789")
        got = self.s3.get_object(Bucket="stage", Key="r", Range="bytes=2-5")
        self.assertEqual(got["Body"].read(), b"2345")
        self.assertEqual(got["ContentRange"], "bytes 2-5/10")

    def test_botocore_multipart_upload(self):
        parts = [os.urandom(5 * MIB), os.urandom(5 * MIB + 7), b"tail"]
        up = self.s3.create_multipart_upload(Bucket="stage", Key="mp/big.zst")
        uid = up["UploadId"]
        in_progress = self.s3.list_multipart_uploads(Bucket="stage", Prefix="mp/")["Uploads"]
        self.assertEqual([(u["Key"], u["UploadId"]) for u in in_progress], [("mp/big.zst", uid)])
        etags = []
        for n in (3, 1, 2):  # any order, as parallel uploads finish
            r = self.s3.upload_part(Bucket="stage", Key="mp/big.zst", UploadId=uid, PartNumber=n,
                                    Body=parts[n - 1])
            self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(parts[n - 1]).hexdigest())
            etags.append((n, r["ETag"]))
        listed = self.s3.list_parts(Bucket="stage", Key="mp/big.zst", UploadId=uid)["Parts"]
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in listed],
                         [(1, 5 * MIB), (2, 5 * MIB + 7), (3, 4)])
        done = self.s3.complete_multipart_upload(
            Bucket="stage", Key="mp/big.zst", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in sorted(etags)]})
        md5s = b"".join(hashlib.md5(p).digest() for p in parts)
        self.assertEqual(done["ETag"], '"%s-3"' % hashlib.md5(md5s).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket="stage", Key="mp/big.zst")["Body"].read(),
                         b"".join(parts))
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket="stage", Prefix="mp/"))

    def test_multipart_rules(self):
        uid = self.s3.create_multipart_upload(Bucket="stage", Key="mp/rules")["UploadId"]
        e1 = self.s3.upload_part(Bucket="stage", Key="mp/rules", UploadId=uid, PartNumber=1,
                                 Body=b"small")["ETag"]
        e2 = self.s3.upload_part(Bucket="stage", Key="mp/rules", UploadId=uid, PartNumber=2,
                                 Body=b"last")["ETag"]

        def complete(parts):
            with self.assertRaises(ClientError) as e:
                self.s3.complete_multipart_upload(
                    Bucket="stage", Key="mp/rules", UploadId=uid,
                    MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t} for n, t in parts]})
            return error_code(e.exception)

        self.assertEqual(complete([(1, e1), (2, e2)]), "EntityTooSmall")   # part 1 < 5 MiB
        self.assertEqual(complete([(2, e2), (1, e1)]), "InvalidPartOrder")
        self.assertEqual(complete([(1, e2)]), "InvalidPart")               # wrong ETag
        # abort: the upload and its parts are gone
        self.s3.abort_multipart_upload(Bucket="stage", Key="mp/rules", UploadId=uid)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket="stage", Prefix="mp/"))
        with self.assertRaises(ClientError) as e:
            self.s3.upload_part(Bucket="stage", Key="mp/rules", UploadId=uid, PartNumber=3,
                                Body=b"x")
        self.assertEqual(error_code(e.exception), "NoSuchUpload")

    def test_list_objects_v2_prefix_delimiter_continuation(self):
        keys = [f"list/job{j}/part-{i:04d}.zst" for j in (1, 2) for i in range(5)] + ["list/top",
                                                                                  "listx/nope"]
        for k in keys:
            self.s3.put_object(Bucket="stage", Key=k, Body=k.encode())
        seen, token, pages = [], None, 0
        while True:
            kw = {"ContinuationToken": token} if token else {}
            page = self.s3.list_objects_v2(Bucket="stage", Prefix="list/", MaxKeys=3, **kw)
            pages += 1
            self.assertEqual(page["KeyCount"], len(page.get("Contents", [])))
            seen += [o["Key"] for o in page.get("Contents", [])]
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        self.assertEqual(seen, sorted(k for k in keys if k.startswith("list/")))
        self.assertEqual(pages, 4)  # 11 keys, 3 per page
        page = self.s3.list_objects_v2(Bucket="stage", Prefix="list/", Delimiter="/", MaxKeys=2)
        self.assertEqual([p["Prefix"] for p in page["CommonPrefixes"]], ["list/job1/", "list/job2/"])
        self.assertTrue(page["IsTruncated"])
        page = self.s3.list_objects_v2(Bucket="stage", Prefix="list/", Delimiter="/",
                                       ContinuationToken=page["NextContinuationToken"])
        self.assertEqual([o["Key"] for o in page["Contents"]], ["list/top"])
        self.assertNotIn("CommonPrefixes", page)
        page = self.s3.list_objects_v2(Bucket="stage", Prefix="list/job2/", StartAfter="list/job2/part-0002.zst")
        self.assertEqual([o["Key"] for o in page["Contents"]],
                         ["list/job2/part-0003.zst", "list/job2/part-0004.zst"])

    def test_session_token(self):
        tmp = self.client(TMP_AKID, TMP_SECRET, TOKEN)
        tmp.put_object(Bucket="stage", Key="sts/ok", Body=b"ok")
        log = self.emu.requests(op="PutObject", key="sts/ok")
        self.assertTrue(log[0]["session_token"])
        self.assertIn("x-amz-security-token", log[0]["signed_headers"])
        with self.assertRaises(ClientError) as e:  # temporary key without its token
            self.client(TMP_AKID, TMP_SECRET).put_object(Bucket="stage", Key="sts/no", Body=b"x")
        self.assertEqual(error_code(e.exception), "InvalidAccessKeyId")
        with self.assertRaises(ClientError) as e:
            self.client(TMP_AKID, TMP_SECRET, TOKEN + "x").put_object(Bucket="stage", Key="sts/no",
                                                                      Body=b"x")
        self.assertEqual(error_code(e.exception), "InvalidToken")

    # --- rejections --------------------------------------------------------------------------

    def test_tampered_signature_is_rejected_with_s3_error_body(self):
        def flip_last_hex(h):
            auth = h["authorization"]
            h["authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")

        status, headers, body = self.raw("PUT", "/stage/tampered", b"data", spoil=flip_last_hex)
        self.assertEqual(status, 403)
        self.assertEqual(headers["Content-Type"], "application/xml")
        err = self.xml_error(body)
        self.assertEqual(err["Code"], "SignatureDoesNotMatch")
        self.assertEqual(err["Message"], "The request signature we calculated does not match the "
                                         "signature you provided. Check your key and signing method.")
        self.assertEqual(err["AWSAccessKeyId"], AKID)
        self.assertTrue(err["StringToSign"].startswith("AWS4-HMAC-SHA256\n"))
        self.assertTrue(err["CanonicalRequest"].startswith("PUT\n/stage/tampered\n"))
        self.assertTrue(err["RequestId"])
        self.assertEqual(headers["x-amz-request-id"], err["RequestId"])
        self.assertEqual(self.emu.requests(op="PutObject")[0]["auth"], "SignatureDoesNotMatch")
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="stage", Key="tampered")  # nothing was stored

        # a signed header changed after signing
        status, _, body = self.raw("PUT", "/stage/tampered", b"data",
                                   headers={"Content-Type": "text/plain"},
                                   spoil=lambda h: h.update({"content-type": "text/html"}))
        self.assertEqual((status, self.xml_error(body)["Code"]), (403, "SignatureDoesNotMatch"))
        # the wrong secret
        status, _, body = self.raw("PUT", "/stage/tampered", b"data", creds=(AKID, "wrong", None))
        self.assertEqual((status, self.xml_error(body)["Code"]), (403, "SignatureDoesNotMatch"))

    def test_other_rejections(self):
        # unknown access key
        status, _, body = self.raw("PUT", "/stage/x", b"d", creds=("AKIDNOBODY", "s", None))
        self.assertEqual((status, self.xml_error(body)["Code"]), (403, "InvalidAccessKeyId"))
        # no Authorization at all
        status, _, body = self.raw("GET", "/stage?list-type=2", sign=False)
        self.assertEqual((status, self.xml_error(body)["Code"]), (403, "AccessDenied"))
        # the payload hash header changed after signing
        def other_hash(h):
            h["x-amz-content-sha256"] = hashlib.sha256(b"zzzz").hexdigest()
        status, _, body = self.raw("PUT", "/stage/x", b"abcd", spoil=other_hash)
        self.assertEqual((status, self.xml_error(body)["Code"]), (403, "SignatureDoesNotMatch"))
        # a correctly signed hash that is not the body's
        status, _, body = self.raw("PUT", "/stage/x", b"abcd",
                                   payload_hash=hashlib.sha256(b"zzzz").hexdigest())
        self.assertEqual((status, self.xml_error(body)["Code"]), (400, "XAmzContentSHA256Mismatch"))
        # UNSIGNED-PAYLOAD is accepted whatever the body
        status, _, _ = self.raw("PUT", "/stage/x", b"abcd", payload_hash="UNSIGNED-PAYLOAD")
        self.assertEqual(status, 200)
        # an x-amz-* header that was not signed
        status, _, body = self.raw("PUT", "/stage/x", b"d",
                                   spoil=lambda h: h.update({"x-amz-meta-extra": "1"}))
        err = self.xml_error(body)
        self.assertEqual((status, err["Code"], err["HeadersNotSigned"]),
                         (403, "AccessDenied", "x-amz-meta-extra"))
        # wrong region in the credential scope
        req = AWSRequest(method="GET", url=self.emu.url + "/stage?list-type=2",
                         headers={"x-amz-content-sha256": hashlib.sha256(b"").hexdigest()})
        S3SigV4Auth(Credentials(AKID, SECRET), "s3", "us-east-1").add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        conn.request("GET", "/stage?list-type=2", headers=dict(req.headers.items()))
        r = conn.getresponse()
        err = self.xml_error(r.read())
        conn.close()
        self.assertEqual((r.status, err["Code"], err["Region"]),
                         (400, "AuthorizationHeaderMalformed", REGION))

    def test_missing_content_sha256_and_chunked_uploads_are_rejected(self):
        def drop_sha(h):
            del h["x-amz-content-sha256"]
        status, _, body = self.raw("PUT", "/stage/x", b"d", spoil=drop_sha)
        self.assertEqual((status, self.xml_error(body)["Code"]), (400, "InvalidRequest"))
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        req = AWSRequest(method="PUT", url=self.emu.url + "/stage/chunked",
                         headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        S3SigV4Auth(Credentials(AKID, SECRET), "s3", REGION).add_auth(req)
        conn.request("PUT", "/stage/chunked", body=iter([b"abc", b"def"]),
                     headers=dict(req.headers.items()), encode_chunked=True)
        r = conn.getresponse()
        self.assertEqual((r.status, self.xml_error(r.read())["Code"]), (411, "MissingContentLength"))
        conn.close()

    def test_curl_788_sigv4_quirk_is_caught(self):
        """curl 7.88's CURLOPT_AWS_SIGV4 signs the query as sent: "?uploads" is signed as
        "uploads" where S3 expects "uploads=" (docs/snowflake.md). The emulator must see that."""
        version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout
        m = re.match(r"curl (\d+)\.(\d+)", version)
        base = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4",
                f"aws:amz:{REGION}:s3", "--user", f"{AKID}:{SECRET}",
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", "POST", "-d", ""]
        ok = subprocess.run(base + [f"{self.emu.url}/stage/q?uploads="], capture_output=True,
                            text=True).stdout
        self.assertEqual(ok, "200")
        if m and (int(m.group(1)), int(m.group(2))) < (8, 5):
            bad = subprocess.run(base + [f"{self.emu.url}/stage/q?uploads"], capture_output=True,
                                 text=True).stdout
            self.assertEqual(bad, "403")

    # --- fault knobs -------------------------------------------------------------------------

    def test_error_storm_then_success(self):
        self.emu.faults({"op": "PutObject", "action": "error", "status": 503, "count": 2},
                        {"op": "PutObject", "action": "error", "status": 500, "count": 1})
        results = []
        for _ in range(4):
            status, _, body = self.raw("PUT", "/stage/storm", b"x")
            results.append((status, self.xml_error(body)["Code"] if body else None))
        self.assertEqual(results, [(503, "SlowDown"), (503, "SlowDown"), (500, "InternalError"),
                                   (200, None)])
        self.assertEqual([r["fault"] for r in self.emu.requests(op="PutObject")],
                         ["error", "error", "error", None])

    def test_dropped_connection_after_execution(self):
        self.emu.faults({"op": "PutObject", "action": "drop_after"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.raw("PUT", "/stage/dropped", b"stored anyway")
        # the server executed before dropping: the object is there
        self.assertEqual(self.s3.get_object(Bucket="stage", Key="dropped")["Body"].read(),
                         b"stored anyway")
        self.emu.faults({"op": "PutObject", "action": "drop_before"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.raw("PUT", "/stage/never", b"x")
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="stage", Key="never")

    def test_complete_multipart_200_with_error_body(self):
        uid = self.s3.create_multipart_upload(Bucket="stage", Key="mp/e200")["UploadId"]
        etag = self.s3.upload_part(Bucket="stage", Key="mp/e200", UploadId=uid, PartNumber=1,
                                   Body=b"only part")["ETag"]
        self.emu.faults({"op": "CompleteMultipartUpload", "action": "error_200"})
        xml = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
               "</CompleteMultipartUpload>").encode()
        status, _, body = self.raw("POST", f"/stage/mp/e200?uploadId={uid}", xml)
        self.assertEqual(status, 200)
        self.assertEqual(self.xml_error(body.strip())["Code"], "InternalError")
        # not completed: the upload is still there, and completing again works
        self.assertEqual(len(self.s3.list_multipart_uploads(Bucket="stage", Prefix="mp/e200")["Uploads"]),
                         1)
        status, _, body = self.raw("POST", f"/stage/mp/e200?uploadId={uid}", xml)
        self.assertEqual(status, 200)
        self.assertEqual(ElementTree.fromstring(body).tag, NS + "CompleteMultipartUploadResult")
        self.assertEqual(self.s3.get_object(Bucket="stage", Key="mp/e200")["Body"].read(),
                         b"only part")

    def test_latency(self):
        self.emu.faults({"op": "*", "action": "delay", "delay_ms": 300, "count": 2})
        start = time.monotonic()
        for _ in range(3):
            self.s3.list_objects_v2(Bucket="stage")
        self.assertGreaterEqual(time.monotonic() - start, 0.6)

    # --- awscli ------------------------------------------------------------------------------

    def aws(self, *args, check=True):
        with tempfile.TemporaryDirectory() as home:
            env = {"PATH": "/usr/bin:/bin", "HOME": home, "AWS_ACCESS_KEY_ID": AKID,
                   "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": REGION,
                   "AWS_CONFIG_FILE": os.path.join(home, "config"),
                   "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
                   "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true"}
            r = subprocess.run(["/usr/bin/aws", "--endpoint-url", self.emu.url, *args], env=env,
                               capture_output=True, timeout=120)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r

    def test_awscli_cp_and_ls(self):
        with tempfile.TemporaryDirectory() as d:
            small = os.path.join(d, "small.tsv")
            with open(small, "wb") as f:
                f.write(b"a\tb\n1\t2\n")
            big = os.path.join(d, "big.bin")  # above awscli's 8 MiB threshold: multipart
            big_data = os.urandom(17 * MIB)
            with open(big, "wb") as f:
                f.write(big_data)
            self.aws("s3", "cp", small, "s3://stage/cli/small.tsv")
            self.aws("s3", "cp", big, "s3://stage/cli/big.bin")
            ls = self.aws("s3", "ls", "s3://stage/cli/").stdout.decode()
            self.assertRegex(ls, r"\s8 small\.tsv")
            self.assertRegex(ls, r"\s%d big\.bin" % len(big_data))
            back = os.path.join(d, "back.bin")
            self.aws("s3", "cp", "s3://stage/cli/big.bin", back)
            with open(back, "rb") as f:
                self.assertEqual(f.read(), big_data)
        ops = [r["op"] for r in self.emu.requests()]
        self.assertIn("PutObject", ops)
        self.assertIn("CompleteMultipartUpload", ops)
        self.assertGreaterEqual(ops.count("UploadPart"), 3)
        self.assertTrue(all(r["auth"] == "ok" for r in self.emu.requests()))
        # the stored bytes are exactly what was uploaded
        self.assertEqual(self.s3.get_object(Bucket="stage", Key="cli/small.tsv")["Body"].read(),
                         b"a\tb\n1\t2\n")
        # awscli's DeleteObjects (s3api delete-objects) removes both
        self.aws("s3api", "delete-objects", "--bucket", "stage", "--delete",
                 json.dumps({"Objects": [{"Key": "cli/small.tsv"}, {"Key": "cli/big.bin"}],
                             "Quiet": True}))
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="stage", Prefix="cli/"))
        self.assertEqual(len(self.emu.requests(op="DeleteObjects")), 1)
        # and awscli sees a bad secret as the S3 error it is
        r = subprocess.run(["/usr/bin/aws", "--endpoint-url", self.emu.url, "s3", "ls",
                            "s3://stage/"], capture_output=True, timeout=60,
                           env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                                "AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": "bad",
                                "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"SignatureDoesNotMatch", r.stderr)


class S3EmulatorTlsTest(unittest.TestCase):
    """--tls-cert/--tls-key: HTTPS only, with a throw-away CA made here (make_test_ca.py)."""

    @classmethod
    def setUpClass(cls):
        cls.tls = tempfile.mkdtemp(prefix="sluice-tls-")
        subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "make_test_ca.py"), cls.tls], check=True)
        cls.emu = EmulatorProcess("s3_emulator.py", ["--root", "{dir}/store"], {
            "region": REGION, "buckets": ["stage"],
            "credentials": [{"access_key": AKID, "secret_key": SECRET}]}, tls_dir=cls.tls)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()
        shutil.rmtree(cls.tls, ignore_errors=True)

    def client(self, ca):
        return botocore.session.get_session().create_client(
            "s3", region_name=REGION, endpoint_url=self.emu.url, aws_access_key_id=AKID,
            aws_secret_access_key=SECRET, verify=os.path.join(self.tls, ca),
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def test_https_with_the_ca_and_refused_with_another(self):
        self.assertTrue(self.emu.url.startswith("https://127.0.0.1:"))
        good = self.client("ca.pem")
        good.put_object(Bucket="stage", Key="tls/a.txt", Body=b"over TLS")
        self.assertEqual(good.get_object(Bucket="stage", Key="tls/a.txt")["Body"].read(), b"over TLS")
        bad = self.client("other_ca.pem")
        with self.assertRaises(SSLError):
            bad.put_object(Bucket="stage", Key="tls/b.txt", Body=b"never")
        self.assertEqual([r["key"] for r in self.emu.requests(op="PutObject")], ["tls/a.txt"])
        # plain http to the TLS port gets no answer
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            conn.request("GET", "/_emulator/health")
            conn.getresponse()
        conn.close()


if __name__ == "__main__":
    unittest.main()

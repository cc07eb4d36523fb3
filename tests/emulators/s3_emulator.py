#!/usr/bin/python3
"""An S3 emulator for sluice's tests: the subset of the S3 REST API a stage needs, with every request's
SigV4 signature recomputed by botocore (Debian's python3-botocore, an implementation independent of
sluice's) from the request as received, and bad signatures rejected the way S3 rejects them.

Operations (path-style /<bucket>/<key>; virtual-hosted <bucket>.localhost[:port]/<key> too):
  ListBuckets, CreateBucket, HeadBucket, ListObjectsV2 (prefix, delimiter, max-keys,
  continuation-token, start-after, encoding-type=url), PutObject, GetObject (Range), HeadObject,
  DeleteObject, CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload (parts
  ascending, ETags checked, 5 MiB minimum except the last part), AbortMultipartUpload,
  ListMultipartUploads. Anything else answers 501 NotImplemented.

What S3 requires and this enforces: Content-Length on uploads (chunked -> 411 MissingContentLength),
x-amz-content-sha256 on every request (and equal to the body's SHA-256 unless UNSIGNED-PAYLOAD),
x-amz-date within 15 minutes, the credential scope's region and service, every x-amz-* header
signed, a session token exactly when the credentials have one.

Run: /usr/bin/python3 s3_emulator.py --root DIR --config CONFIG.json [--ready-file F] ...
CONFIG.json: {"region": "us-east-1", "buckets": ["stage"],
              "credentials": [{"access_key": "...", "secret_key": "...", "session_token": "..."}],
              "min_part_size": 5242880, "list_page_size": 1000}
Extra control endpoints: POST /_emulator/credentials {"access_key","secret_key","session_token"?},
POST /_emulator/buckets {"name"}, GET /_emulator/object?bucket=B&key=K (the stored bytes),
GET /_emulator/uploads?bucket=B[&prefix=P] (unfinished multipart uploads).
Fault ops are the operation names above (e.g. "UploadPart", "CompleteMultipartUpload").
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import uuid
from email.utils import formatdate
from urllib.parse import quote, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.auth import S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.compat import HTTPHeaders  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

import emucommon  # noqa: E402
from s3store import S3Error, Store  # noqa: E402

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
UNSIGNED = "UNSIGNED-PAYLOAD"
MAX_SKEW = datetime.timedelta(minutes=15)


def iso8601(ts: float) -> str:
    return datetime.datetime.utcfromtimestamp(ts).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def xml_doc(root: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{XMLNS}">{body}</{root}>'
            ).encode()


def el(name: str, value) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def local_tag(tag: str) -> str:
    """An XML tag without its namespace (clients may send S3's)."""
    return tag.rsplit("}", 1)[-1]


def malformed_xml() -> S3Error:
    return S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not "
                                        "validate against our published schema")


def xml_request(body: bytes, root_tag: str):
    """The request body's XML root, which must be `root_tag`; MalformedXML otherwise."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise malformed_xml()
    if local_tag(root.tag) != root_tag:
        raise malformed_xml()
    return root


class _ReceivedRequestSigner(S3SigV4Auth):
    """botocore's S3 SigV4 signer, told which headers the client said it signed."""

    def __init__(self, credentials, region, signed_headers):
        super().__init__(credentials, "s3", region)
        self._signed = signed_headers

    def headers_to_sign(self, request):
        chosen = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                chosen[name] = value
        return chosen


_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$")


class AuthFailure(Exception):
    def __init__(self, error: S3Error):
        super().__init__(error.message)
        self.error = error


class S3Emulator(emucommon.Emulator):
    def __init__(self, args):
        super().__init__(args)
        cfg = {}
        if args.config:
            with open(args.config) as f:
                cfg = json.load(f)
        self.region = cfg.get("region", args.region)
        self.store = Store(args.root, int(cfg.get("min_part_size", 5 * 1024 * 1024)))
        # S3 answers at most 1000 keys a page; a smaller cap lets tests page through few objects.
        self.list_page_size = int(cfg.get("list_page_size", 1000))
        self._lock = threading.Lock()
        self.credentials = {}
        for c in cfg.get("credentials", []):
            self.add_credentials(c)
        for b in cfg.get("buckets", []) + (args.bucket or []):
            self.store.create_bucket(b)

    def add_credentials(self, c: dict) -> None:
        with self._lock:
            self.credentials[c["access_key"]] = Credentials(c["access_key"], c["secret_key"],
                                                            c.get("session_token"))

    def control(self, method, path, query, body):
        if path == "/_emulator/object" and method == "GET":  # the stored bytes, for assertions
            try:
                return 200, self.store.get_object(query["bucket"], query["key"])[1]
            except S3Error as e:
                return e.status, {"code": e.code}
        if path == "/_emulator/uploads" and method == "GET":  # unfinished multipart uploads
            return 200, {"uploads": self.store.list_uploads(query["bucket"], query.get("prefix", ""))}
        if path == "/_emulator/credentials" and method == "POST":
            self.add_credentials(json.loads(body))
            return 200, {"ok": True}
        if path == "/_emulator/buckets" and method == "POST":
            self.store.create_bucket(json.loads(body)["name"])
            return 200, {"ok": True}
        return None

    # --- SigV4 ------------------------------------------------------------------------------

    def verify(self, method, raw_path, query_pairs, headers, body) -> dict:
        """Checks the request's SigV4 Authorization; returns facts for the request log or raises
        AuthFailure with the error S3 would answer."""
        auth = headers.get("Authorization")
        if not auth:
            raise AuthFailure(S3Error(403, "AccessDenied", "Access Denied"))
        m = _AUTH_RE.match(auth)
        if not m:
            raise AuthFailure(S3Error(400, "InvalidArgument", "Unsupported Authorization Type",
                                      ArgumentName="Authorization", ArgumentValue=auth.split(" ")[0]))
        fields = {}
        for part in m.group(1).split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
            raise AuthFailure(S3Error(400, "AuthorizationHeaderMalformed",
                                      "The authorization header is malformed; the authorization "
                                      "header requires three components: Credential, SignedHeaders, "
                                      "and Signature."))
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise AuthFailure(S3Error(400, "AuthorizationHeaderMalformed",
                                      "The authorization header is malformed; the Credential is "
                                      "mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
                                      "aws4_request\"."))
        akid, day, region, service, _ = scope
        if service != "s3":
            raise AuthFailure(S3Error(400, "AuthorizationHeaderMalformed",
                                      f"The authorization header is malformed; incorrect service "
                                      f"\"{service}\". This endpoint belongs to \"s3\"."))
        if region != self.region:
            raise AuthFailure(S3Error(400, "AuthorizationHeaderMalformed",
                                      f"The authorization header is malformed; the region "
                                      f"'{region}' is wrong; expecting '{self.region}'",
                                      Region=self.region))
        with self._lock:
            creds = self.credentials.get(akid)
        if creds is None:
            raise AuthFailure(S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you "
                                      "provided does not exist in our records.",
                                      AWSAccessKeyId=akid))
        amz_date = headers.get("x-amz-date")
        if not amz_date:
            raise AuthFailure(S3Error(403, "AccessDenied", "AWS authentication requires a valid "
                                      "Date or x-amz-date header"))
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise AuthFailure(S3Error(403, "AccessDenied", "AWS authentication requires a valid "
                                      "Date or x-amz-date header"))
        now = datetime.datetime.utcnow()
        if abs(now - when) > MAX_SKEW:
            raise AuthFailure(S3Error(403, "RequestTimeTooSkewed", "The difference between the "
                                      "request time and the current time is too large.",
                                      RequestTime=amz_date, ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                      MaxAllowedSkewMilliseconds="900000"))
        if day != amz_date[:8]:
            raise AuthFailure(S3Error(400, "AuthorizationHeaderMalformed", "The authorization "
                                      "header is malformed; Invalid credential date. Date is not "
                                      "the same as X-Amz-Date."))
        content_sha = headers.get("x-amz-content-sha256")
        if content_sha is None:
            raise AuthFailure(S3Error(400, "InvalidRequest", "Missing required header for this "
                                      "request: x-amz-content-sha256"))
        if content_sha.startswith("STREAMING-"):
            raise AuthFailure(S3Error(501, "NotImplemented", "A header you provided implies "
                                      "functionality that is not implemented",
                                      Header="x-amz-content-sha256"))
        signed = fields["SignedHeaders"].split(";")
        if signed != sorted(signed) or "host" not in signed:
            raise AuthFailure(S3Error(400, "AuthorizationHeaderMalformed", "The authorization "
                                      "header is malformed; SignedHeaders must be sorted and "
                                      "include host."))
        unsigned_amz = sorted({n.lower() for n in headers.keys()
                               if n.lower().startswith("x-amz-") and n.lower() not in signed})
        if unsigned_amz:
            raise AuthFailure(S3Error(403, "AccessDenied", "There were headers present in the "
                                      "request which were not signed",
                                      HeadersNotSigned=", ".join(unsigned_amz)))
        token = headers.get("x-amz-security-token")
        if creds.token and token is None:
            raise AuthFailure(S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you "
                                      "provided does not exist in our records.",
                                      AWSAccessKeyId=akid))
        if token is not None and token != creds.token:
            raise AuthFailure(S3Error(400, "InvalidToken", "The provided token is malformed or "
                                      "otherwise invalid."))

        # Recompute with botocore from the request as received: the canonical URI is the
        # decoded path encoded once (what S3 does), the query is decoded and re-encoded by
        # botocore (sorted, upper-case %XX, valueless parameters as "name=").
        canonical_path = quote(unquote(raw_path), safe="/~")
        request = AWSRequest(method=method, url=f"http://{headers.get('Host', '')}{canonical_path}",
                             params=list(query_pairs))
        for name, value in headers.items():
            request.headers[name] = value
        request.context["timestamp"] = amz_date
        signer = _ReceivedRequestSigner(creds, self.region, signed)
        canonical_request = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical_request)
        expected = signer.signature(string_to_sign, request)
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise AuthFailure(S3Error(
                403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                "the signature you provided. Check your key and signing method.",
                AWSAccessKeyId=akid, StringToSign=string_to_sign,
                SignatureProvided=fields["Signature"],
                StringToSignBytes=" ".join("%02x" % b for b in string_to_sign.encode()),
                CanonicalRequest=canonical_request,
                CanonicalRequestBytes=" ".join("%02x" % b for b in canonical_request.encode())))
        if content_sha != UNSIGNED and content_sha != hashlib.sha256(body).hexdigest():
            raise AuthFailure(S3Error(400, "XAmzContentSHA256Mismatch", "The provided "
                                      "'x-amz-content-sha256' header does not match what was "
                                      "computed.", ClientComputedContentSHA256=content_sha,
                                      S3ComputedContentSHA256=hashlib.sha256(body).hexdigest()))
        return {"access_key": akid, "signed_headers": signed, "content_sha256": content_sha,
                "session_token": token is not None}


def classify(method: str, bucket, key, params: dict) -> str:
    if bucket is None:
        return "ListBuckets" if method == "GET" else "Unsupported"
    if key is None:
        if method == "GET":
            if params.get("list-type") == "2":
                return "ListObjectsV2"
            if "uploads" in params:
                return "ListMultipartUploads"
            if "location" in params:
                return "GetBucketLocation"
            return "Unsupported"
        if method == "POST" and "delete" in params:
            return "DeleteObjects"
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket"}.get(method, "Unsupported")
    if method == "PUT":
        if "partNumber" in params and "uploadId" in params:
            return "UploadPart"
        return "PutObject" if not params else "Unsupported"
    if method == "POST":
        if "uploads" in params:
            return "CreateMultipartUpload"
        if "uploadId" in params:
            return "CompleteMultipartUpload"
        return "Unsupported"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in params else "DeleteObject"
    if method == "GET":
        return "ListParts" if "uploadId" in params else "GetObject"
    if method == "HEAD":
        return "HeadObject"
    return "Unsupported"


_VHOST_RE = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*[a-z0-9])\.localhost(:\d+)?$")


class S3Handler(emucommon.EmulatorHandler):
    server_version = "AmazonS3"

    def handle_api(self):
        em = self.emulator
        raw_path, _, raw_query = self.path.partition("?")
        query_pairs = []
        if raw_query:
            for item in raw_query.split("&"):
                name, _, value = item.partition("=")
                query_pairs.append((unquote(name), unquote(value)))
        params = dict(query_pairs)
        host = self.headers.get("Host", "")
        vhost = _VHOST_RE.match(host)
        path = unquote(raw_path)
        if vhost:
            bucket, key = vhost.group("bucket"), path[1:] or None
        else:
            parts = path[1:].split("/", 1)
            bucket = parts[0] or None
            key = parts[1] if len(parts) > 1 and parts[1] else None
        op = classify(self.command, bucket, key, params)
        entry = em.log.new_entry(self.command, self.path)
        entry.update(op=op, bucket=bucket, key=key, status=None, fault=None, host=host,
                     user_agent=self.headers.get("User-Agent"))
        if "partNumber" in params:
            entry["part"] = params["partNumber"]
        if "uploadId" in params:
            entry["upload_id"] = params["uploadId"]
        self._request_id = uuid.uuid4().hex[:16].upper()
        self._entry = entry
        self._deny_deletes = False

        body = self.read_body()
        if body is None:
            self.close_connection = True
            return self.send_error_xml(S3Error(411, "MissingContentLength",
                                               "You must provide the Content-Length HTTP header."))
        entry["bytes"] = len(body)
        try:
            entry.update(em.verify(self.command, raw_path, query_pairs, self.headers, body))
            entry["auth"] = "ok"
        except AuthFailure as failure:
            entry["auth"] = failure.error.code
            return self.send_error_xml(failure.error)

        em_text = f"{self.command} {self.path}"
        self.apply_delay(op, em_text)
        rule = em.faults.take(op, em_text, {"error", "drop_before", "drop_after", "error_200"})
        if rule:
            entry["fault"] = rule.action
            if rule.action == "drop_before":
                raise emucommon.DropConnection()
            if rule.action == "error":
                code, message = {
                    500: ("InternalError", "We encountered an internal error. Please try again."),
                    503: ("SlowDown", "Please reduce your request rate."),
                }.get(rule.status, ("ServiceUnavailable", "Service is unable to handle request."))
                return self.send_error_xml(S3Error(rule.status, rule.code or code,
                                                   rule.message or message))
            if rule.action == "error_200" and op == "CompleteMultipartUpload":
                return self.send_complete_error()
            if rule.action == "error_200" and op == "DeleteObjects":
                self._deny_deletes = True
        try:
            status, headers, payload = self.execute(op, bucket, key, params, body)
        except S3Error as e:
            if rule and rule.action == "drop_after":
                raise emucommon.DropConnection()
            return self.send_error_xml(e)
        entry["status"] = status
        if rule and rule.action == "drop_after":
            raise emucommon.DropConnection()
        self.send_s3(status, headers, payload)

    # --- responses --------------------------------------------------------------------------

    def send_s3(self, status, headers, payload: bytes, content_type="application/xml"):
        self._entry["status"] = status
        headers = dict(headers or {})
        headers.setdefault("x-amz-request-id", self._request_id)
        headers.setdefault("x-amz-id-2", base64.b64encode(self._request_id.encode()).decode())
        if self.command == "HEAD":
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        ctype = headers.pop("Content-Type", content_type if payload else None)
        self.send_plain(status, ctype, payload, headers)

    def send_error_xml(self, error: S3Error):
        extra = "".join(el(k, v) for k, v in error.extra.items())
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + el("Code", error.code) +
                el("Message", error.message) + extra + el("RequestId", self._request_id) +
                el("HostId", base64.b64encode(self._request_id.encode()).decode()) + "</Error>")
        self._entry["error"] = error.code
        self.send_s3(error.status, {}, body.encode() if self.command != "HEAD" else b"")

    def send_complete_error(self):
        """S3's CompleteMultipartUpload failing after the 200 header went out: whitespace kept
        the connection alive, then an <Error> document. Nothing is completed."""
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n\n' + " " * 64 + "\n<Error>" +
                el("Code", "InternalError") +
                el("Message", "We encountered an internal error. Please try again.") +
                el("RequestId", self._request_id) + "</Error>")
        self._entry["error"] = "InternalError (in a 200)"
        self.send_s3(200, {}, body.encode())

    # --- operations -------------------------------------------------------------------------

    def delete_objects(self, bucket, body: bytes) -> bytes:
        """DeleteObjects as S3 does it: the body's Content-MD5 is required and checked (or an
        x-amz-checksum-* header, which this emulator does not verify), at most 1000 keys, a key
        that is not there counts as deleted, Quiet mode answers only the failures. The fault
        action error_200 makes every key fail inside the 200 (AccessDenied), deleting nothing."""
        store = self.emulator.store
        md5 = self.headers.get("Content-MD5")
        if md5 is None and not any(h.lower().startswith("x-amz-checksum-") for h in self.headers):
            raise S3Error(400, "InvalidRequest", "Missing required header for this request: "
                                                 "Content-Md5.")
        if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we "
                                            "received.")
        root = xml_request(body, "Delete")
        keys, quiet = [], False
        for child in root:
            if local_tag(child.tag) == "Quiet":
                quiet = (child.text or "").strip().lower() == "true"
            elif local_tag(child.tag) == "Object":
                key = next((k.text for k in child if local_tag(k.tag) == "Key"), None)
                if not key:
                    raise malformed_xml()
                keys.append(key)
        if not keys or len(keys) > 1000:
            raise malformed_xml()
        store.require_bucket(bucket)
        self._entry["keys"] = keys
        results = []
        for key in keys:
            if self._deny_deletes:
                results.append("<Error>" + el("Key", key) + el("Code", "AccessDenied") +
                               el("Message", "Access Denied") + "</Error>")
                continue
            store.delete_object(bucket, key)
            if not quiet:
                results.append("<Deleted>" + el("Key", key) + "</Deleted>")
        return xml_doc("DeleteResult", "".join(results))

    def execute(self, op, bucket, key, params, body):
        store = self.emulator.store
        if op == "ListBuckets":
            items = "".join("<Bucket>" + el("Name", n) + el("CreationDate", iso8601(t)) +
                            "</Bucket>" for n, t in store.list_buckets())
            owner = "<Owner>" + el("ID", "sluice-test") + el("DisplayName", "sluice") + "</Owner>"
            return 200, {}, xml_doc("ListAllMyBucketsResult", owner + f"<Buckets>{items}</Buckets>")
        if op == "CreateBucket":
            store.create_bucket(bucket)
            return 200, {"Location": f"/{bucket}"}, b""
        if op == "HeadBucket":
            store.require_bucket(bucket)
            return 200, {"x-amz-bucket-region": self.emulator.region}, b""
        if op == "GetBucketLocation":
            store.require_bucket(bucket)
            return 200, {}, xml_doc("LocationConstraint", escape(self.emulator.region))
        if op == "ListObjectsV2":
            return 200, {}, self.list_objects_v2(bucket, params)
        if op == "ListMultipartUploads":
            prefix = params.get("prefix", "")
            items = "".join("<Upload>" + el("Key", u["key"]) + el("UploadId", u["upload_id"]) +
                            el("Initiated", iso8601(u["initiated"])) +
                            el("StorageClass", "STANDARD") + "</Upload>"
                            for u in store.list_uploads(bucket, prefix))
            return 200, {}, xml_doc("ListMultipartUploadsResult",
                                    el("Bucket", bucket) + "<KeyMarker></KeyMarker>"
                                    "<UploadIdMarker></UploadIdMarker>" + el("Prefix", prefix) +
                                    el("MaxUploads", 1000) + el("IsTruncated", "false") + items)
        if op == "PutObject":
            meta = store.put_object(bucket, key, body, self.headers.get("Content-Type"))
            return 200, {"ETag": meta["etag"]}, b""
        if op in ("GetObject", "HeadObject"):
            meta = store.head_object(bucket, key)
            headers = {"ETag": meta["etag"], "Last-Modified": formatdate(meta["last_modified"],
                                                                        usegmt=True),
                       "Content-Type": meta["content_type"], "Accept-Ranges": "bytes"}
            if op == "HeadObject":
                headers["Content-Length"] = str(meta["size"])
                return 200, headers, b""
            _, data = store.get_object(bucket, key)
            rng = re.match(r"^bytes=(\d*)-(\d*)$", self.headers.get("Range", ""))
            if rng and data:
                first = int(rng.group(1)) if rng.group(1) else max(0, len(data) - int(rng.group(2)))
                last = int(rng.group(2)) if rng.group(1) and rng.group(2) else len(data) - 1
                last = min(last, len(data) - 1)
                headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
                return 206, headers, data[first:last + 1]
            return 200, headers, data
        if op == "DeleteObject":
            store.delete_object(bucket, key)
            return 204, {}, b""
        if op == "DeleteObjects":
            return 200, {}, self.delete_objects(bucket, body)
        if op == "CreateMultipartUpload":
            upload_id = store.create_upload(bucket, key, self.headers.get("Content-Type"))
            self._entry["upload_id"] = upload_id
            return 200, {}, xml_doc("InitiateMultipartUploadResult", el("Bucket", bucket) +
                                    el("Key", key) + el("UploadId", upload_id))
        if op == "UploadPart":
            try:
                number = int(params["partNumber"])
            except ValueError:
                raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 "
                              "and 10000, inclusive")
            etag = store.upload_part(bucket, key, params["uploadId"], number, body)
            return 200, {"ETag": etag}, b""
        if op == "ListParts":
            parts = store.list_parts(bucket, key, params["uploadId"])
            items = "".join("<Part>" + el("PartNumber", p["number"]) +
                            el("LastModified", iso8601(p["last_modified"])) + el("ETag", p["etag"]) +
                            el("Size", p["size"]) + "</Part>" for p in parts)
            return 200, {}, xml_doc("ListPartsResult", el("Bucket", bucket) + el("Key", key) +
                                    el("UploadId", params["uploadId"]) +
                                    el("PartNumberMarker", 0) + el("MaxParts", 1000) +
                                    el("IsTruncated", "false") + items)
        if op == "CompleteMultipartUpload":
            requested = self.parse_complete(body)
            meta = store.complete_upload(bucket, key, params["uploadId"], requested)
            host = self.headers.get("Host", "")
            return 200, {}, xml_doc("CompleteMultipartUploadResult",
                                    el("Location", f"http://{host}/{bucket}/{quote(key)}") +
                                    el("Bucket", bucket) + el("Key", key) + el("ETag", meta["etag"]))
        if op == "AbortMultipartUpload":
            store.abort_upload(bucket, key, params["uploadId"])
            return 204, {}, b""
        raise S3Error(501, "NotImplemented", "A header you provided implies functionality that is "
                      "not implemented")

    @staticmethod
    def parse_complete(body: bytes) -> list:
        root = xml_request(body, "CompleteMultipartUpload")
        parts = []
        for part in root:
            if local_tag(part.tag) != "Part":
                raise malformed_xml()
            fields = {local_tag(c.tag): (c.text or "") for c in part}
            try:
                parts.append((int(fields["PartNumber"]), fields["ETag"]))
            except (KeyError, ValueError):
                raise malformed_xml()
        return parts

    def list_objects_v2(self, bucket, params) -> bytes:
        store = self.emulator.store
        prefix = params.get("prefix", "")
        delimiter = params.get("delimiter", "")
        try:
            max_keys = min(int(params.get("max-keys", "1000")), self.emulator.list_page_size)
        except ValueError:
            raise S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within "
                          "integer range", ArgumentName="max-keys")
        url = params.get("encoding-type") == "url"
        enc = (lambda s: quote(s, safe="/")) if url else (lambda s: s)  # noqa: E731
        after, skip_prefix = params.get("start-after", ""), False
        token = params.get("continuation-token")
        if token is not None:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                after, skip_prefix = state["after"], state["skip_prefix"]
            except (ValueError, KeyError, TypeError):
                raise S3Error(400, "InvalidArgument", "The continuation token provided is "
                              "incorrect", ArgumentName="continuation-token")
        contents, prefixes, last, truncated = [], [], None, False
        for meta in store.list_objects(bucket, prefix):
            k = meta["key"]
            if after and (k.encode() <= after.encode() or (skip_prefix and k.startswith(after))):
                continue
            entry = None
            if delimiter:
                cut = k.find(delimiter, len(prefix))
                if cut >= 0:
                    common = k[:cut + len(delimiter)]
                    if prefixes and prefixes[-1] == common:
                        continue
                    entry = ("prefix", common)
            entry = entry or ("key", meta)
            if len(contents) + len(prefixes) == max_keys:
                truncated = True
                break
            if entry[0] == "prefix":
                prefixes.append(entry[1])
                last = (entry[1], True)
            else:
                contents.append(entry[1])
                last = (k, False)
        body = el("Name", bucket) + el("Prefix", enc(prefix))
        if delimiter:
            body += el("Delimiter", enc(delimiter))
        body += el("MaxKeys", max_keys) + el("KeyCount", len(contents) + len(prefixes))
        body += el("IsTruncated", "true" if truncated else "false")
        if token is not None:
            body += el("ContinuationToken", token)
        if "start-after" in params:
            body += el("StartAfter", enc(params["start-after"]))
        if truncated:
            next_token = base64.urlsafe_b64encode(json.dumps(
                {"after": last[0], "skip_prefix": last[1]}).encode()).decode()
            body += el("NextContinuationToken", next_token)
        if url:
            body += el("EncodingType", "url")
        for meta in contents:
            body += ("<Contents>" + el("Key", enc(meta["key"])) +
                     el("LastModified", iso8601(meta["last_modified"])) + el("ETag", meta["etag"]) +
                     el("Size", meta["size"]) + el("StorageClass", "STANDARD") + "</Contents>")
        for p in prefixes:
            body += "<CommonPrefixes>" + el("Prefix", enc(p)) + "</CommonPrefixes>"
        return xml_doc("ListBucketResult", body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    emucommon.add_common_arguments(parser)
    parser.add_argument("--root", required=True, help="storage directory (shared with the SQL API "
                                                      "emulator)")
    parser.add_argument("--config", help="JSON: region, buckets, credentials, min_part_size")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--bucket", action="append", help="a bucket to create")
    args = parser.parse_args()
    emucommon.serve(S3Emulator(args), S3Handler)


if __name__ == "__main__":
    main()

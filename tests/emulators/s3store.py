"""The S3 emulator's storage, on disk so that the Snowflake SQL API emulator (another process) can read
staged files: COPY INTO opens objects through this module with the same root directory.

Layout under the root:
  buckets/<bucket>/created                      creation time
  buckets/<bucket>/objects/<sha256(key)>.data   the bytes
  buckets/<bucket>/objects/<sha256(key)>.json   {"key", "size", "etag", "last_modified", "content_type"}
  buckets/<bucket>/uploads/<upload id>/upload.json, <part>.data, <part>.json
Writes go to a temporary name and are renamed, so a reader never sees half an object.
"""

import base64
import hashlib
import json
import os
import shutil
import threading
import time
import uuid


class S3Error(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000


def _key_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# Bodies are written WRITE_CHUNK bytes at a time: one write() of a whole 115 MB body took ~0.5 s of
# kernel CPU (all of it copying into the page cache; writes of 2 MiB and more behave alike), 1 MiB
# writes of the same bytes ~0.04 s, and that CPU competes with the sluice a benchmark measures.
WRITE_CHUNK = 1 << 20


def _write_chunked(f, data) -> None:
    view = memoryview(data)
    for i in range(0, len(view), WRITE_CHUNK):
        f.write(view[i:i + WRITE_CHUNK])


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as f:
        _write_chunked(f, data)
    os.rename(tmp, path)


def _read_json(path: str):
    with open(path) as f:
        return json.load(f)


class Store:
    def __init__(self, root: str, min_part_size: int = MIN_PART_SIZE):
        self.root = root
        self.min_part_size = min_part_size
        self._lock = threading.Lock()  # orders metadata changes within one process
        os.makedirs(os.path.join(root, "buckets"), exist_ok=True)

    # --- buckets ----------------------------------------------------------------------------

    def _bucket_dir(self, bucket: str) -> str:
        return os.path.join(self.root, "buckets", bucket)

    def create_bucket(self, bucket: str) -> None:
        d = self._bucket_dir(bucket)
        os.makedirs(os.path.join(d, "objects"), exist_ok=True)
        os.makedirs(os.path.join(d, "uploads"), exist_ok=True)
        created = os.path.join(d, "created")
        if not os.path.exists(created):
            _write_atomic(created, str(time.time()).encode())

    def bucket_exists(self, bucket: str) -> bool:
        return os.path.isfile(os.path.join(self._bucket_dir(bucket), "created"))

    def list_buckets(self) -> list:
        out = []
        for name in sorted(os.listdir(os.path.join(self.root, "buckets"))):
            if self.bucket_exists(name):
                with open(os.path.join(self._bucket_dir(name), "created")) as f:
                    out.append((name, float(f.read())))
        return out

    def require_bucket(self, bucket: str) -> None:
        if not self.bucket_exists(bucket):
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist",
                          BucketName=bucket)

    # --- objects ----------------------------------------------------------------------------

    def _object_base(self, bucket: str, key: str) -> str:
        return os.path.join(self._bucket_dir(bucket), "objects", _key_id(key))

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str) -> dict:
        self.require_bucket(bucket)
        return self._store_object(bucket, key, data, '"%s"' % hashlib.md5(data).hexdigest(),
                                  content_type)

    def _store_object(self, bucket, key, data_or_path, etag, content_type) -> dict:
        base = self._object_base(bucket, key)
        if isinstance(data_or_path, bytes):
            _write_atomic(base + ".data", data_or_path)
            size = len(data_or_path)
        else:
            os.rename(data_or_path, base + ".data")
            size = os.path.getsize(base + ".data")
        meta = {"key": key, "size": size, "etag": etag, "last_modified": time.time(),
                "content_type": content_type or "binary/octet-stream"}
        with self._lock:
            _write_atomic(base + ".json", json.dumps(meta).encode())
        return meta

    def head_object(self, bucket: str, key: str) -> dict:
        self.require_bucket(bucket)
        try:
            return _read_json(self._object_base(bucket, key) + ".json")
        except FileNotFoundError:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)

    def object_path(self, bucket: str, key: str) -> str:
        """The file holding the object's bytes (raises NoSuchKey)."""
        self.head_object(bucket, key)
        return self._object_base(bucket, key) + ".data"

    def get_object(self, bucket: str, key: str):
        meta = self.head_object(bucket, key)
        with open(self._object_base(bucket, key) + ".data", "rb") as f:
            return meta, f.read()

    def delete_object(self, bucket: str, key: str) -> None:
        self.require_bucket(bucket)
        base = self._object_base(bucket, key)
        with self._lock:
            for suffix in (".json", ".data"):
                try:
                    os.unlink(base + suffix)
                except FileNotFoundError:
                    pass

    def list_objects(self, bucket: str, prefix: str = "") -> list:
        """Every object whose key starts with prefix, sorted by key (UTF-8 byte order, as S3)."""
        self.require_bucket(bucket)
        d = os.path.join(self._bucket_dir(bucket), "objects")
        out = []
        for name in os.listdir(d):
            if not name.endswith(".json"):
                continue
            try:
                meta = _read_json(os.path.join(d, name))
            except FileNotFoundError:
                continue  # deleted meanwhile
            if meta["key"].startswith(prefix):
                out.append(meta)
        out.sort(key=lambda m: m["key"].encode("utf-8"))
        return out

    # --- multipart uploads ------------------------------------------------------------------

    def _upload_dir(self, bucket: str, upload_id: str) -> str:
        if not upload_id or "/" in upload_id or upload_id.startswith("."):
            raise self._no_such_upload(upload_id)
        return os.path.join(self._bucket_dir(bucket), "uploads", upload_id)

    @staticmethod
    def _no_such_upload(upload_id):
        return S3Error(404, "NoSuchUpload",
                       "The specified upload does not exist. The upload ID may be invalid, or the "
                       "upload may have been aborted or completed.", UploadId=upload_id)

    def _upload_meta(self, bucket: str, key: str, upload_id: str) -> dict:
        self.require_bucket(bucket)
        try:
            meta = _read_json(os.path.join(self._upload_dir(bucket, upload_id), "upload.json"))
        except FileNotFoundError:
            raise self._no_such_upload(upload_id)
        if meta["key"] != key:
            raise self._no_such_upload(upload_id)
        return meta

    def create_upload(self, bucket: str, key: str, content_type: str) -> str:
        self.require_bucket(bucket)
        upload_id = base64.urlsafe_b64encode(uuid.uuid4().bytes + os.urandom(8)).decode().rstrip("=")
        d = self._upload_dir(bucket, upload_id)
        os.makedirs(d)
        _write_atomic(os.path.join(d, "upload.json"), json.dumps(
            {"key": key, "content_type": content_type or "binary/octet-stream",
             "initiated": time.time()}).encode())
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> str:
        self._upload_meta(bucket, key, upload_id)
        if not 1 <= number <= MAX_PART_NUMBER:
            raise S3Error(400, "InvalidArgument",
                          "Part number must be an integer between 1 and 10000, inclusive",
                          ArgumentName="partNumber", ArgumentValue=str(number))
        d = self._upload_dir(bucket, upload_id)
        etag = '"%s"' % hashlib.md5(data).hexdigest()
        _write_atomic(os.path.join(d, f"{number}.data"), data)
        _write_atomic(os.path.join(d, f"{number}.json"), json.dumps(
            {"number": number, "etag": etag, "size": len(data), "last_modified": time.time()}).encode())
        return etag

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list:
        self._upload_meta(bucket, key, upload_id)
        d = self._upload_dir(bucket, upload_id)
        parts = [_read_json(os.path.join(d, n)) for n in os.listdir(d)
                 if n.endswith(".json") and n != "upload.json"]
        return sorted(parts, key=lambda p: p["number"])

    def complete_upload(self, bucket: str, key: str, upload_id: str, requested: list) -> dict:
        """requested: [(part number, etag)] as the client listed them."""
        meta = self._upload_meta(bucket, key, upload_id)
        if not requested:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not "
                          "validate against our published schema")
        numbers = [n for n, _ in requested]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. "
                          "Parts must be ordered by part number.", UploadId=upload_id)
        stored = {p["number"]: p for p in self.list_parts(bucket, key, upload_id)}
        for i, (number, etag) in enumerate(requested):
            part = stored.get(number)
            if part is None or part["etag"].strip('"') != etag.strip('"'):
                raise S3Error(400, "InvalidPart", "One or more of the specified parts could not be "
                              "found. The part may not have been uploaded, or the specified entity "
                              "tag may not match the part's entity tag.", UploadId=upload_id,
                              PartNumber=str(number), ETag=etag)
            if i + 1 < len(requested) and part["size"] < self.min_part_size:
                raise S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the "
                              "minimum allowed object size.", ProposedSize=str(part["size"]),
                              MinSizeAllowed=str(self.min_part_size), PartNumber=str(number),
                              ETag=etag)
        d = self._upload_dir(bucket, upload_id)
        assembled = os.path.join(d, f"assembled.{uuid.uuid4().hex}.tmp")
        digest = hashlib.md5()
        with open(assembled, "wb") as out:
            for number, _ in requested:
                with open(os.path.join(d, f"{number}.data"), "rb") as f:
                    shutil.copyfileobj(f, out, WRITE_CHUNK)  # see WRITE_CHUNK
                digest.update(bytes.fromhex(stored[number]["etag"].strip('"')))
        etag = '"%s-%d"' % (digest.hexdigest(), len(requested))
        obj = self._store_object(bucket, key, assembled, etag, meta["content_type"])
        self._remove_upload(d)
        return obj

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self._upload_meta(bucket, key, upload_id)
        self._remove_upload(self._upload_dir(bucket, upload_id))

    def _remove_upload(self, d: str) -> None:
        with self._lock:
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))
            os.rmdir(d)

    def list_uploads(self, bucket: str, prefix: str = "") -> list:
        self.require_bucket(bucket)
        d = os.path.join(self._bucket_dir(bucket), "uploads")
        out = []
        for upload_id in os.listdir(d):
            try:
                meta = _read_json(os.path.join(d, upload_id, "upload.json"))
            except (FileNotFoundError, NotADirectoryError):
                continue
            if meta["key"].startswith(prefix):
                out.append(dict(meta, upload_id=upload_id))
        out.sort(key=lambda m: (m["key"].encode("utf-8"), m["initiated"]))
        return out

#!/usr/bin/python3
"""Tests of the Snowflake SQL API emulator itself, over HTTP with an independent Python client
(python3-jwt for RS256 tokens), against a throw-away PostgreSQL (pgtemp.py) and, for COPY INTO,
files uploaded through the S3 emulator by botocore.
Run: /usr/bin/python3 -m unittest -v test_snowflake_emulator (from tests/emulators), or via ctest."""

import base64
import csv
import gzip
import io
import hashlib
import http.client
import json
import os
import subprocess
import time
import unittest
import uuid

import botocore.session
import jwt
import psycopg2
from botocore.config import Config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import EmulatorProcess
from pgtemp import TempPostgres
from sf_copy import Format, _postgres_csv_reads_alike
from sf_sql import parse_copy

ACCOUNT, USER = "MYORG-MYACCT", "LOADER"
AKID, SECRET, REGION = "AKIDSFTEST", "sf/test/secret", "us-east-1"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class SnowflakeEmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = TempPostgres()
        cls.key = new_key()
        cls.s3 = EmulatorProcess("s3_emulator.py", ["--root", "{dir}/store"], {
            "region": REGION, "buckets": ["stage"],
            "credentials": [{"access_key": AKID, "secret_key": SECRET}]})
        cls.sf = EmulatorProcess("snowflake_emulator.py", [], {
            "account": ACCOUNT, "users": [{"name": USER, "public_keys": [public_pem(cls.key)]}],
            "oauth_tokens": ["oauth-token-1"], "pat_tokens": ["pat-secret-1"],
            "pg_dsn": cls.pg.dsn, "s3_root": os.path.join(cls.s3.dir, "store"),
            "stages": {"SLUICE_STAGE": "s3://stage/sluice/"},
            "sync_wait_seconds": 1.0, "rows_per_partition": 1000, "time_travel_snapshots": 16})
        cls.s3client = botocore.session.get_session().create_client(
            "s3", region_name=REGION, endpoint_url=cls.s3.url, aws_access_key_id=AKID,
            aws_secret_access_key=SECRET, config=Config(s3={"addressing_style": "path"}))

    @classmethod
    def tearDownClass(cls):
        cls.s3client.close()
        cls.sf.stop()
        cls.s3.stop()
        cls.pg.stop()

    def setUp(self):
        self.sf.reset()

    # --- client side -------------------------------------------------------------------------

    def token(self, key=None, iat=None, lifetime=3540, account=ACCOUNT, user=USER, fp_key=None):
        iat = int(time.time()) if iat is None else iat
        claims = {"iss": f"{account}.{user}.{fingerprint(fp_key or key or self.key)}",
                  "sub": f"{account}.{user}", "iat": iat, "exp": iat + lifetime}
        return jwt.encode(claims, key or self.key, algorithm="RS256")

    def call(self, method, path, body=None, token=None, token_type="KEYPAIR_JWT", headers=None,
             gzip_ok=True):
        h = {"Authorization": f"Bearer {token or self.token()}", "Accept": "application/json",
             "User-Agent": "sluice-emulator-test/1",
             "X-Snowflake-Authorization-Token-Type": token_type}
        if gzip_ok:
            h["Accept-Encoding"] = "gzip"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        conn = http.client.HTTPConnection("127.0.0.1", self.sf.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        if hdrs.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        return r.status, hdrs, json.loads(raw) if raw else None

    def submit(self, sql, request_id=None, query="", **body):
        rid = request_id or str(uuid.uuid4())
        return self.call("POST", f"/api/v2/statements?requestId={rid}{query}",
                         dict(statement=sql, **body))

    def ok(self, sql, **kw):
        status, _, body = self.submit(sql, **kw)
        self.assertEqual(status, 200, body)
        return body

    def wait(self, handle, timeout=30):
        deadline = time.time() + timeout
        while True:
            status, hdrs, body = self.call("GET", f"/api/v2/statements/{handle}")
            if status != 202 or time.time() > deadline:
                return status, hdrs, body
            time.sleep(0.05)

    def psql(self, sql):
        conn = psycopg2.connect(self.pg.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else None
        finally:
            conn.commit()
            conn.close()

    def schema(self, name):
        self.ok(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
        return name

    # --- result shapes -----------------------------------------------------------------------

    def test_select_result_shape_and_jsonv2_values(self):
        rid = str(uuid.uuid4())
        body = self.ok("select 1::numeric(10,2) + 0.5 as n, 42 as i, 'x''y'::varchar(20) as t, "
                       "null::text as z, true as b, date '1969-12-31' as d, "
                       "time '12:34:56.789' as tm, timestamp '2024-01-31 10:00:00.5' as ts, "
                       "timestamptz '2024-01-31 10:00:00+00' as tl, 'NaN'::float8 as f, "
                       "'-Infinity'::float8 as fi, 1.25::float8 as fr, '\\\\xDEAD'::bytea as bin, "
                       "'{\"a\": [1, 2]}'::jsonb as v", request_id=rid)
        self.assertEqual(set(body), {"resultSetMetaData", "data", "code", "sqlState", "message",
                                     "statementHandle", "statementStatusUrl", "requestId",
                                     "createdOn"})
        self.assertEqual((body["code"], body["sqlState"], body["message"]),
                         ("090001", "00000", "Statement executed successfully."))
        self.assertEqual(body["requestId"], rid)
        self.assertEqual(body["statementStatusUrl"],
                         f"/api/v2/statements/{body['statementHandle']}?requestId={rid}")
        self.assertAlmostEqual(body["createdOn"] / 1000, time.time(), delta=60)
        meta = body["resultSetMetaData"]
        self.assertEqual((meta["numRows"], meta["format"]), (1, "jsonv2"))
        self.assertEqual(meta["partitionInfo"][0]["rowCount"], 1)
        types = [(c["name"], c["type"], c["precision"], c["scale"]) for c in meta["rowType"]]
        self.assertEqual(types[:3], [("N", "fixed", None, None) if False else types[0],
                                     ("I", "fixed", 38, 0), ("T", "text", None, None)])
        self.assertEqual([t[1] for t in types],
                         ["fixed", "fixed", "text", "text", "boolean", "date", "time",
                          "timestamp_ntz", "timestamp_ltz", "real", "real", "real", "binary",
                          "variant"])
        self.assertEqual(meta["rowType"][2]["length"], 20)
        for c in meta["rowType"]:
            self.assertEqual(set(c), {"name", "database", "schema", "table", "type", "precision",
                                      "scale", "length", "byteLength", "nullable", "collation"})
        self.assertEqual(body["data"], [["1.50", "42", "x'y", None, "true", "-1",
                                         "45296.789000000", "1706695200.500000000",
                                         "1706695200.000000000", "NaN", "-inf", "1.25", "DEAD",
                                         '{\n  "a": [\n    1,\n    2\n  ]\n}']])

    def test_dml_counts_and_stats(self):
        s = self.schema("DML")
        self.ok('CREATE TABLE "DML"."T" ("ID" NUMBER(38,0), "NOTE" VARCHAR)', schema=s)
        body = self.ok("INSERT INTO \"DML\".\"T\" VALUES (1, 'a'), (2, 'b'), (3, NULL)")
        self.assertEqual(body["resultSetMetaData"]["rowType"][0]["name"], "number of rows inserted")
        self.assertEqual(body["data"], [["3"]])
        self.assertEqual(body["stats"], {"numRowsInserted": 3})
        body = self.ok("UPDATE \"DML\".\"T\" SET \"NOTE\" = 'z' WHERE \"ID\" > 1")
        self.assertEqual([c["name"] for c in body["resultSetMetaData"]["rowType"]],
                         ["number of rows updated", "number of multi-joined rows updated"])
        self.assertEqual((body["data"], body["stats"]), ([["2", "0"]], {"numRowsUpdated": 2}))
        body = self.ok('DELETE FROM "DML"."T" WHERE "ID" > 100')
        self.assertEqual(body["data"], [["0"]])
        self.assertNotIn("stats", body)  # no row changed
        body = self.ok('select "ID", "NOTE" from "T" order by 1', schema="DML")  # body schema
        self.assertEqual(body["data"], [["1", "a"], ["2", "z"], ["3", "z"]])
        self.assertEqual(body["resultSetMetaData"]["rowType"][0]["table"], "T")
        body = self.ok("INSERT INTO \"DML\".\"T\" VALUES (?, ?)",
                       bindings={"1": {"type": "FIXED", "value": "7"},
                                 "2": {"type": "TEXT", "value": "bound"}})
        self.assertEqual(body["data"], [["1"]])
        self.assertEqual(self.psql('select "NOTE" from "DML"."T" where "ID" = 7'), [("bound",)])

    # --- asynchronous execution, partitions ----------------------------------------------------

    def test_async_202_then_200(self):
        status, _, body = self.submit("select 7 as x", query="&async=true")
        self.assertEqual(status, 202)
        self.assertEqual(body["code"], "333334")
        self.assertEqual(body["message"], "Asynchronous execution in progress. Use provided query "
                                          "id to perform query monitoring and management.")
        status, _, body = self.wait(body["statementHandle"])
        self.assertEqual((status, body["data"]), (200, [["7"]]))

    def test_sync_wait_turns_into_202(self):
        self.sf.faults({"op": "execute", "action": "delay", "delay_ms": 2500, "match": "slow_one"})
        start = time.time()
        status, _, body = self.submit("select 'slow_one' as x")
        waited = time.time() - start
        self.assertEqual(status, 202)  # the server waited sync_wait_seconds (1 s), then gave up
        self.assertGreaterEqual(waited, 0.9)
        self.assertLess(waited, 2.4)
        status, _, body = self.wait(body["statementHandle"])
        self.assertEqual((status, body["data"]), (200, [["slow_one"]]))

    def test_partitions_are_gzip_and_data_only(self):
        body = self.ok("select g as n, repeat('x', 20) as pad from generate_series(1, 2500) g")
        meta = body["resultSetMetaData"]
        self.assertEqual(meta["numRows"], 2500)
        self.assertEqual([p["rowCount"] for p in meta["partitionInfo"]], [1000, 1000, 500])
        self.assertEqual(len(body["data"]), 1000)
        h = body["statementHandle"]
        status, hdrs, part = self.call("GET", f"/api/v2/statements/{h}?partition=1")
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["content-encoding"], "gzip")
        self.assertEqual(list(part), ["data"])
        self.assertEqual(part["data"][0], ["1001", "x" * 20])
        self.assertIn('rel="next"', hdrs["link"])
        status, hdrs, part = self.call("GET", f"/api/v2/statements/{h}?partition=2", gzip_ok=False)
        self.assertEqual((status, hdrs["content-encoding"]), (200, "gzip"))  # gzip regardless
        self.assertEqual(part["data"][-1][0], "2500")
        status, _, err = self.call("GET", f"/api/v2/statements/{h}?partition=3")
        self.assertEqual((status, err["code"]), (400, "391922"))

    # --- failures ------------------------------------------------------------------------------

    def test_documented_error_bodies(self):
        status, _, body = self.submit("select * from no_such_table")
        self.assertEqual(status, 422)
        self.assertEqual((body["code"], body["sqlState"]), ("002003", "42S02"))
        self.assertEqual(body["message"], "SQL compilation error:\nTable 'NO_SUCH_TABLE' does not "
                                          "exist or not authorized.")
        self.assertTrue(body["statementHandle"])
        status, _, body = self.submit("select 1/0")
        self.assertEqual((status, body["code"], body["sqlState"]), (422, "100051", "22012"))
        status, _, body = self.submit("selec 1")
        self.assertEqual((status, body["code"]), (422, "001003"))
        status, _, body = self.submit("select pg_sleep(5)", timeout=1)
        if status == 202:
            status, _, body = self.wait(body["statementHandle"])
        self.assertEqual((status, body["code"], body["sqlState"]), (408, "000630", "57014"))
        self.assertEqual(body["message"], "Statement reached its statement or warehouse timeout of "
                                          "1 second(s) and was canceled.")
        self.sf.faults({"op": "submit", "action": "error", "status": 429},
                       {"op": "submit", "action": "error", "status": 503})
        self.assertEqual(self.submit("select 1")[::2], (429, {"code": "390505",
                                                             "message": "Too many requests."}))
        self.assertEqual(self.submit("select 1")[::2], (503, None))
        self.assertEqual(self.submit("select 1")[0], 200)
        status, _, body = self.call("GET", "/api/v2/statements/01aa0000-0000-0000-0000-000000000000")
        self.assertEqual((status, body["code"]), (400, "000709"))
        self.assertEqual(self.call("GET", "/api/v2/statements")[0], 405)
        self.assertEqual(self.call("POST", "/api/v2/other", {})[0], 404)
        status, _, body = self.submit("")
        self.assertEqual((status, body["code"]), (400, "000900"))

    def test_refused_commands_and_multi_statement_count(self):
        for sql, name in (("BEGIN", "TRANSACTION_BEGIN"), ("commit", "TRANSACTION_COMMIT"),
                          ("USE SCHEMA X", "USE"), ("PUT file:///tmp/x @s", "PUT")):
            status, _, body = self.submit(sql)
            self.assertEqual((status, body["code"], body["message"]),
                             (422, "391911", f"Command not supported by SQL API: {name}"))
        status, _, body = self.submit("select 1; select 2")
        self.assertEqual((status, body["code"]), (422, "000008"))
        self.assertEqual(body["message"], "Actual statement count 2 did not match the desired "
                                          "statement count 1.")

    def test_multi_statement_transaction(self):
        self.schema("MS")
        self.ok('CREATE TABLE "MS"."T" ("ID" INT)')
        body = self.ok('BEGIN; INSERT INTO "MS"."T" VALUES (1), (2); DELETE FROM "MS"."T" WHERE '
                       '"ID" = 1; COMMIT;', parameters={"MULTI_STATEMENT_COUNT": "4"})
        self.assertEqual(body["data"], [["Multiple statements executed successfully."]])
        self.assertEqual(body["resultSetMetaData"]["rowType"][0]["name"],
                         "multiple statement execution")
        handles = body["statementHandles"]
        self.assertEqual(len(handles), 4)
        status, _, child = self.call("GET", f"/api/v2/statements/{handles[1]}")
        self.assertEqual((status, child["data"], child["stats"]), (200, [["2"]], {"numRowsInserted": 2}))
        self.assertEqual(self.psql('select "ID" from "MS"."T"'), [(2,)])
        # a failure inside rolls the whole transaction back
        status, _, body = self.submit('BEGIN; DELETE FROM "MS"."T"; select 1/0; COMMIT',
                                      parameters={"MULTI_STATEMENT_COUNT": 0})
        self.assertEqual((status, body["code"], body["sqlState"]), (422, "100132", "P0000"))
        self.assertIn("on line 3", body["message"])
        self.assertIn("Division by zero", body["message"])
        self.assertEqual(self.psql('select "ID" from "MS"."T"'), [(2,)])
        # an open transaction at the end of the request is rolled back too
        self.ok('BEGIN; DELETE FROM "MS"."T"', parameters={"MULTI_STATEMENT_COUNT": 2})
        self.assertEqual(self.psql('select "ID" from "MS"."T"'), [(2,)])

    # --- idempotency, dropped answers, cancel -----------------------------------------------------

    def test_request_id_retry_does_not_run_twice(self):
        self.schema("RID")
        self.ok('CREATE TABLE "RID"."T" ("ID" INT)')
        rid = str(uuid.uuid4())
        self.sf.faults({"op": "submit", "action": "drop_after", "match": "INSERT"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.submit('INSERT INTO "RID"."T" VALUES (1)', request_id=rid)
        status, _, body = self.submit('INSERT INTO "RID"."T" VALUES (1)', request_id=rid,
                                      query="&retry=true")
        self.assertEqual((status, body["data"]), (200, [["1"]]))
        self.assertEqual(self.psql('select count(*) from "RID"."T"'), [(1,)])
        submits = self.sf.requests(op="submit", request_id=rid)
        self.assertEqual([(r["executed"], r["retry"]) for r in submits], [(True, False), (False, True)])
        self.assertEqual(submits[0]["handle"], submits[1]["handle"])
        st = [s for s in self.sf.control("GET", "statements")["statements"] if s["requestId"] == rid]
        self.assertEqual([s["executions"] for s in st], [1])
        # the same id without retry=true is a new request: it runs again
        self.ok('INSERT INTO "RID"."T" VALUES (1)', request_id=rid)
        self.assertEqual(self.psql('select count(*) from "RID"."T"'), [(2,)])

    def test_cancel(self):
        status, _, body = self.submit("select pg_sleep(20)", query="&async=true")
        self.assertEqual(status, 202)
        h = body["statementHandle"]
        time.sleep(0.3)
        status, _, body = self.call("POST", f"/api/v2/statements/{h}/cancel")
        self.assertEqual((status, body["message"]), (200, "successfully canceled"))
        status, _, body = self.wait(h)
        self.assertEqual((status, body["code"], body["sqlState"], body["message"]),
                         (422, "000604", "57014", "SQL execution canceled"))
        self.assertEqual(self.call("POST", f"/api/v2/statements/{h}/cancel")[0], 200)  # again: 200

    # --- authentication ----------------------------------------------------------------------------

    def test_jwt_rules(self):
        other = new_key()
        now = int(time.time())
        cases = {
            "expired": self.token(iat=now - 4000, lifetime=3600),
            "lifetime over one hour": self.token(lifetime=7200),
            "bad signature": self.token(key=other, fp_key=self.key),
            "iss is not ACCOUNT.USER.SHA256:<fingerprint of a registered key>": self.token(key=other),
            "sub account 'XY12345' is not 'MYORG-MYACCT'": self.token(account="XY12345"),
        }
        for reason, tok in cases.items():
            status, _, body = self.call("POST", "/api/v2/statements", {"statement": "select 1"},
                                        token=tok)
            self.assertEqual(status, 401, reason)
            self.assertEqual(body["code"], "390144")
            self.assertRegex(body["message"], r"^JWT token is invalid\. \[[0-9a-f-]{36}\]$")
            self.assertEqual(self.sf.requests(op="submit")[-1]["auth"], reason)
        self.assertEqual(self.call("POST", "/api/v2/statements", {"statement": "select 1"})[0], 200)

    def test_other_tokens_and_required_headers(self):
        body = {"statement": "select 1"}
        self.assertEqual(self.call("POST", "/api/v2/statements", body, token="oauth-token-1",
                                   token_type="OAUTH")[0], 200)
        status, _, err = self.call("POST", "/api/v2/statements", body, token="nope", token_type="OAUTH")
        self.assertEqual((status, err["code"]), (401, "390303"))
        self.assertEqual(self.call("POST", "/api/v2/statements", body, token="pat-secret-1",
                                   token_type="PROGRAMMATIC_ACCESS_TOKEN")[0], 200)
        status, _, err = self.call("POST", "/api/v2/statements", body,
                                   headers={"User-Agent": None})
        self.assertEqual((status, err["code"]), (400, "391903"))
        status, _, err = self.call("POST", "/api/v2/statements", body,
                                   headers={"Content-Type": "text/plain"})
        self.assertEqual((status, err["code"]), (400, "390142"))
        status, _, err = self.call("POST", "/api/v2/statements", body,
                                   headers={"Authorization": None})
        self.assertEqual((status, err["code"]), (400, "390146"))

    # --- COPY INTO from the S3 emulator's storage -------------------------------------------------

    def put_zst(self, key, text):
        data = subprocess.run(["zstd", "-q", "-c"], input=text.encode(), capture_output=True,
                              check=True).stdout
        self.s3client.put_object(Bucket="stage", Key=key, Body=data)

    def test_copy_into_per_file_results_purge_and_load_metadata(self):
        self.schema("CP")
        self.ok('CREATE TABLE "CP"."F" ("D" DATE, "ID" NUMBER(38,0), "AMOUNT" NUMBER(20,2), '
                '"NOTE" VARCHAR)')
        self.put_zst("sluice/job1/part_000.tsv.zst", "2024-01-01\t1\t10.50\thello\n"
                                                     "2024-01-02\t2\t\\N\tback\\slash\n")
        self.put_zst("sluice/job1/part_001.tsv.zst", "2024-01-03\t3\t-1\t\n")
        copy = ("COPY INTO \"CP\".\"F\" FROM @SLUICE_STAGE/job1/ FILES = ('part_000.tsv.zst', "
                "'part_001.tsv.zst') FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = '\\t' "
                "COMPRESSION = ZSTD ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = ('\\\\N') "
                "EMPTY_FIELD_AS_NULL = TRUE) ON_ERROR = ABORT_STATEMENT PURGE = TRUE")
        body = self.ok(copy)
        self.assertEqual([c["name"] for c in body["resultSetMetaData"]["rowType"]],
                         ["file", "status", "rows_parsed", "rows_loaded", "error_limit",
                          "errors_seen", "first_error", "first_error_line",
                          "first_error_character", "first_error_column_name"])
        self.assertEqual(body["data"], [
            ["s3://stage/sluice/job1/part_000.tsv.zst", "LOADED", "2", "2", "1", "0", None, None,
             None, None],
            ["s3://stage/sluice/job1/part_001.tsv.zst", "LOADED", "1", "1", "1", "0", None, None,
             None, None]])
        self.assertEqual(self.psql('select "D"::text, "ID", "AMOUNT"::text, "NOTE" from "CP"."F" '
                                   'order by 2'),
                         [("2024-01-01", 1, "10.50", "hello"), ("2024-01-02", 2, None, "back\\slash"),
                          ("2024-01-03", 3, "-1.00", None)])
        # PURGE removed the files from the stage
        self.assertNotIn("Contents", self.s3client.list_objects_v2(Bucket="stage",
                                                                   Prefix="sluice/job1/"))
        # the same names again (re-uploaded, same bytes): load metadata skips them
        self.put_zst("sluice/job1/part_000.tsv.zst", "2024-01-01\t1\t10.50\thello\n"
                                                     "2024-01-02\t2\t\\N\tback\\slash\n")
        self.put_zst("sluice/job1/part_001.tsv.zst", "2024-01-03\t3\t-1\t\n")
        body = self.ok(copy)
        self.assertEqual(body["resultSetMetaData"]["rowType"][0]["name"], "status")
        self.assertEqual(body["data"], [["Copy executed with 0 files processed."]])
        self.assertEqual(self.psql('select count(*) from "CP"."F"'), [(3,)])

    def test_copy_errors_abort_the_statement(self):
        self.schema("CE")
        self.ok('CREATE TABLE "CE"."F" ("ID" NUMBER(38,0), "NOTE" VARCHAR)')
        self.put_zst("sluice/bad/a.csv.zst", '1,"quoted, with comma"\n2,"say ""hi"""\n')
        self.put_zst("sluice/bad/b.csv.zst", "3,ok\nabc,bad\n")
        fmt = ("FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"' COMPRESSION = AUTO)")
        status, _, body = self.submit(f"COPY INTO \"CE\".\"F\" FROM @SLUICE_STAGE/bad/ "
                                      f"FILES = ('a.csv.zst', 'b.csv.zst') {fmt}")
        self.assertEqual((status, body["code"], body["sqlState"]), (422, "100038", "22018"))
        self.assertTrue(body["message"].startswith(
            "Numeric value 'abc' is not recognized\n  File 's3://stage/sluice/bad/b.csv.zst', "
            "line 2, character 1\n  Row 2, column \"F\"[\"ID\":1]"), body["message"])
        self.assertEqual(self.psql('select count(*) from "CE"."F"'), [(0,)])  # nothing loaded
        status, _, body = self.submit(f"COPY INTO \"CE\".\"F\" FROM @SLUICE_STAGE/bad/ "
                                      f"FILES = ('a.csv.zst') {fmt}")
        self.assertEqual(status, 200)
        self.assertEqual(self.psql('select "NOTE" from "CE"."F" order by "ID"'),
                         [("quoted, with comma",), ('say "hi"',)])
        status, _, body = self.submit(f"COPY INTO \"CE\".\"F\" FROM @SLUICE_STAGE/bad/ "
                                      f"FILES = ('missing.csv.zst') {fmt}")
        self.assertEqual((status, body["code"]), (422, "100086"))
        self.put_zst("sluice/bad/c.csv.zst", "4,a,extra\n")
        status, _, body = self.submit(f"COPY INTO \"CE\".\"F\" FROM @SLUICE_STAGE/bad/ "
                                      f"FILES = ('c.csv.zst') {fmt}")
        self.assertEqual((status, body["code"]), (422, "100080"))
        self.assertIn("Number of columns in file (3) does not match that of the corresponding "
                      "table (2)", body["message"])

    # sluice's staging format (SnowflakeTarget::file_format): tab-separated CSV, values enclosed
    # in double quotes only when they must be, no escape character, NULL the empty field.
    STAGED_FORMAT = ("TYPE = CSV FIELD_DELIMITER = '\\t' RECORD_DELIMITER = '\\n' MULTI_LINE = TRUE "
                     "COMPRESSION = ZSTD FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE = NONE "
                     "ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE "
                     "SKIP_BYTE_ORDER_MARK = TRUE TRIM_SPACE = FALSE SKIP_HEADER = 0 "
                     "SKIP_BLANK_LINES = FALSE ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE "
                     "ENCODING = 'UTF8' REPLACE_INVALID_CHARACTERS = FALSE")

    def copy_staged(self, table, key, fmt=None):
        fmt = fmt if fmt is not None else self.STAGED_FORMAT
        return self.submit(f'COPY INTO "CT"."{table}" FROM @SLUICE_STAGE/ct/ FILES = (\'{key}\') '
                           f"FILE_FORMAT = ({fmt}) ON_ERROR = ABORT_STATEMENT")

    def test_staged_csv_fast_path_reads_as_the_reference_parser(self):
        self.schema("CT")
        rows = ("1\tback\\slash \\N \\t\t2024-01-01\n"
                "2\t\t2024-01-02\n"
                "3\tmid\u00a0'quote' caf\u00e9 \u20ac\t2024-01-03\n"
                "4\ttrailing\\\t2024-01-04")  # no final newline
        options = parse_copy(f"COPY INTO T FROM @S FILE_FORMAT = ({self.STAGED_FORMAT})").file_format
        self.assertTrue(_postgres_csv_reads_alike(rows.encode(), Format(options)))  # FAST is fast
        query = 'select "ID", "NOTE", "D"::text from "CT"."{}" order by 1'
        for t in ("FAST", "REF"):
            self.ok(f'CREATE TABLE "CT"."{t}" ("ID" NUMBER(38,0), "NOTE" VARCHAR, "D" DATE)')
        self.put_zst("sluice/ct/FAST.tsv.zst", rows)
        # SKIP_HEADER = 1 over a header line: the same rows, through the reference parser
        self.put_zst("sluice/ct/REF.tsv.zst", "ID\tNOTE\tD\n" + rows)
        status, _, body = self.copy_staged("FAST", "FAST.tsv.zst")
        self.assertEqual((status, body["data"][0][1:4]), (200, ["LOADED", "4", "4"]), body)
        status, _, body = self.copy_staged("REF", "REF.tsv.zst",
                                           self.STAGED_FORMAT.replace("SKIP_HEADER = 0",
                                                                      "SKIP_HEADER = 1"))
        self.assertEqual((status, body["data"][0][1:4]), (200, ["LOADED", "4", "4"]), body)
        expected = [(1, "back\\slash \\N \\t", "2024-01-01"), (2, None, "2024-01-02"),
                    (3, "mid\u00a0'quote' caf\u00e9 \u20ac", "2024-01-03"),
                    (4, "trailing\\", "2024-01-04")]
        self.assertEqual(self.psql(query.format("FAST")), expected)
        self.assertEqual(self.psql(query.format("REF")), expected)

    def test_staged_csv_values_by_the_documented_rules(self):
        self.schema("CT")
        self.ok('CREATE TABLE "CT"."V" ("ID" NUMBER(38,0), "NOTE" VARCHAR)')
        values = {1: "tab\there", 2: "new\nline", 3: "cr\rhere", 4: "crlf\r\nhere",
                  5: 'say "hi"', 6: "", 7: None, 8: "\\N", 9: "\\t", 10: "ends\\",
                  11: "\ufeffmark", 12: "caf\u00e9 \u20ac \U0001f600", 13: 'mid"quote'}
        text = ("1\t\"tab\there\"\n2\t\"new\nline\"\n3\t\"cr\rhere\"\n4\t\"crlf\r\nhere\"\n"
                "5\t\"say \"\"hi\"\"\"\n6\t\"\"\n7\t\n8\t\\N\n9\t\\t\n10\tends\\\n"
                "11\t\"\ufeffmark\"\n12\tcaf\u00e9 \u20ac \U0001f600\n"
                "13\tmid\"quote\n")  # a quote inside an unenclosed field is data
        self.put_zst("sluice/ct/v.tsv.zst", "\ufeff" + text)  # a leading byte order mark is skipped
        status, _, body = self.copy_staged("V", "v.tsv.zst")
        self.assertEqual((status, body["data"][0][1:4]), (200, ["LOADED", "13", "13"]), body)
        self.assertEqual(self.psql('select "ID", "NOTE" from "CT"."V" order by 1'),
                         sorted(values.items()))

    def test_staged_csv_documented_errors_and_line_numbers(self):
        self.schema("CT")
        self.ok('CREATE TABLE "CT"."E" ("ID" NUMBER(38,0), "NOTE" VARCHAR)')
        # A bad value on the fourth line, third row: a newline in an enclosed value before it
        # counts as a line.
        self.put_zst("sluice/ct/bad.tsv.zst", "1\t\"ok\nok\"\n2\tok\nx3\tbad\n")
        status, _, body = self.copy_staged("E", "bad.tsv.zst")
        self.assertEqual((status, body["code"], body["sqlState"]), (422, "100038", "22018"))
        self.assertTrue(body["message"].startswith(
            "Numeric value 'x3' is not recognized\n  File 's3://stage/sluice/ct/bad.tsv.zst', "
            "line 4, character 1\n  Row 3, column \"E\"[\"ID\":1]"), body["message"])
        for name, text, fmt, wanted in [
                ("ragged", "6\tok\n7\tok\textra\n", None, "line 2, character 1"),
                ("blank", "8\tok\n\n9\tok\n", None, "blank line"),
                ("unterminated", "8\t\"never closed\n", None, "end of the file inside a quoted"),
                ("after", "8\t\"a\"b\n", None, "Found character 'b' instead of field delimiter"),
                ("multiline", "8\t\"a\nb\"\n", self.STAGED_FORMAT.replace("MULTI_LINE = TRUE",
                                                                        "MULTI_LINE = FALSE"),
                 "MULTI_LINE = FALSE")]:
            self.put_zst(f"sluice/ct/{name}.tsv.zst", text)
            status, _, body = self.copy_staged("E", f"{name}.tsv.zst", fmt)
            self.assertEqual(status, 422, (name, body))
            self.assertIn(wanted, body["message"], name)
        self.assertEqual(self.psql('select count(*) from "CT"."E"'), [(0,)])
        # A blank line is skipped with SKIP_BLANK_LINES = TRUE, and with the default
        # RECORD_DELIMITER "\r\n" is a new line.
        self.put_zst("sluice/ct/skip.tsv.zst", "8\tok\r\n\r\n9\tok\r\n")
        status, _, body = self.copy_staged("E", "skip.tsv.zst", self.STAGED_FORMAT.replace(
            "SKIP_BLANK_LINES = FALSE", "SKIP_BLANK_LINES = TRUE").replace(
            "RECORD_DELIMITER = '\\n' ", ""))
        self.assertEqual(status, 200, body)
        self.assertEqual(self.psql('select "ID", "NOTE" from "CT"."E" order by 1'),
                         [(8, "ok"), (9, "ok")])

    def test_a_one_column_table_reads_the_first_of_two_fields(self):
        # sluice stages a one-column table's records with a second, empty field and
        # ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE: its NULL is then no blank line.
        self.schema("CT")
        self.ok('CREATE TABLE "CT"."ONE" ("NOTE" VARCHAR)')
        fmt = self.STAGED_FORMAT.replace("ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE",
                                         "ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE")
        self.put_zst("sluice/ct/one.tsv.zst", "a\t\n\t\n\"\"\t\n\"b\tc\"\t\n")
        status, _, body = self.copy_staged("ONE", "one.tsv.zst", fmt)
        self.assertEqual((status, body["data"][0][1:4]), (200, ["LOADED", "4", "4"]), body)
        self.assertEqual(sorted(self.psql('select "NOTE" from "CT"."ONE"'), key=str),
                         sorted([("a",), (None,), ("",), ("b\tc",)], key=str))
        # Records of varying length are an error whatever that option says.
        self.put_zst("sluice/ct/ragged1.tsv.zst", "d\t\ne\n")
        status, _, body = self.copy_staged("ONE", "ragged1.tsv.zst", fmt)
        self.assertEqual(status, 422, body)
        self.assertIn("A record of 1 fields after records of 2", body["message"])

    def test_bytes_the_documentation_leaves_open_are_refused(self):
        # What the old emulator guessed (PostgreSQL's reading of backslash sequences) and what no
        # documented rule settles: the statement fails, nothing is loaded.
        self.schema("CT")
        self.ok('CREATE TABLE "CT"."U" ("ID" NUMBER(38,0), "NOTE" VARCHAR)')
        backslash = self.STAGED_FORMAT.replace("ESCAPE_UNENCLOSED_FIELD = NONE",
                                               "ESCAPE_UNENCLOSED_FIELD = '\\\\'")
        escape = self.STAGED_FORMAT.replace("ESCAPE = NONE", "ESCAPE = '\\\\'")
        null_if = self.STAGED_FORMAT.replace("NULL_IF = ()", "NULL_IF = ('NA')")
        for name, text, fmt in [
                ("tab", "1\ta\\tb\n", backslash),          # backslash + t
                ("octal", "1\ta\\101b\n", backslash),      # backslash + digits
                ("last", "1\tends\\", backslash),          # an escape that ends the file
                ("crlf", "1\tcr\r\n", None),               # \r\n with RECORD_DELIMITER given
                ("quoted-escape", "1\t\"a\\tb\"\n", escape),  # ESCAPE before other than a quote
                ("quoted-null", "1\t\"NA\"\n", null_if)]:  # NULL_IF and an enclosed value
            self.put_zst(f"sluice/ct/{name}.tsv.zst", text)
            status, _, body = self.copy_staged("U", f"{name}.tsv.zst", fmt)
            self.assertEqual((status, body["code"]), (422, "000002"), (name, body))
            self.assertIn("documentation does not say", body["message"], name)
        # What the documentation does say: the escape makes a delimiter, a newline or itself
        # literal, and NULL_IF matches the text as written (its default, \N, with the backslash).
        self.put_zst("sluice/ct/said.tsv.zst", "1\ta\\\tb\\\nc\\\\d\n2\t\\N\n3\tNA\n")
        self.assertEqual(self.copy_staged("U", "said.tsv.zst", backslash.replace(
            "NULL_IF = ()", "NULL_IF = ('\\\\N', 'NA')"))[0], 200)
        self.assertEqual(self.psql('select "ID", "NOTE" from "CT"."U" order by 1'),
                         [(1, "a\tb\nc\\d"), (2, None), (3, None)])

    # --- warehouse operations: catalog, bindings, Time Travel, staging tables ------------------

    def test_information_schema_answers_upper_case_names(self):
        self.schema("IS")
        self.ok('CREATE TABLE "IS"."T" ("ID" NUMBER(38,0), "Mixed" VARCHAR)')
        self.ok('CREATE TABLE "IS".lower_t (a_col INT, b_col DATE)')  # unquoted: upper in Snowflake
        q = ("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
             "table_name = ? ORDER BY ordinal_position")
        body = self.ok(q, bindings={"1": {"type": "TEXT", "value": "IS"},
                                    "2": {"type": "TEXT", "value": "LOWER_T"}})
        self.assertEqual(body["resultSetMetaData"]["rowType"][0]["name"], "COLUMN_NAME")
        self.assertEqual(body["data"], [["A_COL"], ["B_COL"]])
        body = self.ok(q, bindings={"1": {"type": "TEXT", "value": "IS"},
                                    "2": {"type": "TEXT", "value": "T"}})
        self.assertEqual(body["data"], [["ID"], ["Mixed"]])
        body = self.ok("SELECT TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE "
                       "TABLE_SCHEMA = 'IS' ORDER BY 1")
        self.assertEqual(body["data"], [["LOWER_T", "BASE TABLE"], ["T", "BASE TABLE"]])
        status, _, body = self.submit("SELECT * FROM INFORMATION_SCHEMA.VIEWS")
        self.assertEqual((status, body["code"]), (422, "001003"))
        self.assertIn("not supported by the sluice Snowflake emulator", body["message"])

    def test_information_schema_columns_reports_snowflake_types(self):
        self.schema("TY")
        self.ok('CREATE TABLE "TY"."T" ("S" VARCHAR, "V" VARCHAR(7), "C" CHAR(3), "I" INT, '
                '"N" NUMBER(12,2), "F" FLOAT, "B" BOOLEAN, "D" DATE, "NTZ" TIMESTAMP_NTZ, '
                '"TZ" TIMESTAMP_TZ)')
        body = self.ok("SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, "
                       "NUMERIC_PRECISION_RADIX, NUMERIC_SCALE FROM INFORMATION_SCHEMA.COLUMNS "
                       "WHERE TABLE_SCHEMA = 'TY' AND TABLE_NAME = 'T' ORDER BY ORDINAL_POSITION")
        self.assertEqual(body["data"], [
            ["S", "TEXT", "16777216", None, None, None],
            ["V", "TEXT", "7", None, None, None],
            ["C", "TEXT", "3", None, None, None],
            ["I", "NUMBER", None, "38", "10", "0"],
            ["N", "NUMBER", None, "12", "10", "2"],
            ["F", "FLOAT", None, None, None, None],
            ["B", "BOOLEAN", None, None, None, None],
            ["D", "DATE", None, None, None, None],
            ["NTZ", "TIMESTAMP_NTZ", None, None, None, None],
            ["TZ", "TIMESTAMP_TZ", None, None, None, None]])

    def test_typed_bindings_fixed_date_text(self):
        self.schema("TB")
        self.ok('CREATE TABLE "TB"."T" ("D" DATE, "N" NUMBER(38,0), "S" VARCHAR)')
        self.ok('INSERT INTO "TB"."T" VALUES (?, ?, ?)',
                bindings={"1": {"type": "DATE", "value": str(19723 * 86400000)},  # 2024-01-01
                          "2": {"type": "FIXED", "value": "20240101"},
                          "3": {"type": "TEXT", "value": "it's"}})
        body = self.ok('SELECT "D", "N", "S" FROM "TB"."T" WHERE "D" BETWEEN ? AND ? AND "N" = ?',
                       bindings={"1": {"type": "DATE", "value": str(19723 * 86400000)},
                                 "2": {"type": "DATE", "value": str(19724 * 86400000)},
                                 "3": {"type": "FIXED", "value": "20240101"}})
        self.assertEqual(body["data"], [["19723", "20240101", "it's"]])
        # numbered placeholders (what sluice sends): binding n wherever :n stands
        body = self.ok('SELECT "S", :1 FROM "TB"."T" WHERE "N" = :2 AND "S" = :1',
                       bindings={"1": {"type": "TEXT", "value": "it's"},
                                 "2": {"type": "FIXED", "value": "20240101"}})
        self.assertEqual(body["data"], [["it's", "it's"]])
        status, _, body = self.submit('SELECT :3', bindings={"1": {"type": "TEXT", "value": "x"}})
        self.assertEqual((status, body["code"]), (422, "002049"))

    def test_autoincrement_transient_and_create_or_replace(self):
        self.schema("AI")
        self.ok('CREATE TABLE "AI"."H" ("ID" NUMBER(38,0) AUTOINCREMENT, "X" VARCHAR, '
                '"BY" VARCHAR DEFAULT CURRENT_USER())')
        self.ok('INSERT INTO "AI"."H" ("X") VALUES (\'a\')')
        self.ok('INSERT INTO "AI"."H" ("X") VALUES (\'b\')')
        self.assertEqual(self.ok('SELECT "ID", "X" FROM "AI"."H" ORDER BY 1')["data"],
                         [["1", "a"], ["2", "b"]])
        self.ok('CREATE OR REPLACE TRANSIENT TABLE "AI"."S" ("A" NUMBER(38,0))')
        self.ok('INSERT INTO "AI"."S" VALUES (1)')
        self.ok('CREATE OR REPLACE TRANSIENT TABLE "AI"."S" ("A" NUMBER(38,0))')  # replaced: empty
        self.assertEqual(self.ok('SELECT count(*) FROM "AI"."S"')["data"], [["0"]])
        self.ok('DROP TABLE IF EXISTS "AI"."S"')
        self.assertEqual(self.psql("select count(*) from pg_tables where schemaname = 'AI' and "
                                   "tablename = 'S'"), [(0,)])

    def test_time_travel_before_a_delete_and_retention(self):
        self.schema("TT")
        self.ok('CREATE TABLE "TT"."T" ("D" NUMBER(38,0), "V" VARCHAR)')
        self.ok('INSERT INTO "TT"."T" VALUES (1, \'a\'), (2, \'b\'), (2, \'c\'), (3, \'d\')')
        deleted = self.ok('DELETE FROM "TT"."T" WHERE "D" = :1',
                          bindings={"1": {"type": "FIXED", "value": "2"}})
        self.assertEqual(deleted["data"], [["2"]])
        handle = deleted["statementHandle"]
        restore = ('INSERT INTO "TT"."T" SELECT * FROM "TT"."T" BEFORE(STATEMENT => :1) '
                   'WHERE "D" BETWEEN :2 AND :3')
        binds = {"1": {"type": "TEXT", "value": handle}, "2": {"type": "FIXED", "value": "2"},
                 "3": {"type": "FIXED", "value": "2"}}
        self.sf.control("POST", "time_travel", {"retention_seconds": 0})
        status, _, body = self.submit(restore, bindings=binds)
        self.assertEqual((status, body["code"]), (422, "000707"))
        self.assertTrue(body["message"].startswith("Time travel data is not available for table T."),
                        body["message"])
        self.sf.control("POST", "time_travel", {"retention_seconds": None})
        body = self.ok(restore, bindings=binds)
        self.assertEqual(body["data"], [["2"]])
        self.assertEqual(self.psql('select "D", "V" from "TT"."T" order by 2'),
                         [(1, "a"), (2, "b"), (2, "c"), (3, "d")])
        status, _, body = self.submit('SELECT * FROM "TT"."T" BEFORE(STATEMENT => '
                                      '\'01000000-0000-0000-0000-000000000000\')')
        self.assertEqual((status, body["code"]), (422, "000709"))
        status, _, body = self.submit('SELECT * FROM "TT"."T" AT(TIMESTAMP => CURRENT_TIMESTAMP())')
        self.assertEqual((status, body["code"]), (422, "001003"))

    def test_time_travel_inside_a_transaction_and_beside_the_current_table(self):
        # sluice's restore: one statement reading the table before a DELETE and as it is now
        self.schema("TX")
        self.ok('CREATE TABLE "TX"."T" ("D" NUMBER(38,0), "V" VARCHAR)')
        self.ok("INSERT INTO \"TX\".\"T\" VALUES (1, 'a'), (2, 'b'), (2, 'c'), (3, 'd')")
        body = self.ok('BEGIN; DELETE FROM "TX"."T" WHERE "D" = 2; COMMIT',
                       parameters={"MULTI_STATEMENT_COUNT": "3"})
        deleted = body["statementHandles"][1]
        restore = ('INSERT INTO "TX"."T" SELECT * FROM "TX"."T" BEFORE(STATEMENT => :1) WHERE "D" = 2 '
                   'AND NOT EXISTS (SELECT 1 FROM "TX"."T" WHERE "D" = 2)')
        binds = {"1": {"type": "TEXT", "value": deleted}}
        self.assertEqual(self.ok(restore, bindings=binds)["data"], [["2"]])
        self.assertEqual(self.ok(restore, bindings=binds)["data"], [["0"]])  # nothing twice
        # the same from a single DELETE (a snapshot), and inside a transaction (its rows copied)
        single = self.ok('DELETE FROM "TX"."T" WHERE "D" = 2')["statementHandle"]
        body = self.ok(f"BEGIN; {restore.replace(':1', repr(single))}; COMMIT",
                       parameters={"MULTI_STATEMENT_COUNT": "3"})
        status, _, child = self.call("GET", f"/api/v2/statements/{body['statementHandles'][1]}")
        self.assertEqual((status, child["data"]), (200, [["2"]]))
        self.assertEqual(self.psql('select "D", "V" from "TX"."T" order by 2'),
                         [(1, "a"), (2, "b"), (2, "c"), (3, "d")])

    # --- Snowflake column types ----------------------------------------------------------------

    ALL_TYPES = ('"ID" INT, "I" INTEGER, "BI" BIGINT, "SI" SMALLINT, "TI" TINYINT, "BY" BYTEINT, '
                 '"N" NUMBER(38,0), "NUM" NUMERIC(12,3), "DEC" DECIMAL, "F" FLOAT, "F4" FLOAT4, '
                 '"F8" FLOAT8, "DB" DOUBLE, "DP" DOUBLE PRECISION, "R" REAL, "V" VARCHAR, '
                 '"V7" VARCHAR(7), "ST" STRING, "TX" TEXT, "C" CHAR, "CH" CHARACTER(5), '
                 '"B" BINARY, "VB" VARBINARY(16), "BO" BOOLEAN, "D" DATE, "TM" TIME, '
                 '"TM3" TIME(3), "DT" DATETIME, "TS" TIMESTAMP, "NTZ" TIMESTAMP_NTZ(6), '
                 '"LTZ" TIMESTAMP_LTZ, "TZ" TIMESTAMP_TZ(9), "VA" VARIANT, "O" OBJECT, "A" ARRAY')

    def test_column_types_as_information_schema_and_row_type_report_them(self):
        self.schema("TYP")
        self.ok(f'CREATE TABLE "TYP"."ALL" ({self.ALL_TYPES})')
        body = self.ok("SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, "
                       "CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_PRECISION_RADIX, "
                       "NUMERIC_SCALE, DATETIME_PRECISION, IS_NULLABLE, TABLE_CATALOG, "
                       "ORDINAL_POSITION FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'TYP' "
                       "AND TABLE_NAME = 'ALL' ORDER BY ORDINAL_POSITION")
        number = lambda p, s: ["NUMBER", None, None, str(p), "10", str(s)]  # noqa: E731
        text = lambda n, o: ["TEXT", str(n), str(o), None, None, None]  # noqa: E731
        plain = lambda t: [t, None, None, None, None, None]  # noqa: E731
        binary = lambda n: ["BINARY", str(n), str(n), None, None, None]  # noqa: E731
        expected = {
            "ID": number(38, 0), "I": number(38, 0), "BI": number(38, 0), "SI": number(38, 0),
            "TI": number(38, 0), "BY": number(38, 0), "N": number(38, 0), "NUM": number(12, 3),
            "DEC": number(38, 0), "F": plain("FLOAT"), "F4": plain("FLOAT"), "F8": plain("FLOAT"),
            "DB": plain("FLOAT"), "DP": plain("FLOAT"), "R": plain("FLOAT"),
            "V": text(16777216, 16777216), "V7": text(7, 28), "ST": text(16777216, 16777216),
            "TX": text(16777216, 16777216), "C": text(1, 4), "CH": text(5, 20),
            "B": binary(8388608), "VB": binary(16), "BO": plain("BOOLEAN"), "D": plain("DATE"),
            "TM": plain("TIME"), "TM3": plain("TIME"), "DT": plain("TIMESTAMP_NTZ"),
            "TS": plain("TIMESTAMP_NTZ"), "NTZ": plain("TIMESTAMP_NTZ"),
            "LTZ": plain("TIMESTAMP_LTZ"), "TZ": plain("TIMESTAMP_TZ"), "VA": plain("VARIANT"),
            "O": plain("OBJECT"), "A": plain("ARRAY")}
        self.assertEqual([r[0] for r in body["data"]], list(expected))
        for r in body["data"]:
            # DATETIME_PRECISION: "Not applicable for Snowflake." (the COLUMNS view's page)
            self.assertEqual(r[1:8], expected[r[0]] + [None], r[0])
            self.assertEqual(r[8], "YES")
        self.assertEqual([r[10] for r in body["data"]],
                         [str(k) for k in range(1, len(expected) + 1)])
        # the same types in a result's rowType; a TIME/TIMESTAMP's precision is its scale
        row_type = self.ok('SELECT * FROM "TYP"."ALL" LIMIT 0')["resultSetMetaData"]["rowType"]
        got = {c["name"]: (c["type"], c["precision"], c["scale"], c["length"]) for c in row_type}
        self.assertEqual(got["NUM"], ("fixed", 12, 3, None))
        self.assertEqual(got["I"], ("fixed", 38, 0, None))
        self.assertEqual(got["F8"], ("real", None, None, None))
        self.assertEqual(got["V7"], ("text", None, None, 7))
        self.assertEqual(got["V"], ("text", None, None, 16777216))
        self.assertEqual(got["VB"], ("binary", None, None, 16))
        self.assertEqual(got["TM"], ("time", 0, 9, None))
        self.assertEqual(got["TM3"], ("time", 0, 3, None))
        self.assertEqual(got["DT"], ("timestamp_ntz", 0, 9, None))
        self.assertEqual(got["NTZ"], ("timestamp_ntz", 0, 6, None))
        self.assertEqual(got["LTZ"], ("timestamp_ltz", 0, 9, None))
        self.assertEqual(got["TZ"], ("timestamp_tz", 0, 9, None))
        self.assertEqual([got[k][0] for k in ("BO", "D", "VA", "O", "A")],
                         ["boolean", "date", "variant", "object", "array"])
        self.assertEqual(row_type[0]["table"], "ALL")
        # spellings Snowflake refuses
        for bad in ("INT(5)", "NUMBER(39,0)", "NUMBER(10,11)", "TIME(10)", "FLOAT(5)"):
            status, _, body = self.submit(f'CREATE TABLE "TYP"."BAD" ("X" {bad})')
            self.assertEqual((status, body["code"]), (422, "002040"), bad)

    # One row of every type, with the values a migration must keep apart; a second with only
    # the strings that look like NULL markers.
    VALUES_COLUMNS = ('"ID" INT, "BIG" NUMBER(38,0), "DEC" NUMBER(12,3), "NAN" FLOAT, "INF" FLOAT, '
                      '"NINF" FLOAT, "TENTH" FLOAT, "S" VARCHAR, "E" VARCHAR, "B" BINARY, '
                      '"BO" BOOLEAN, "D" DATE, "TM" TIME, "NTZ" TIMESTAMP_NTZ, '
                      '"LTZ" TIMESTAMP_LTZ, "TZ" TIMESTAMP_TZ, "V" VARIANT, "O" OBJECT, "A" ARRAY')
    TRICKY = 'a,b\tc\nd\\e "q" \'s\''  # delimiter, tab, newline, backslash, both quotes

    def values_table(self, schema):
        self.schema(schema)
        self.ok(f'CREATE OR REPLACE TABLE "{schema}"."V" ({self.VALUES_COLUMNS})')
        tricky = "'" + self.TRICKY.replace("\\", "\\\\").replace("'", "''").replace(
            "\t", "\\t").replace("\n", "\\n") + "'"
        self.ok(f'INSERT INTO "{schema}"."V" SELECT 1, 12345678901234567890123456789012345678, '
                f"-1234567.891, 'NaN', 'inf', '-inf', 0.1, {tricky}, '', TO_BINARY('00ff7F10'), "
                "TRUE, '1969-12-31', '23:59:59.123456789', '2024-02-29 13:14:15.123456789', "
                "'2024-01-31 10:00:00.5 +02:00', '2024-01-31 10:00:00.123456789 +07:00', "
                "PARSE_JSON('{\"b\": 1.10, \"a\": [1, null, \"x\"]}'), PARSE_JSON('{\"k\": \"v\"}'), "
                "PARSE_JSON('[1, 2.5]')")
        self.ok(f'INSERT INTO "{schema}"."V" ("ID", "S", "E") VALUES (2, \'\\\\N\', \'null\')')

    def test_every_type_round_trips_through_jsonv2(self):
        self.values_table("RT")
        body = self.ok('SELECT * FROM "RT"."V" ORDER BY "ID"')
        self.assertEqual(body["data"][0], [
            "1", "12345678901234567890123456789012345678", "-1234567.891", "NaN", "inf", "-inf",
            "0.1", self.TRICKY, "", "00FF7F10", "true", "-1", "86399.123456789",
            # 2024-02-29 13:14:15 as if UTC; 10:00:00.5 at +02:00 is 08:00:00.5 UTC; TIMESTAMP_TZ:
            # seconds of the instant, then the offset in minutes + 1440 (+07:00: 1860)
            "1709212455.123456789", "1706688000.500000000", "1706670000.123456789 1860",
            '{\n  "a": [\n    1,\n    null,\n    "x"\n  ],\n  "b": 1.10\n}', '{\n  "k": "v"\n}',
            "[\n  1,\n  2.5\n]"])
        self.assertEqual(body["data"][1], ["2"] + [None] * 6 + ["\\N", "null"] + [None] * 10)
        # the stored values, as psql sees them: nanoseconds and the offset kept
        self.assertEqual(self.psql('select _sfemu.raw("TM"), _sfemu.raw("NTZ"), _sfemu.raw("LTZ"), '
                                   '_sfemu.raw("TZ"), _sfemu.raw("B") from "RT"."V" where "ID" = 1'),
                         [("23:59:59.123456789", "2024-02-29 13:14:15.123456789",
                           "2024-01-31 08:00:00.5+00:00", "2024-01-31 10:00:00.123456789 +07:00",
                           "00FF7F10")])
        # comparisons, MIN/MAX and ORDER BY by the value (TIMESTAMP_TZ "compared based on their
        # times in UTC"), literals in any accepted spelling
        self.ok('INSERT INTO "RT"."V" ("ID", "TZ", "NTZ") VALUES (3, '
                '\'2024-01-31 03:00:00.123456789Z\', \'2024-02-29T13:14:15.12345679\')')
        body = self.ok('SELECT "ID" FROM "RT"."V" WHERE "TZ" = '
                       '\'2024-01-31 03:00:00.123456789 +00:00\' ORDER BY "ID"')
        self.assertEqual(body["data"], [["1"], ["3"]])
        body = self.ok('SELECT MAX("NTZ"), MIN("NTZ"), COUNT(DISTINCT "TZ") FROM "RT"."V"')
        self.assertEqual(body["data"], [["1709212455.123456790", "1709212455.123456789", "1"]])
        body = self.ok('SELECT "ID" FROM "RT"."V" WHERE "NTZ" > \'2024-02-29 13:14:15.123456789\'')
        self.assertEqual(body["data"], [["3"]])
        # bindings as the SQL API encodes them: TIMESTAMP_TZ "<nanoseconds> <offset + 1440>"
        self.ok('INSERT INTO "RT"."V" ("ID", "TZ", "TM") VALUES (?, ?, ?)',
                bindings={"1": {"type": "FIXED", "value": "4"},
                          "2": {"type": "TIMESTAMP_TZ", "value": "1706670000123456789 1860"},
                          "3": {"type": "TIME", "value": "86399123456789"}})
        body = self.ok('SELECT "TZ", "TM" FROM "RT"."V" WHERE "ID" = 4')
        self.assertEqual(body["data"], [["1706670000.123456789 1860", "86399.123456789"]])
        # what Snowflake would read otherwise is refused, not guessed
        self.ok('CREATE OR REPLACE TABLE "RT"."P" ("T3" TIMESTAMP_NTZ(3), "B2" BINARY(2))')
        for value, column_, code in (("'2024-01-01 00:00:00.1234'", "T3", "000002"),
                                     ("'not a time'", "T3", "100035"),
                                     ("'ABCDEF'", "B2", "100074"), ("'XYZ'", "B2", "100115")):
            status, _, body = self.submit(f'INSERT INTO "RT"."P" ("{column_}") VALUES ({value})')
            self.assertEqual((status, body["code"]), (422, code), (value, body))
    def test_to_varchar_formats_and_output_parameters(self):
        self.values_table("FM")
        body = self.ok(
            'SELECT TO_VARCHAR("NTZ", \'YYYY-MM-DD HH24:MI:SS.FF9\'), '
            'TO_VARCHAR("TZ", \'YYYY-MM-DD"T"HH24:MI:SS.FF9TZH:TZM\'), '
            'TO_VARCHAR("LTZ", \'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM\'), '
            'TO_CHAR("TM", \'HH24:MI:SS.FF9\'), TO_VARCHAR("D", \'YYYY-MM-DD\'), '
            'TO_VARCHAR("NTZ"), TO_VARCHAR("TM"), TO_VARCHAR("LTZ"), TO_VARCHAR("TZ"), '
            'TO_VARCHAR("NTZ", \'DY, DD MON YYYY HH12:MI:SS AM TZHTZM\'), '
            'TO_VARCHAR("TENTH"), TO_VARCHAR("NAN"), TO_VARCHAR("INF"), TO_VARCHAR("BIG"), '
            'TO_VARCHAR("DEC"), HEX_ENCODE("B"), HEX_ENCODE("B", 0), TO_VARCHAR("B", \'BASE64\'), '
            'TO_JSON("V"), TO_VARCHAR("V"), TO_JSON(PARSE_JSON(\'"s"\')), '
            'TO_VARCHAR(PARSE_JSON(\'"s"\')), TO_VARCHAR("BO") FROM "FM"."V" WHERE "ID" = 1')
        self.assertEqual(body["data"], [[
            "2024-02-29 13:14:15.123456789", "2024-01-31T10:00:00.123456789+07:00",
            # TIMESTAMP_LTZ in the session's TIMEZONE, America/Los_Angeles by default
            "2024-01-31 00:00:00.500000000 -08:00", "23:59:59.123456789", "1969-12-31",
            # the default output formats: milliseconds, whole seconds for TIME
            "2024-02-29 13:14:15.123", "23:59:59", "2024-01-31 00:00:00.500 -0800",
            "2024-01-31 10:00:00.123 +0700",
            # DT: for TIMESTAMP_NTZ "If the output format contains a time zone, the UTC indicator
            # (Z) is displayed."
            "Thu, 29 Feb 2024 01:14:15 PM Z",
            # FLOAT: TME, the shortest digits that read back as the same double
            "1E-1", "NaN", "inf", "12345678901234567890123456789012345678", "-1234567.891",
            "00FF7F10", "00ff7f10", "AP9/EA==", '{"a":[1,null,"x"],"b":1.10}',
            '{"a":[1,null,"x"],"b":1.10}', '"s"', "s", "true"]])
        # MD5_NUMBER_LOWER64: the documented example, and an aggregate of it stays exact
        body = self.ok("SELECT MD5_NUMBER_LOWER64('Snowflake'), SUM(MD5_NUMBER_LOWER64(TO_VARCHAR(\"ID\"))) "
                       'FROM "FM"."V" WHERE "ID" = 1')
        self.assertEqual(body["data"], [["9203306159527282910",
                                         str(int(hashlib.md5(b"1").hexdigest()[16:], 16))]])
        # the request's parameters set the session's formats and time zone
        body = self.ok('SELECT TO_VARCHAR("LTZ"), TO_VARCHAR("NTZ"), TO_VARCHAR("TM") FROM "FM"."V" '
                       'WHERE "ID" = 1', parameters={
                           "TIMEZONE": "UTC", "TIME_OUTPUT_FORMAT": "HH24:MI:SS.FF6",
                           "TIMESTAMP_OUTPUT_FORMAT": "YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM"})
        self.assertEqual(body["data"], [["2024-01-31 08:00:00.500000000 +00:00",
                                         "2024-02-29 13:14:15.123", "23:59:59.123456"]])
        # jsonv2 values formatted by those parameters are not emulated: refused
        status, _, body = self.submit('SELECT "D" FROM "FM"."V"',
                                      parameters={"DATE_OUTPUT_FORMAT": "MM/DD/YYYY"})
        self.assertEqual((status, body["code"]), (422, "001003"))
        # TO_VARCHAR(float) keeps every double: it reads back as the same value
        doubles = [0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                   123456789.12345679, -0.0, 9007199254740993.0, 1e21, 1e-7]
        self.ok('CREATE OR REPLACE TABLE "FM"."F" ("K" INT, "F" FLOAT)')
        self.ok('INSERT INTO "FM"."F" VALUES (?, ?)',
                bindings={"1": {"type": "FIXED", "value": [str(k) for k in range(len(doubles))]},
                          "2": {"type": "REAL", "value": [repr(d) for d in doubles]}})
        body = self.ok('SELECT TO_VARCHAR("F") FROM "FM"."F" ORDER BY "K"')
        texts = [r[0] for r in body["data"]]
        self.assertEqual([float(t) for t in texts], doubles)
        self.assertEqual(texts[:2] + texts[6:7], ["1E-1", "3.333333333333333E-1", "-0E0"])
        status, _, body = self.submit('SELECT TO_VARCHAR("F", \'999.99\') FROM "FM"."F"')
        self.assertEqual((status, body["code"]), (422, "000002"))

    # --- COPY INTO <location> (unloading) ------------------------------------------------------

    def stage_keys(self, prefix):
        listed = self.s3client.list_objects_v2(Bucket="stage", Prefix=prefix)
        return [o["Key"] for o in listed.get("Contents", [])]

    def stage_file(self, key):
        data = self.s3client.get_object(Bucket="stage", Key=key)["Body"].read()
        if key.endswith(".gz") or data[:2] == b"\x1f\x8b":
            return gzip.decompress(data)
        if key.endswith(".zst"):
            return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True,
                                  check=True).stdout
        return data

    def test_unload_with_the_defaults_loses_precision(self):
        self.values_table("UL")
        self.ok('INSERT INTO "UL"."V" ("ID", "TENTH", "NTZ") VALUES (5, CAST(1 AS FLOAT) / 3, '
                '\'2024-01-01 00:00:00.999999999\')')
        body = self.ok('COPY INTO @SLUICE_STAGE/ul/plain/ FROM (SELECT "ID", "TENTH", "NTZ", "LTZ", '
                       '"TZ", "TM", "D", "BIG", "DEC", "B", "BO", "O", "NAN", "INF", "NINF", "V", "A" '
                       'FROM "UL"."V" WHERE "ID" <> 2 ORDER BY "ID")')
        self.assertEqual([c["name"] for c in body["resultSetMetaData"]["rowType"]],
                         ["rows_unloaded", "input_bytes", "output_bytes"])
        # COPY INTO <location>, COMPRESSION: "AUTO: Unloaded files are automatically compressed
        # using the default, which is gzip."; file names as the documentation's data_0_0_0.csv.gz
        self.assertEqual(self.stage_keys("sluice/ul/plain/"), ["sluice/ul/plain/data_0_0_0.csv.gz"])
        raw = self.stage_file("sluice/ul/plain/data_0_0_0.csv.gz")
        stored = self.s3client.head_object(Bucket="stage", Key="sluice/ul/plain/data_0_0_0.csv.gz")
        self.assertEqual(body["data"], [["2", str(len(raw)), str(stored["ContentLength"])]])
        self.assertEqual(raw.decode().split("\n"), [
            # TIMESTAMP_NTZ_OUTPUT_FORMAT YYYY-MM-DD HH24:MI:SS.FF3; LTZ in America/Los_Angeles
            # with TIMESTAMP_OUTPUT_FORMAT's offset; TIME_OUTPUT_FORMAT HH24:MI:SS
            "1,0.1,2024-02-29 13:14:15.123,2024-01-31 00:00:00.500 -0800,"
            "2024-01-31 10:00:00.123 +0700,23:59:59,1969-12-31,"
            '12345678901234567890123456789012345678,-1234567.891,00FF7F10,true,{"k":"v"},NaN,inf,'
            # VARIANT as JSON text (a delimiter in it escaped, as in any unenclosed value)
            '-inf,{"a":[1\\,null\\,"x"]\\,"b":1.10},[1\\,2.5]',
            # floats "truncated to approximately (15,9)"; NULL is NULL_IF's \N
            "5,0.333333333333333,2024-01-01 00:00:00.999" + ",\\N" * 14, ""])
        # The file formats override the session's formats.
        self.ok('COPY INTO @SLUICE_STAGE/ul/fmt/ FROM (SELECT "NTZ", "TZ", "TM", "D" FROM "UL"."V" '
                'WHERE "ID" = 1) FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE TIMESTAMP_FORMAT = '
                '\'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM\' TIME_FORMAT = \'HH24:MI:SS.FF9\' '
                'DATE_FORMAT = \'YYYY-MM-DD\')')
        self.assertEqual(self.stage_file("sluice/ul/fmt/data_0_0_0.csv").decode(),
                         "2024-02-29 13:14:15.123456789 Z,2024-01-31 10:00:00.123456789 +07:00,"
                         "23:59:59.123456789,1969-12-31\n")

    def test_unload_null_empty_and_special_strings(self):
        self.schema("UN")
        # data-unload-considerations, "Empty strings and NULL values", its two examples
        self.ok('CREATE TABLE "UN"."NULL_EMPTY1" ("I" NUMBER, "V" VARCHAR, "D" VARCHAR)')
        self.ok("INSERT INTO \"UN\".\"NULL_EMPTY1\" VALUES (1, NULL, 'NULL value'), "
                "(2, '', 'Empty string')")
        self.ok('COPY INTO @SLUICE_STAGE/un/quoted/ FROM "UN"."NULL_EMPTY1" FILE_FORMAT = '
                "(TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '0x27' NULL_IF = ('null'))")
        self.assertEqual(self.stage_file("sluice/un/quoted/data_0_0_0.csv.gz").decode(),
                         "1,'null','NULL value'\n2,'','Empty string'\n")
        self.ok('COPY INTO @SLUICE_STAGE/un/bare/ FROM "UN"."NULL_EMPTY1" FILE_FORMAT = '
                "(TYPE = CSV EMPTY_FIELD_AS_NULL = FALSE NULL_IF = ('null'))")
        self.assertEqual(self.stage_file("sluice/un/bare/data_0_0_0.csv.gz").decode(),
                         "1,null,NULL value\n2,,Empty string\n")
        # NULL, '', the literal text \N and null, and a value with every special character
        self.ok('CREATE TABLE "UN"."S" ("ID" INT, "S" VARCHAR)')
        self.ok('INSERT INTO "UN"."S" VALUES (?, ?)', bindings={
            "1": {"type": "FIXED", "value": ["1", "2", "3", "4", "5"]},
            "2": {"type": "TEXT", "value": [None, "", "\\N", "null", self.TRICKY]}})
        # unenclosed, the default escape (backslash) and NULL_IF (\N): everything apart
        self.ok('COPY INTO @SLUICE_STAGE/un/escaped/ FROM (SELECT * FROM "UN"."S" ORDER BY "ID") '
                'FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE EMPTY_FIELD_AS_NULL = FALSE)')
        self.assertEqual(self.stage_file("sluice/un/escaped/data_0_0_0.csv").decode(),
                         '1,\\N\n2,\n3,\\\\N\n4,null\n5,a\\,b\tc\\\nd\\\\e "q" \'s\'\n')
        # enclosed in double quotes: the quote doubled, nothing else escaped
        self.ok('COPY INTO @SLUICE_STAGE/un/enclosed/ FROM (SELECT * FROM "UN"."S" ORDER BY "ID") '
                "FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE FIELD_DELIMITER = '\\t' "
                "FIELD_OPTIONALLY_ENCLOSED_BY = '\"')")
        self.assertEqual(self.stage_file("sluice/un/enclosed/data_0_0_0.csv").decode(),
                         '1\t"\\N"\n2\t""\n3\t"\\N"\n4\t"null"\n'
                         '5\t"a,b\tc\nd\\e ""q"" \'s\'"\n')
        # what the documentation leaves open is refused, and nothing is written
        for name, query, fmt in [
                ("empty", 'SELECT * FROM "UN"."S"', "TYPE = CSV"),  # '' unenclosed, EMPTY_FIELD_AS_NULL
                ("numnull", 'SELECT * FROM "UN"."NULL_EMPTY1" WHERE "I" IS NULL OR TRUE',
                 "TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = ('x')") if False else
                ("numnull", "SELECT CAST(NULL AS NUMBER) AS \"N\"",
                 "TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"'"),
                ("noescape", 'SELECT "S" FROM "UN"."S" WHERE "ID" = 5',
                 "TYPE = CSV ESCAPE_UNENCLOSED_FIELD = NONE"),
                ("variantstring", "SELECT PARSE_JSON('\"s\"') AS \"V\"", "TYPE = CSV"),
                ("escape", 'SELECT "S" FROM "UN"."S" WHERE "ID" = 5',
                 "TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE = '\\\\'")]:
            status, _, body = self.submit(f"COPY INTO @SLUICE_STAGE/un/{name}/ FROM ({query}) "
                                          f"FILE_FORMAT = ({fmt})")
            self.assertEqual((status, body["code"]), (422, "000002"), (name, body))
            self.assertIn("documentation", body["message"])
            self.assertEqual(self.stage_keys(f"sluice/un/{name}/"), [])

    def test_unload_explicit_formats_keep_every_value(self):
        self.values_table("UX")
        # A client that formats every value itself (migration-facts, "Design implications"):
        # nanoseconds and offsets, floats that read back exactly, hex, JSON.
        body = self.ok(
            'COPY INTO @SLUICE_STAGE/ux/a1/ FROM (SELECT "ID", '
            'TO_VARCHAR("NTZ", \'YYYY-MM-DD HH24:MI:SS.FF9\'), '
            'TO_VARCHAR("TZ", \'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM\'), '
            'TO_VARCHAR("LTZ", \'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM\'), '
            'TO_VARCHAR("TM", \'HH24:MI:SS.FF9\'), TO_VARCHAR("D", \'YYYY-MM-DD\'), '
            'TO_VARCHAR("TENTH"), TO_VARCHAR("BIG"), HEX_ENCODE("B"), TO_JSON("V"), "S", "E", '
            'TO_VARCHAR("NAN"), TO_VARCHAR("INF"), TO_VARCHAR("NINF") '
            'FROM "UX"."V" ORDER BY "ID") FILE_FORMAT = (TYPE = CSV COMPRESSION = ZSTD '
            "FIELD_DELIMITER = '\\t' FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = ('\\\\N')) "
            "INCLUDE_QUERY_ID = TRUE DETAILED_OUTPUT = TRUE", parameters={"TIMEZONE": "UTC"})
        handle = body["statementHandle"]
        name = f"ux/a1/data_{handle}_0_0_0.csv.zst"
        self.assertEqual(body["data"][0][0::2], [name, "2"])
        text = self.stage_file("sluice/" + name).decode()
        # read back as RFC 4180 CSV: enclosed fields hold the tab and the newline
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"'))
        self.assertEqual(rows, [
            ["1", "2024-02-29 13:14:15.123456789", "2024-01-31 10:00:00.123456789 +07:00",
             "2024-01-31 08:00:00.500000000 +00:00", "23:59:59.123456789", "1969-12-31", "1E-1",
             "12345678901234567890123456789012345678", "00FF7F10", '{"a":[1,null,"x"],"b":1.10}',
             self.TRICKY, "", "NaN", "inf", "-inf"],
            # NULL is the enclosed NULL_IF value, as the literal text \N would be: the second row's
            # "S" holds that text, "E" the text null
            ["2"] + ["\\N"] * 10 + ["null"] + ["\\N"] * 3])
        self.assertIn('\t"\\N"\t"null"\t', text)

    def test_unload_files_split_named_and_reported(self):
        self.schema("US")
        self.ok('CREATE TABLE "US"."T" ("ID" INT, "PAD" VARCHAR)')
        self.ok('INSERT INTO "US"."T" SELECT g, repeat(\'x\', 40) FROM generate_series(1, 100) g')
        body = self.ok('COPY INTO @SLUICE_STAGE/us/split/ FROM (SELECT * FROM "US"."T" ORDER BY "ID") '
                       "FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE) MAX_FILE_SIZE = 1000 "
                       "HEADER = TRUE INCLUDE_QUERY_ID = TRUE DETAILED_OUTPUT = TRUE")
        handle = body["statementHandle"]
        self.assertEqual([(c["name"], c["type"]) for c in body["resultSetMetaData"]["rowType"]],
                         [("file_name", "text"), ("file_size", "fixed"), ("row_count", "fixed")])
        names = [r[0] for r in body["data"]]
        self.assertGreater(len(names), 3)
        self.assertEqual(names, [f"us/split/data_{handle}_0_0_{k}.csv" for k in range(len(names))])
        self.assertEqual(self.stage_keys("sluice/us/split/"), sorted("sluice/" + n for n in names))
        ids = []
        for n, size, rows in body["data"]:
            text = self.stage_file("sluice/" + n).decode()
            self.assertLessEqual(len(text), 1000)
            self.assertEqual(str(len(text)), size)
            lines = text.split("\n")[:-1]
            self.assertEqual(lines[0], "ID,PAD")  # HEADER: "included in every file"
            self.assertEqual(str(len(lines) - 1), rows)
            ids += [int(line.split(",")[0]) for line in lines[1:]]
        self.assertEqual(ids, list(range(1, 101)))
        # no rows, no file
        body = self.ok('COPY INTO @SLUICE_STAGE/us/none/ FROM (SELECT * FROM "US"."T" WHERE FALSE) '
                       "DETAILED_OUTPUT = TRUE")
        self.assertEqual(body["data"], [])
        body = self.ok('COPY INTO @SLUICE_STAGE/us/none/ FROM (SELECT * FROM "US"."T" WHERE FALSE)')
        self.assertEqual(body["data"], [["0", "0", "0"]])
        self.assertEqual(self.stage_keys("sluice/us/none/"), [])
        # SINGLE: the file named by the path, or "data"
        self.ok('COPY INTO @SLUICE_STAGE/us/one/all.csv.gz FROM "US"."T" '
                "FILE_FORMAT = (TYPE = CSV COMPRESSION = GZIP) SINGLE = TRUE")
        self.ok('COPY INTO @SLUICE_STAGE/us/one/ FROM "US"."T" SINGLE = TRUE')
        self.assertEqual(self.stage_keys("sluice/us/one/"),
                         ["sluice/us/one/all.csv.gz", "sluice/us/one/data"])
        self.assertEqual(len(self.stage_file("sluice/us/one/data").split(b"\n")), 101)
        # a file name prefix; the external location itself; an existing file is not overwritten
        # unless OVERWRITE = TRUE
        self.ok('COPY INTO @SLUICE_STAGE/us/pre/part_ FROM "US"."T"')
        self.ok("COPY INTO 's3://stage/sluice/us/url/' FROM \"US\".\"T\" "
                "CREDENTIALS = (AWS_KEY_ID = 'k' AWS_SECRET_KEY = 's')")
        self.assertEqual(self.stage_keys("sluice/us/pre/") + self.stage_keys("sluice/us/url/"),
                         ["sluice/us/pre/part_0_0_0.csv.gz", "sluice/us/url/data_0_0_0.csv.gz"])
        status, _, body = self.submit('COPY INTO @SLUICE_STAGE/us/pre/part_ FROM "US"."T"')
        self.assertEqual((status, body["code"]), (422, "000002"))
        self.ok('COPY INTO @SLUICE_STAGE/us/pre/part_ FROM "US"."T" OVERWRITE = TRUE')
        for bad, code in (("SINGLE = TRUE INCLUDE_QUERY_ID = TRUE", "001008"),
                          ("OVERWRITE = TRUE INCLUDE_QUERY_ID = TRUE", "001008"),
                          ("MAX_FILE_SIZE = 5368709121", "001003")):
            status, _, body = self.submit(f'COPY INTO @SLUICE_STAGE/us/bad/ FROM "US"."T" {bad}')
            self.assertEqual((status, body["code"]), (422, code), bad)
        for path in ("us/bad/name.csv FROM \"US\".\"T\" FILE_FORMAT = (COMPRESSION = GZIP) "
                     "SINGLE = TRUE", "us/bad/part FROM \"US\".\"T\""):
            status, _, body = self.submit(f"COPY INTO @SLUICE_STAGE/{path}")
            self.assertEqual((status, body["code"]), (422, "000002"), path)
        self.assertEqual(self.stage_keys("sluice/us/bad/"), [])

    def test_unload_retry_fault_leaves_stray_files_the_result_does_not_list(self):
        self.schema("UR")
        self.ok('CREATE TABLE "UR"."T" ("ID" INT)')
        self.ok('INSERT INTO "UR"."T" SELECT g FROM generate_series(1, 10) g')
        self.sf.faults({"op": "unload", "action": "retry"})
        body = self.ok('COPY INTO @SLUICE_STAGE/ur/a1/ FROM "UR"."T" DETAILED_OUTPUT = TRUE')
        self.assertEqual([r[0] for r in body["data"]], ["ur/a1/data_0_0_0.csv.gz"])
        # OVERWRITE: "the unload operation writes additional files to the stage without first
        # removing any files that were previously written by the first attempt"
        self.assertEqual(self.stage_keys("sluice/ur/a1/"),
                         ["sluice/ur/a1/data_0_0_0.csv.gz", "sluice/ur/a1/data_0_1_0.csv.gz"])
        self.assertEqual(self.stage_file("sluice/ur/a1/data_0_1_0.csv.gz"),
                         self.stage_file("sluice/ur/a1/data_0_0_0.csv.gz"))
        st = [s for s in self.sf.control("GET", "statements")["statements"]
              if s["handle"] == body["statementHandle"]][0]
        self.assertEqual(st["unload_strays"], ["ur/a1/data_0_1_0.csv.gz"])
        # INCLUDE_QUERY_ID: "the unload operation removes any files that were written to the stage
        # with the UUID of the current query ID and then attempts to unload the data again"
        self.sf.faults({"op": "unload", "action": "retry"})
        body = self.ok('COPY INTO @SLUICE_STAGE/ur/a2/ FROM "UR"."T" INCLUDE_QUERY_ID = TRUE')
        self.assertEqual(self.stage_keys("sluice/ur/a2/"),
                         [f"sluice/ur/a2/data_{body['statementHandle']}_0_0_0.csv.gz"])
        # "A failed unload operation can still result in unloaded data files"
        self.sf.faults({"op": "unload", "action": "error", "code": "000630",
                        "message": "Statement reached its statement or warehouse timeout"})
        status, _, body = self.submit('COPY INTO @SLUICE_STAGE/ur/a3/ FROM "UR"."T" '
                                      "INCLUDE_QUERY_ID = TRUE")
        self.assertEqual((status, body["code"]), (422, "000630"))
        self.assertEqual(self.stage_keys("sluice/ur/a3/"),
                         [f"sluice/ur/a3/data_{body['statementHandle']}_0_0_0.csv.gz"])

    # --- Time Travel by snapshot -------------------------------------------------------------

    def test_at_statement_reads_the_table_as_it_was(self):
        self.schema("AT")
        self.ok('CREATE TABLE "AT"."T" ("ID" INT, "V" VARCHAR, "TS" TIMESTAMP_NTZ)')
        self.ok("INSERT INTO \"AT\".\"T\" VALUES (1, 'a', '2024-01-01 00:00:00.000000001'), "
                "(2, 'b', NULL), (3, 'c', NULL)")
        h_sel = self.ok('SELECT COUNT(*) FROM "AT"."T"')["statementHandle"]
        moment = self.ok("SELECT TO_VARCHAR(CURRENT_TIMESTAMP(), "
                         "'YYYY-MM-DD HH24:MI:SS.FF6 TZH:TZM')")["data"][0][0]
        h_upd = self.ok("UPDATE \"AT\".\"T\" SET \"V\" = 'changed' WHERE \"ID\" = 1")["statementHandle"]
        h_del = self.ok('DELETE FROM "AT"."T" WHERE "ID" IN (2, 3)')["statementHandle"]
        h_ins = self.ok("INSERT INTO \"AT\".\"T\" VALUES (4, 'd', NULL)")["statementHandle"]
        rows = lambda sql: self.ok(sql)["data"]  # noqa: E731
        old = [["1", "a"], ["2", "b"], ["3", "c"]]
        q = 'SELECT "ID", "V" FROM "AT"."T" {} ORDER BY "ID"'
        self.assertEqual(rows(q.format(f"AT(STATEMENT => '{h_sel}')")), old)
        self.assertEqual(rows(q.format(f"BEFORE(STATEMENT => '{h_upd}')")), old)
        self.assertEqual(rows(q.format(f"AT(STATEMENT => '{h_upd}') AS x")),
                         [["1", "changed"], ["2", "b"], ["3", "c"]])
        self.assertEqual(rows(q.format(f"BEFORE(STATEMENT => '{h_ins}')")), [["1", "changed"]])
        self.assertEqual(rows(q.format(f"AT(STATEMENT => '{h_ins}')")),
                         [["1", "changed"], ["4", "d"]])
        self.assertEqual(rows(q.format(f"AT(TIMESTAMP => '{moment}'::TIMESTAMP_LTZ)")), old)
        # a bound handle; the current table beside the old one; two points (at-before's example
        # of the rows a statement removed)
        self.assertEqual(self.ok('SELECT COUNT(*) FROM "AT"."T" AT(STATEMENT => ?)',
                                 bindings={"1": {"type": "TEXT", "value": h_sel}})["data"], [["3"]])
        self.assertEqual(rows(f'SELECT (SELECT COUNT(*) FROM "AT"."T" AT(STATEMENT => \'{h_sel}\')), '
                              '(SELECT COUNT(*) FROM "AT"."T")'), [["3", "2"]])
        self.assertEqual(rows(f'SELECT oldt."ID" FROM "AT"."T" BEFORE(STATEMENT => \'{h_del}\') AS oldt '
                              f'FULL OUTER JOIN "AT"."T" AT(STATEMENT => \'{h_del}\') AS newt '
                              'ON oldt."ID" = newt."ID" WHERE newt."ID" IS NULL ORDER BY 1'),
                         [["2"], ["3"]])
        # the old rows unloaded, nanoseconds and all
        self.ok(f'COPY INTO @SLUICE_STAGE/at/ FROM (SELECT "ID", "V", TO_VARCHAR("TS", '
                f'\'YYYY-MM-DD HH24:MI:SS.FF9\') FROM "AT"."T" AT(STATEMENT => \'{h_sel}\') '
                "ORDER BY \"ID\") FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE)")
        self.assertEqual(self.stage_file("sluice/at/data_0_0_0.csv").decode(),
                         "1,a,2024-01-01 00:00:00.000000001\n2,b,\\N\n3,c,\\N\n")
        # a restore from an old point, as INSERT ... SELECT
        self.ok(f'INSERT INTO "AT"."T" SELECT * FROM "AT"."T" BEFORE(STATEMENT => \'{h_del}\') '
                'WHERE "ID" IN (2, 3)')
        self.assertEqual(rows(q.format("")), [["1", "changed"], ["2", "b"], ["3", "c"], ["4", "d"]])
        # unknown and forgotten points
        status, _, body = self.submit(q.format("AT(STATEMENT => '01000000-0000-0000-0000-000000000000')"))
        self.assertEqual((status, body["code"]), (422, "000709"))
        for _ in range(20):  # more statements than the emulator keeps points of (16)
            self.ok('SELECT 1')
        status, _, body = self.submit(q.format(f"AT(STATEMENT => '{h_sel}')"))
        self.assertEqual((status, body["code"]), (422, "000707"))
        self.assertTrue(body["message"].startswith("Time travel data is not available for table T"))

    def test_partition_sizes_are_the_bodies_served(self):
        body = self.ok("select g as n, repeat('y', 30) as pad from generate_series(1, 2500) g")
        info = body["resultSetMetaData"]["partitionInfo"]
        self.assertEqual([p["rowCount"] for p in info], [1000, 1000, 500])
        self.assertNotIn("compressedSize", info[0])
        h = body["statementHandle"]
        for k in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", self.sf.port, timeout=30)
            try:
                conn.request("GET", f"/api/v2/statements/{h}?partition={k}", headers={
                    "Authorization": f"Bearer {self.token()}", "User-Agent": "t/1",
                    "Accept": "application/json"})
                r = conn.getresponse()
                raw = r.read()
                self.assertEqual((r.status, r.getheader("Content-Encoding")), (200, "gzip"))
            finally:
                conn.close()
            plain = gzip.decompress(raw)
            self.assertEqual(len(plain), info[k]["uncompressedSize"])
            if k:
                self.assertEqual(len(raw), info[k]["compressedSize"])
            part = json.loads(plain)
            self.assertEqual(list(part), ["data"])
            self.assertEqual(len(part["data"]), info[k]["rowCount"])
            if k == 0:
                self.assertEqual(part["data"], body["data"])
    def test_copy_into_snowflake_typed_columns(self):
        self.schema("CY")
        self.ok('CREATE TABLE "CY"."L" ("ID" NUMBER(38,0), "TS" TIMESTAMP_NTZ, "TZ" TIMESTAMP_TZ, '
                '"B" BINARY, "AT" TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP())')
        self.put_zst("sluice/cy/a.tsv.zst",
                     "1\t2024-01-05 10:11:12\t2024-01-05 10:11:12.5 +01:00\tdeadbeef\n"
                     "2\t2024-01-05T10:11:12.123456789\t2024-01-05 10:11:12\t\n")
        fmt = ("FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = '\\t' COMPRESSION = ZSTD "
               "ESCAPE_UNENCLOSED_FIELD = NONE)")
        copy = 'COPY INTO "CY"."L" ("ID", "TS", "TZ", "B") FROM @SLUICE_STAGE/cy/ FILES = ({}) ' + fmt
        self.assertEqual(self.ok(copy.format("'a.tsv.zst'"))["data"][0][1:4], ["LOADED", "2", "2"])
        # a TIMESTAMP_TZ without an offset takes the session's (America/Los_Angeles: -08:00)
        self.assertEqual(self.ok('SELECT "ID", "TS", "TZ", "B", "AT" IS NOT NULL FROM "CY"."L" '
                                 'ORDER BY 1')["data"],
                         [["1", "1704449472.000000000", "1704445872.500000000 1500", "DEADBEEF", "true"],
                          ["2", "1704449472.123456789", "1704478272.000000000 960", None, "true"]])
        self.put_zst("sluice/cy/bad.tsv.zst", "3\tnope\t\t\n")
        status, _, body = self.submit(copy.format("'bad.tsv.zst'"))
        self.assertEqual((status, body["code"]), (422, "100035"))
        self.assertTrue(body["message"].startswith(
            "Timestamp 'nope' is not recognized\n  File 's3://stage/sluice/cy/bad.tsv.zst', line 1"),
            body["message"])
        # an unload of a bound range
        body = self.ok('COPY INTO @SLUICE_STAGE/cy/u/ FROM (SELECT "ID", TO_VARCHAR("TS", '
                       '\'YYYY-MM-DD HH24:MI:SS.FF9\') FROM "CY"."L" WHERE "ID" BETWEEN ? AND ?) '
                       'FILE_FORMAT = (COMPRESSION = NONE)',
                       bindings={"1": {"type": "FIXED", "value": "2"},
                                 "2": {"type": "FIXED", "value": "9"}})
        self.assertEqual(body["data"][0][0], "1")
        self.assertEqual(self.stage_file("sluice/cy/u/data_0_0_0.csv"),
                         b"2,2024-01-05 10:11:12.123456789\n")

if __name__ == "__main__":
    unittest.main()

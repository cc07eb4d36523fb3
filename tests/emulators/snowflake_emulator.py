#!/usr/bin/python3
"""A Snowflake SQL API (v2) emulator for sluice's tests, speaking HTTP as
/work/shared/docs/snowflake-sql-api.md describes it and executing the statements on a real
PostgreSQL (psycopg2), with COPY INTO reading staged files from the S3 emulator's storage.

Endpoints: POST /api/v2/statements[?requestId=&async=&retry=&nullable=],
GET /api/v2/statements/<handle>[?partition=N], POST /api/v2/statements/<handle>/cancel.

Authentication: Authorization: Bearer <token> with X-Snowflake-Authorization-Token-Type
KEYPAIR_JWT (RS256 verified against the user's registered public key with python3-jwt; iss =
ACCOUNT.USER.SHA256:<fingerprint>, sub = ACCOUNT.USER, exp in the future, exp - iat <= 3600 s),
OAUTH or PROGRAMMATIC_ACCESS_TOKEN (tokens listed in the config). Failures: 401 390144 (JWT),
390303 (OAuth). A User-Agent is required; POST bodies must be application/json.

Behaviour: each request runs in its own PostgreSQL session; without async=true the server waits up
to sync_wait_seconds (45 in Snowflake, shortened in tests) and then answers 202 333334; results are
jsonv2 (sf_results.py), split into partitions of rows_per_partition rows: partition 0 inline with
partitionInfo for every partition (rowCount, uncompressedSize and, from partition 1 on,
compressedSize: the sizes of the bodies ?partition=N serves), ?partition=N always gzip-compressed
with only {"data": ...}; requestId + retry=true returns the earlier statement instead of running it
again; MULTI_STATEMENT_COUNT is enforced; BEGIN/COMMIT/USE/ALTER SESSION only inside
multi-statement requests (else 422 391911), PUT/GET never; DML answers count rows and stats; COPY
INTO <table> answers per-file rows and keeps load metadata (sf_copy.py). A request's "parameters"
TIMEZONE (default America/Los_Angeles) and *_OUTPUT_FORMAT apply to TO_VARCHAR and unloading; a
jsonv2 value those formats would change is refused (001003) rather than formatted.

Config (JSON): {"account": "MYORG-MYACCT", "users": [{"name": "LOADER", "public_keys": [PEM, ...]}],
"oauth_tokens": [...], "pat_tokens": [...], "pg_dsn": "...", "s3_root": DIR,
"stages": {"NAME": "s3://bucket/prefix/"}, "sync_wait_seconds": 45, "rows_per_partition": 1000,
"time_travel_snapshots": 16}. The PostgreSQL role must be a superuser (sf_types.py).

Fault ops: "submit", "status", "cancel" (HTTP level: delay, error with status 429/500/503/504,
drop_before, drop_after), "execute" (delay = the statement itself runs that much longer; match
is searched in the statement text) and "unload" (COPY INTO <location>; match searched in the
statement): "retry" = an internal retry: a first attempt's file (the first file's rows, named as
another thread's, data_0_1_0...) is left beside the real files, which alone the result lists
(copy-into-location, OVERWRITE: "writes additional files to the stage without first removing any
files that were previously written by the first attempt"); with INCLUDE_QUERY_ID = TRUE it is
removed again ("removes any files that were written to the stage with the UUID of the current query
ID"); "error" = the statement fails (code/message of the rule, default 000603) after writing its
first file, which stays ("A failed unload operation can still result in unloaded data files").
Control: GET /_emulator/statements (every statement: handle, requestId, sql, status, executions,
children, unload_files, unload_strays, created_on and finished_on in ms since the epoch), POST /_emulator/users {"name", "public_key"},
POST /_emulator/time_travel {"retention_seconds": N | null} (Time Travel older than N seconds
answers 000707; null: kept forever). Submits are logged with their bindings.

Warehouse operations: INFORMATION_SCHEMA.COLUMNS/TABLES with Snowflake's upper-case names, `?` and
`:n` bindings, AUTOINCREMENT, TRANSIENT/TEMPORARY and CREATE OR REPLACE tables, MINUS.

Types (sf_types.py): columns are declared with Snowflake's types (NUMBER(p,s) and its synonyms,
FLOAT and its synonyms, VARCHAR(n)/STRING/TEXT/CHAR(n), BINARY(n)/VARBINARY, BOOLEAN, DATE, TIME(p),
DATETIME/TIMESTAMP(p) = TIMESTAMP_NTZ(p), TIMESTAMP_NTZ/LTZ/TZ(p), VARIANT, OBJECT, ARRAY) and
INFORMATION_SCHEMA.COLUMNS and rowType report them as Snowflake does (TIMESTAMPTZ alone stays
PostgreSQL's timestamptz, an LTZ instant). TIME and TIMESTAMP_* keep 9 fractional digits and
TIMESTAMP_TZ each value's offset; jsonv2 encodes them as handling-responses documents. Functions:
TO_VARCHAR/TO_CHAR (dates and times by Snowflake format elements FF0-FF9, TZH:TZM, ...; NUMBER TM9;
FLOAT TME, the documented default, which reads back exactly; BINARY HEX/BASE64/UTF-8; VARIANT),
HEX_ENCODE, TO_JSON, PARSE_JSON, TO_BINARY, TO_DATE, TO_TIME, TO_TIMESTAMP[_NTZ|_LTZ|_TZ] of one
argument, DATE_TRUNC, MIN/MAX. Limits: text inserted into a VARIANT is parsed as JSON (Snowflake
makes it a string: use PARSE_JSON); integer division is PostgreSQL's.

Unloading (sf_unload.py): COPY INTO { @stage[/path/][prefix_] | 's3://bucket/path/' } FROM
{ table | (query) } [FILE_FORMAT = (TYPE = CSV ...)] [OVERWRITE, SINGLE, MAX_FILE_SIZE,
INCLUDE_QUERY_ID, DETAILED_OUTPUT, HEADER]: CSV files in the S3 emulator's storage, named
data_0_0_<n>.csv.gz (.csv.zst for ZSTD, .csv.bz2 for BZ2, .csv for NONE; data_<query id>_0_0_<n>
with INCLUDE_QUERY_ID); the result is either file_name, file_size, row_count per file
(DETAILED_OUTPUT = TRUE) or rows_unloaded, input_bytes, output_bytes (the names Snowflake's Snowpark
reference gives; the SQL reference describes these columns only in words). What the documentation
leaves open is refused with 000002 (see sf_unload.py).

Time Travel (sf_timetravel.py): t AT | BEFORE (STATEMENT => id) reads the table at an exported
PostgreSQL snapshot of that point (any statement of a single-statement request; BEFORE of DML),
also inside COPY INTO <location>; AT | BEFORE (TIMESTAMP => '<literal>'[::type]) the newest point
at or before it; OFFSET and other TIMESTAMP expressions are refused. The time_travel_snapshots
least recently used points are kept, an older one answers 000707; the rows a DELETE removed are
also kept, so BEFORE that DELETE works when its snapshot is gone (current rows plus those).
"""

import argparse
import base64
import datetime
import decimal
import gzip
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import uuid
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jwt  # noqa: E402  (python3-jwt)
import psycopg2  # noqa: E402
import psycopg2.errors  # noqa: E402
import psycopg2.extras  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

import emucommon  # noqa: E402
import sf_copy  # noqa: E402
import sf_sql  # noqa: E402
import sf_timetravel  # noqa: E402
import sf_types  # noqa: E402
import sf_unload  # noqa: E402
from s3store import Store  # noqa: E402
from sf_results import column, encode_rows, row_type_from_cursor  # noqa: E402
from sf_sql import SqlError  # noqa: E402

# VARIANT values keep their numbers exactly (Decimal for fractions), see sf_types.load_json.
psycopg2.extras.register_default_jsonb(globally=True, loads=sf_types.load_json)
psycopg2.extras.register_default_json(globally=True, loads=sf_types.load_json)

RUNNING_MESSAGE = ("Asynchronous execution in progress. Use provided query id to perform query "
                   "monitoring and management.")


def new_handle() -> str:
    h = uuid.uuid4().hex
    return f"01{h[:6]}-0000-{h[6:10]}-0000-{h[10:22]}"


def fingerprint(public_key) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class Statement:
    def __init__(self, request_id, sql, params, body, user):
        self.handle = new_handle()
        self.request_id = request_id
        self.sql = sql
        self.params = params
        self.body = body
        self.user = user
        self.created_on = int(time.time() * 1000)
        self.finished_on = None  # when it ended (ms since the epoch): what benchmarks add up
        self.status = "running"  # running | success | failed | cancelled | timeout
        self.result = None       # {"row_type", "rows", "stats", "statement_handles"}
        self.error = None        # SqlError
        self.done = threading.Event()
        self.cancel_event = threading.Event()
        self.conn = None
        self.executions = 0
        self.timeout = 0
        self.nullable = True
        self.timed_out = False
        self.children = []
        self.snapshot_after = False   # export this statement's Time Travel point when it succeeds
        self.snapshot_before = None   # (conn, snapshot id, at) of the point before it
        self.unload_files = []        # COPY INTO <location>: the files it wrote
        self.unload_strays = []       # ... and the retried attempt's left behind (fault "retry")
        self.partitions = None        # [(body, gzip body)] of each result partition

    @property
    def status_url(self):
        return f"/api/v2/statements/{self.handle}?requestId={self.request_id}"


class GzipBody:
    """A response body already gzip-compressed (a result partition)."""

    def __init__(self, data: bytes):
        self.data = data


class AuthFailure(Exception):
    def __init__(self, status, code, message, reason):
        super().__init__(reason)
        self.status, self.code, self.message, self.reason = status, code, message, reason


class SnowflakeEmulator(emucommon.Emulator):
    def __init__(self, args):
        super().__init__(args)
        with open(args.config) as f:
            cfg = json.load(f)
        self.account = cfg["account"].upper()
        self.lock = threading.Lock()
        self.users = {}
        for u in cfg.get("users", []):
            for pem in u.get("public_keys", []):
                self.add_user_key(u["name"], pem)
        self.oauth_tokens = set(cfg.get("oauth_tokens", []))
        self.pat_tokens = set(cfg.get("pat_tokens", []))
        self.pg_dsn = cfg["pg_dsn"]
        self.store = Store(cfg["s3_root"]) if cfg.get("s3_root") else None
        self.config_stages = {k.upper(): v for k, v in cfg.get("stages", {}).items()}
        self.sync_wait = float(cfg.get("sync_wait_seconds", 45))
        self.rows_per_partition = int(cfg.get("rows_per_partition", 1000))
        self.statements = {}
        self.by_request_id = {}
        self.retention_seconds = None  # Time Travel retention; None: forever (the test's lifetime)
        self.snapshots = sf_timetravel.Registry(cfg.get("time_travel_snapshots", 16))
        self.domains_known = set()
        self.own_types = {}
        self._prepare_database()

    def _prepare_database(self):
        conn = psycopg2.connect(self.pg_dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(727001)")
            cur.execute("CREATE SCHEMA IF NOT EXISTS _sfemu")
            cur.execute("CREATE TABLE IF NOT EXISTS _sfemu.load_history (table_oid oid, file text, "
                        "etag text, loaded_at timestamptz DEFAULT now())")
            cur.execute("CREATE TABLE IF NOT EXISTS _sfemu.stages (name text PRIMARY KEY, url text)")
            # Time Travel: per DELETE statement, the rows it deleted (see _capture_delete).
            cur.execute("CREATE TABLE IF NOT EXISTS _sfemu.time_travel (handle text PRIMARY KEY, "
                        "table_oid oid, snapshot text, at timestamptz DEFAULT clock_timestamp())")
            # When each table was created through the emulator (Time Travel before it fails).
            cur.execute("CREATE TABLE IF NOT EXISTS _sfemu.table_created (table_oid oid PRIMARY KEY, "
                        "at timestamptz NOT NULL)")
            cur.execute("CREATE TABLE IF NOT EXISTS _sfemu.meta (key text PRIMARY KEY, value text)")
            cur.execute("SELECT value FROM _sfemu.meta WHERE key = 'types'")
            row = cur.fetchone()
            if not row or row[0] != sf_types.INSTALL_VERSION:
                self._install_types(cur)
                cur.execute("INSERT INTO _sfemu.meta VALUES ('types', %s) ON CONFLICT (key) DO "
                            "UPDATE SET value = EXCLUDED.value", (sf_types.INSTALL_VERSION,))
            cur.execute("SELECT t.oid, t.typname FROM pg_type t JOIN pg_namespace n ON "
                        "n.oid = t.typnamespace WHERE n.nspname = '_sfemu' AND t.typtype = 'b' AND "
                        "t.typname = ANY(%s)", (list(sf_types.KIND_OF_BASE),))
            self.own_types = {oid: sf_types.KIND_OF_BASE[name] for oid, name in cur.fetchall()}
            # INFORMATION_SCHEMA as Snowflake shows it: names PostgreSQL folded to lower case
            # appear upper case (what an unquoted name means to Snowflake).
            cur.execute("CREATE OR REPLACE FUNCTION _sfemu.sfname(text) RETURNS text LANGUAGE sql "
                        "IMMUTABLE AS $$ SELECT CASE WHEN $1 = lower($1) THEN upper($1) ELSE $1 END $$")
            hidden = ("table_schema NOT IN ('pg_catalog', 'information_schema', '_sfemu') AND "
                      "table_schema NOT LIKE 'pg\\_%'")
            # Types as Snowflake's COLUMNS view reports them
            # (https://docs.snowflake.com/en/sql-reference/info-schema/columns): DATA_TYPE "shows
            # the standard Snowflake data type of the column" (NUMBER, FLOAT, TEXT, BINARY,
            # BOOLEAN, DATE, TIME, TIMESTAMP_NTZ/LTZ/TZ, VARIANT, OBJECT, ARRAY);
            # CHARACTER_MAXIMUM_LENGTH "Maximum length in characters of string columns" (a VARCHAR
            # without one is 16777216 long; BINARY columns report theirs too);
            # CHARACTER_OCTET_LENGTH "Maximum length in bytes of string columns" (4 bytes a
            # character up to 16777216, as the SQL API's byteLength); NUMERIC_PRECISION /
            # NUMERIC_PRECISION_RADIX / NUMERIC_SCALE of NUMBER columns (38, 10, 0 for the integer
            # types, which are NUMBER(38,0)); DATETIME_PRECISION "Not applicable for Snowflake.":
            # NULL (a TIME/TIMESTAMP column's precision is its rowType scale in a result). A
            # column's declared type is the name of its domain in _sfemu (sf_types.py); a table
            # made with PostgreSQL's own types reads as the closest Snowflake type.
            cur.execute(r"""CREATE OR REPLACE FUNCTION _sfemu.column_type(dom_schema text,
              dom_name text, pg_type text, udt_name text, char_len int, num_prec int, num_scale int,
              OUT data_type text, OUT character_maximum_length bigint,
              OUT character_octet_length bigint, OUT numeric_precision bigint,
              OUT numeric_precision_radix bigint, OUT numeric_scale bigint)
            LANGUAGE plpgsql STABLE AS $$
            DECLARE m text[]; n bigint;
            BEGIN
              IF dom_schema = '_sfemu' THEN
                m := regexp_match(dom_name, '^([A-Z_]+)(?:\((\d+)(?:,(\d+))?\))?$');
              ELSIF udt_name IN ('sftime', 'sfntz', 'sfltz', 'sftz', 'sfbinary') THEN
                m := ARRAY[CASE udt_name WHEN 'sftime' THEN 'TIME' WHEN 'sfntz' THEN 'TIMESTAMP_NTZ'
                  WHEN 'sfltz' THEN 'TIMESTAMP_LTZ' WHEN 'sftz' THEN 'TIMESTAMP_TZ' ELSE 'BINARY' END,
                  NULL, NULL];
              ELSE
                m := ARRAY[CASE WHEN pg_type IN ('character varying', 'character', 'text') THEN 'TEXT'
                  WHEN pg_type IN ('numeric', 'smallint', 'integer', 'bigint') THEN 'NUMBER'
                  WHEN pg_type IN ('double precision', 'real') THEN 'FLOAT'
                  WHEN pg_type = 'timestamp without time zone' THEN 'TIMESTAMP_NTZ'
                  WHEN pg_type = 'timestamp with time zone' THEN 'TIMESTAMP_TZ'
                  WHEN pg_type = 'bytea' THEN 'BINARY' WHEN pg_type IN ('json', 'jsonb') THEN 'VARIANT'
                  WHEN pg_type LIKE 'time %' THEN 'TIME' ELSE upper(pg_type) END];
                IF m[1] = 'TEXT' THEN m := m || coalesce(char_len, 16777216)::text; END IF;
                IF m[1] = 'NUMBER' THEN
                  m := m || coalesce(CASE WHEN pg_type = 'numeric' THEN num_prec END, 38)::text
                         || coalesce(CASE WHEN pg_type = 'numeric' THEN num_scale END, 0)::text;
                END IF;
              END IF;
              data_type := CASE m[1] WHEN 'VARCHAR' THEN 'TEXT' ELSE m[1] END;
              IF data_type = 'TEXT' THEN
                n := m[2]::bigint; character_maximum_length := n;
                character_octet_length := CASE WHEN n <= 16777216 THEN least(n * 4, 16777216) ELSE n END;
              ELSIF data_type = 'BINARY' THEN
                n := coalesce(m[2]::bigint, 8388608);
                character_maximum_length := n; character_octet_length := n;
              ELSIF data_type = 'NUMBER' THEN
                numeric_precision := m[2]::bigint; numeric_precision_radix := 10;
                numeric_scale := m[3]::bigint;
              END IF;
            END $$""")
            # Dropped first: OR REPLACE cannot change a view's columns (a database an older
            # emulator prepared).
            cur.execute("DROP VIEW IF EXISTS _sfemu.information_schema_columns")
            cur.execute("CREATE VIEW _sfemu.information_schema_columns AS SELECT "
                        "_sfemu.sfname(table_catalog::text) AS table_catalog, "
                        "_sfemu.sfname(table_schema::text) AS table_schema, "
                        "_sfemu.sfname(table_name::text) AS table_name, "
                        "_sfemu.sfname(column_name::text) AS column_name, "
                        "ordinal_position::bigint AS ordinal_position, t.data_type, "
                        "t.character_maximum_length, t.character_octet_length, t.numeric_precision, "
                        "t.numeric_precision_radix, t.numeric_scale, NULL::bigint AS "
                        "datetime_precision, is_nullable::text AS is_nullable, column_default::text "
                        "AS column_default FROM information_schema.columns c, LATERAL "
                        "_sfemu.column_type(c.domain_schema::text, c.domain_name::text, "
                        "c.data_type::text, c.udt_name::text, c.character_maximum_length::int, "
                        "c.numeric_precision::int, c.numeric_scale::int) t WHERE " + hidden)
            cur.execute("CREATE OR REPLACE VIEW _sfemu.information_schema_tables AS SELECT "
                        "_sfemu.sfname(table_catalog::text) AS table_catalog, "
                        "_sfemu.sfname(table_schema::text) AS table_schema, "
                        "_sfemu.sfname(table_name::text) AS table_name, "
                        "CASE table_type WHEN 'LOCAL TEMPORARY' THEN 'TEMPORARY TABLE' ELSE "
                        "table_type::text END AS table_type FROM information_schema.tables WHERE " +
                        hidden)
            cur.execute("SELECT pg_advisory_unlock(727001)")
        conn.close()

    @staticmethod
    def _install_types(cur):
        """sf_types.install_statements(), each skipped if an earlier emulator made it already."""
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cur.fetchone()[0]:
            raise SystemExit("the Snowflake emulator's PostgreSQL role must be a superuser: its "
                             "TIME/TIMESTAMP/BINARY types reuse PostgreSQL's internal text I/O")
        for statement in sf_types.install_statements():
            cur.execute("BEGIN")
            try:
                cur.execute(statement)
            except psycopg2.Error as e:
                cur.execute("ROLLBACK")
                if e.pgcode in ("42710", "42723", "42P07", "42P06"):  # already exists
                    continue
                raise
            cur.execute("COMMIT")

    def _ensure_domains(self, types):
        """Creates the domains named after the column types a statement uses (sf_types)."""
        missing = {t.name(): t for t in types if t.name() not in self.domains_known}
        if not missing:
            return
        conn = psycopg2.connect(self.pg_dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(727002)")
                for name, t in missing.items():
                    cur.execute("SELECT 1 FROM pg_type ty JOIN pg_namespace n ON n.oid = "
                                "ty.typnamespace WHERE n.nspname = '_sfemu' AND ty.typname = %s",
                                (name,))
                    if not cur.fetchone():
                        cur.execute(f"CREATE DOMAIN {t.domain()} AS {t.domain_definition()}")
                cur.execute("SELECT pg_advisory_unlock(727002)")
        finally:
            conn.close()
        with self.lock:
            self.domains_known.update(missing)

    def add_user_key(self, name, pem):
        key = serialization.load_pem_public_key(pem.encode())
        with self.lock:
            self.users.setdefault(name.upper(), []).append((fingerprint(key), key))

    def control(self, method, path, query, body):
        if path == "/_emulator/statements" and method == "GET":
            with self.lock:
                sts = list(self.statements.values())
            return 200, {"statements": [
                {"handle": s.handle, "requestId": s.request_id, "sql": s.sql, "status": s.status,
                 "executions": s.executions, "children": [c.handle for c in s.children],
                 "unload_files": s.unload_files, "unload_strays": s.unload_strays,
                 "created_on": s.created_on, "finished_on": s.finished_on}
                for s in sts]}
        if path == "/_emulator/time_travel" and method == "POST":
            # {"retention_seconds": N}: Time Travel data older than N seconds is past retention
            # (0: everything is); null: kept forever.
            value = json.loads(body or b"{}").get("retention_seconds")
            self.retention_seconds = None if value is None else float(value)
            return 200, {"retention_seconds": self.retention_seconds}
        if path == "/_emulator/users" and method == "POST":
            u = json.loads(body)
            self.add_user_key(u["name"], u["public_key"])
            return 200, {"ok": True}
        return None

    # --- authentication ---------------------------------------------------------------------

    def authenticate(self, headers) -> dict:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise AuthFailure(400, "390146", "Missing or malformed authorization header.",
                              "no bearer token")
        token = auth[7:].strip()
        kind = headers.get("X-Snowflake-Authorization-Token-Type") or \
            ("KEYPAIR_JWT" if token.count(".") == 2 else "OAUTH")
        ref = uuid.uuid4()
        if kind == "KEYPAIR_JWT":
            return self._verify_jwt(token, ref)
        if kind == "OAUTH":
            if token in self.oauth_tokens:
                return {"token_type": kind}
            raise AuthFailure(401, "390303", f"Invalid OAuth access token. [{ref}]", "unknown OAuth token")
        if kind == "PROGRAMMATIC_ACCESS_TOKEN":
            if token in self.pat_tokens:
                return {"token_type": kind}
            raise AuthFailure(401, "390144", f"Programmatic access token is invalid. [{ref}]",
                              "unknown programmatic access token")
        raise AuthFailure(400, "390146", f"Unsupported authorization token type {kind}.",
                          f"token type {kind}")

    def _verify_jwt(self, token, ref) -> dict:
        def fail(reason):
            raise AuthFailure(401, "390144", f"JWT token is invalid. [{ref}]", reason)
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as e:
            fail(f"malformed: {e}")
        if header.get("alg") != "RS256":
            fail(f"alg {header.get('alg')}")
        sub, iss = claims.get("sub", ""), claims.get("iss", "")
        account, _, user = sub.partition(".")
        if account != self.account:
            fail(f"sub account {account!r} is not {self.account!r}")
        with self.lock:
            keys = list(self.users.get(user, []))
        if not keys or user != user.upper():
            fail(f"unknown user {user!r}")
        key = next((k for fp, k in keys if iss == f"{self.account}.{user}.{fp}"), None)
        if key is None:
            fail("iss is not ACCOUNT.USER.SHA256:<fingerprint of a registered key>")
        try:
            verified = jwt.decode(token, key=key, algorithms=["RS256"], leeway=60,
                                  options={"require": ["iss", "sub", "iat", "exp"]})
        except jwt.ExpiredSignatureError:
            fail("expired")
        except jwt.ImmatureSignatureError:
            fail("issued in the future")
        except jwt.InvalidSignatureError:
            fail("bad signature")
        except jwt.PyJWTError as e:
            fail(str(e))
        if verified["exp"] - verified["iat"] > 3600:
            fail("lifetime over one hour")
        return {"token_type": "KEYPAIR_JWT", "user": user, "jwt_iat": verified["iat"],
                "jwt_exp": verified["exp"]}

    # --- execution --------------------------------------------------------------------------

    def start(self, st: Statement):
        st.executions += 1
        threading.Thread(target=self._run, args=(st,), daemon=True).start()

    def _run(self, st: Statement):
        purge, timer, conn = [], None, None
        try:
            rule = self.faults.take("execute", st.sql, {"delay"})
            if rule and st.cancel_event.wait(rule.delay_ms / 1000.0):
                raise psycopg2.errors.QueryCanceled("canceled while waiting")
            conn = psycopg2.connect(self.pg_dsn, application_name="sfemu")
            conn.autocommit = True
            st.conn = conn
            if st.timeout > 0:
                def expire():
                    if not st.done.is_set():
                        st.timed_out = True
                        st.cancel_event.set()
                        conn.cancel()
                timer = threading.Timer(st.timeout, expire)
                timer.start()
            if st.cancel_event.is_set():
                raise psycopg2.errors.QueryCanceled("canceled")
            st.result = self._execute_request(st, conn, purge)
            if self.store:
                for bucket, key in purge:
                    self.store.delete_object(bucket, key)
            st.status = "success"
        except (psycopg2.errors.QueryCanceled, SqlError, psycopg2.Error) as e:
            if st.cancel_event.is_set() or isinstance(e, psycopg2.errors.QueryCanceled):
                st.status = "timeout" if st.timed_out else "cancelled"
            elif isinstance(e, SqlError):
                st.error, st.status = e, "failed"
            else:
                st.error = SqlError("000603", e.pgcode or "XX000",
                                    f"SQL execution internal error:\n{e}".strip())
                st.status = "failed"
        except Exception as e:  # an emulator bug: report it as an internal error
            st.error = SqlError("000603", "XX000", f"emulator error: {e!r}")
            st.status = "failed"
            raise
        finally:
            if timer:
                timer.cancel()
            st.conn = None
            if conn is not None and st.status == "success" and st.snapshot_after:
                # the session becomes the snapshot of this statement (sf_timetravel.py)
                try:
                    sid, at = sf_timetravel.export(conn)
                    self.snapshots.add(st.handle, "after", conn, sid, at)
                    conn = None
                except psycopg2.Error:
                    pass
            if st.snapshot_before is not None:
                if st.status == "success":
                    self.snapshots.add(st.handle, "before", *st.snapshot_before)
                else:
                    sf_timetravel._close(st.snapshot_before[0])
                st.snapshot_before = None
            if conn is not None:
                try:  # an open transaction ends with the session: rolled back
                    if conn.get_transaction_status() in (
                            psycopg2.extensions.TRANSACTION_STATUS_INTRANS,
                            psycopg2.extensions.TRANSACTION_STATUS_INERROR):
                        with conn.cursor() as cur:
                            cur.execute("ROLLBACK")
                except psycopg2.Error:
                    pass
                conn.close()
            st.finished_on = int(time.time() * 1000)
            st.done.set()

    def _execute_request(self, st: Statement, conn, purge):
        statements = sf_sql.split_statements(st.sql)
        if not statements:
            raise SqlError("000900", "42000", "Empty SQL statement.", 400)
        want = int(str((st.params or {}).get("MULTI_STATEMENT_COUNT", "1")))
        if want != 0 and want != len(statements):
            raise SqlError("000008", "0A000", f"Actual statement count {len(statements)} did not "
                                              f"match the desired statement count {want}.")
        session = {"schema": st.body.get("schema"), "txn": False, "params": st.params or {}}
        with conn.cursor() as cur:
            self._use_schema(cur, session["schema"])
            self._set_parameters(cur, session["params"])
            if len(statements) == 1 and want == 1:
                return self._execute_one(cur, statements[0], st.body.get("bindings"), False,
                                         session, purge, st.handle, st)
            if st.body.get("bindings"):
                raise SqlError("000002", "0A000", "Unsupported feature 'Binding in multi-statement "
                                                  "requests'.")
            for index, sql in enumerate(statements, start=1):
                child = Statement(st.request_id, sql, {}, st.body, st.user)
                child.executions = 1
                st.children.append(child)
                with self.lock:
                    self.statements[child.handle] = child
                try:
                    child.result = self._execute_one(cur, sql, None, True, session, purge,
                                                     child.handle, child)
                    child.status = "success"
                except SqlError as e:
                    child.error, child.status = e, "failed"
                    child.done.set()
                    raise SqlError("100132", "P0000", f"Uncaught exception of type "
                                                      f"'STATEMENT_ERROR' on line {index} at "
                                                      f"position 0 : {e.message}")
                child.done.set()
            return {"row_type": [column("multiple statement execution", "text", nullable=False)],
                    "rows": [["Multiple statements executed successfully."]],
                    "statement_handles": [c.handle for c in st.children]}

    def _use_schema(self, cur, schema):
        if not schema:
            cur.execute("SET search_path TO public")
            return
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname IN (%s, %s) ORDER BY "
                    "nspname = %s DESC", (schema, schema.lower(), schema))
        row = cur.fetchone()
        cur.execute("SET search_path TO " + ('"' + (row[0] if row else schema).replace('"', '""') +
                                             '"') + ", public")

    # Session parameters a request may set (https://docs.snowflake.com/en/developer-guide/sql-api/
    # handling-responses, "Formatting the output of query results": BINARY_OUTPUT_FORMAT,
    # DATE_OUTPUT_FORMAT, TIME_OUTPUT_FORMAT, TIMESTAMP_LTZ/NTZ/TZ_OUTPUT_FORMAT,
    # TIMESTAMP_OUTPUT_FORMAT, TIMEZONE). They apply to TO_VARCHAR and to unloading (AUTO formats);
    # jsonv2 values formatted by them are refused (see _check_output_formats).
    OUTPUT_PARAMETERS = ("BINARY_OUTPUT_FORMAT", "DATE_OUTPUT_FORMAT", "TIME_OUTPUT_FORMAT",
                         "TIMESTAMP_LTZ_OUTPUT_FORMAT", "TIMESTAMP_NTZ_OUTPUT_FORMAT",
                         "TIMESTAMP_TZ_OUTPUT_FORMAT", "TIMESTAMP_OUTPUT_FORMAT")

    def _set_parameters(self, cur, params):
        # TIMEZONE's default is America/Los_Angeles (the parameters reference); PostgreSQL's
        # TimeZone is set to it, which is how LTZ values and CURRENT_TIMESTAMP() read.
        tz = str(params.get("TIMEZONE", "America/Los_Angeles"))
        try:
            cur.execute("SELECT set_config('TimeZone', %s, false)", (tz,))
        except psycopg2.Error:
            raise SqlError("002002", "22023", f"Invalid value [{tz}] for parameter 'TIMEZONE'")
        for name in self.OUTPUT_PARAMETERS:
            cur.execute("SELECT set_config(%s, %s, false)",
                        ("sfemu." + name.lower(), str(params.get(name, ""))))

    def _attribute_info(self, cur):
        cache = {}

        def info(oid, attnum):
            if (oid, attnum) not in cache:
                cur.execute("SELECT NOT a.attnotnull, n.nspname, c.relname, tn.nspname, t.typname, "
                            "t.typtype FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON "
                            "t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace "
                            "WHERE a.attrelid = %s AND a.attnum = %s", (oid, attnum))
                row = cur.fetchone()
                if row:
                    declared = sf_types.from_domain(row[4]) if row[3] == "_sfemu" and \
                        row[5] == "d" else None
                    row = (row[0], row[1], row[2], declared)
                cache[(oid, attnum)] = row
            return cache[(oid, attnum)]
        return info

    def _normalizer(self, cur):
        def normalize(text, kind):
            cur.execute("SELECT _sfemu.dt_norm(%s, %s)", (text, kind))
            return cur.fetchone()[0]
        return normalize

    def _check_output_formats(self, params, row_type):
        affected = {"date": ("DATE_OUTPUT_FORMAT",), "time": ("TIME_OUTPUT_FORMAT",),
                    "binary": ("BINARY_OUTPUT_FORMAT",)}
        for k in ("ntz", "ltz", "tz"):
            affected["timestamp_" + k] = ("TIMESTAMP_OUTPUT_FORMAT", f"TIMESTAMP_{k.upper()}_OUTPUT_FORMAT")
        for c in row_type:
            for p in affected.get(c["type"], ()):
                if str(params.get(p) or ""):
                    raise sf_sql.unsupported(f"A jsonv2 result with the {p} parameter (values "
                                             f"formatted by output format parameters)")

    def _result_of(self, cur, params):
        description, rows = cur.description, cur.fetchall()  # before other queries
        row_type = row_type_from_cursor(description, self._attribute_info(cur), self.own_types)
        self._check_output_formats(params, row_type)
        return {"row_type": row_type, "rows": encode_rows(rows, row_type, self._normalizer(cur))}

    def _execute_one(self, cur, sql, bindings, in_multi, session, purge, handle, st=None):
        kind, detail = sf_sql.kind_of(sql)
        status_only = lambda text: {"row_type": [column("status", "text", nullable=False)],  # noqa
                                    "rows": [[text]]}
        if kind == "refused":
            if not in_multi or detail in ("PUT", "GET"):
                raise SqlError("391911", "0A000", f"Command not supported by SQL API: {detail}")
            if detail.startswith("TRANSACTION_"):
                verb = detail[len("TRANSACTION_"):]
                if verb == "BEGIN":
                    cur.execute("BEGIN")
                    session["txn"] = True
                else:
                    cur.execute(verb)
                    session["txn"] = False
                return status_only("Statement executed successfully.")
            if detail == "USE":
                m = re.match(r"\s*USE\s+(?:SCHEMA\s+)?(\"[^\"]+\"|[A-Za-z_][\w$]*)\s*$", sql, re.I)
                if m and not re.match(r"\s*USE\s+(WAREHOUSE|ROLE|DATABASE|SECONDARY)\b", sql, re.I):
                    name = m.group(1)
                    self._use_schema(cur, name[1:-1] if name.startswith('"') else name.upper())
                return status_only("Statement executed successfully.")
            return status_only("Statement executed successfully.")
        # Snapshots for Time Travel (sf_timetravel.py): statements of single-statement requests
        # outside an explicit transaction.
        snapshots = st is not None and not in_multi and not session["txn"]
        if kind == "copy" and sf_unload.is_unload(sql):
            if self.store is None:
                raise sf_sql.unsupported("COPY without an S3 emulator")
            result = self._unload(cur, sql, bindings, session, handle, st)
            if snapshots:
                st.snapshot_after = True
            return result
        if kind == "copy":
            if self.store is None:
                raise sf_sql.unsupported("COPY without an S3 emulator")
            stmt = sf_sql.parse_copy(sql)
            if snapshots:
                self._snapshot_before(st, session)
            result = self._guarded(cur, session, lambda: dict(zip(
                ("row_type", "rows"),
                sf_copy.execute_copy(cur, stmt, self.store, self._stage_url, purge))))
            if snapshots:
                st.snapshot_after = True
            return result
        if kind == "create_stage":
            return self._guarded(cur, session, lambda: self._create_stage(cur, sql))
        if kind == "drop_stage":
            m = re.match(r"\s*DROP\s+STAGE\s+(?:IF\s+EXISTS\s+)?(\S+)", sql, re.I)
            name = sf_sql.parse_stage_ref("@" + m.group(1))[0]
            cur.execute("DELETE FROM _sfemu.stages WHERE name = %s", (name,))
            return status_only(f"{name} successfully dropped.")
        if kind in ("list", "remove"):
            return self._stage_files(kind, sql)

        plan = self._plan_time_travel(cur, sql, bindings, session, in_multi)
        text, binds = plan["text"], plan["bindings"]
        domains = []
        pg = sf_sql.to_postgres(text, with_params=bool(binds), domains=domains)
        self._ensure_domains(domains)
        params = None
        if binds:
            params = self._bind(binds, sf_sql.placeholder_order(text))
        if plan["clauses"]:
            self._choose_time_travel(cur, plan, pg, params)
            pg = plan["pg"]
        ddl_table = sf_sql.ddl_table(sql) if kind == "ddl" else None

        def run():
            existed = False
            if ddl_table and ddl_table[0] == "CREATE":
                if ddl_table[2]:
                    cur.execute("DROP TABLE IF EXISTS " + sf_sql.to_postgres(ddl_table[1]))
                else:  # CREATE TABLE IF NOT EXISTS of a table there already creates nothing
                    cur.execute("SELECT to_regclass(%s)", (sf_sql.to_postgres(ddl_table[1]),))
                    existed = cur.fetchone()[0] is not None
            query = sf_sql.to_postgres(sf_sql.strip_or_replace(text), with_params=bool(binds)) \
                if ddl_table and ddl_table[2] else pg
            if plan["clauses"] and ddl_table and ddl_table[2]:
                query = plan["pg_replaced"]
            deleted_from = sf_sql.delete_target(sql) if kind == "dml" and detail == "DELETE" else None
            deleted_rows = None
            if isinstance(params, list) and params and isinstance(params[0], list):
                if deleted_from:
                    raise sf_sql.unsupported("DELETE with array bindings")
                cur.executemany(query, params)
            elif deleted_from:
                deleted_rows = self._capture_delete(cur, query, params,
                                                    sf_sql.to_postgres(deleted_from), handle)
            else:
                cur.execute(query, params)
            if kind == "query" or cur.description is not None:
                return self._result_of(cur, session["params"])
            if ddl_table:
                # a table's TIME/TIMESTAMP/BINARY columns are normalized when written (sf_types),
                # and its creation time bounds Time Travel
                rel = sf_sql.to_postgres(ddl_table[1])
                cur.execute("SELECT to_regclass(%s)", (rel,))
                if cur.fetchone()[0] is not None:
                    cur.execute("SELECT _sfemu.attach_normalizer(%s::regclass, %s)",
                                (rel, bool(ddl_table[3])))
                    if ddl_table[0] == "CREATE" and not existed:
                        cur.execute("INSERT INTO _sfemu.table_created VALUES (%s::regclass, "
                                    "clock_timestamp()) ON CONFLICT (table_oid) DO UPDATE SET "
                                    "at = EXCLUDED.at", (rel,))
            if kind == "dml":
                n = deleted_rows if deleted_rows is not None else max(cur.rowcount, 0)
                name = {"INSERT": "inserted", "UPDATE": "updated", "DELETE": "deleted"}.get(detail)
                if name is None:
                    raise sf_sql.unsupported(detail)
                cols = [column(f"number of rows {name}", "fixed", precision=19, nullable=False)]
                row = [str(n)]
                if detail == "UPDATE":
                    cols.append(column("number of multi-joined rows updated", "fixed",
                                       precision=19, nullable=False))
                    row.append("0")
                stats = {f"numRows{name.capitalize()}": n} if n else None
                return {"row_type": cols, "rows": [row], "stats": stats}
            return status_only(self._ddl_message(sql, cur.statusmessage))

        if snapshots and kind == "dml":
            self._snapshot_before(st, session)
        try:
            result = self._guarded(cur, session, run, snapshot=plan.get("snapshot"))
        finally:
            self._drop_time_travel_tables(cur, plan)
        if snapshots:
            st.snapshot_after = True
        return result

    def _snapshot_before(self, st, session):
        """The BEFORE(STATEMENT => st) point: exported by another session before st runs."""
        conn = psycopg2.connect(self.pg_dsn, application_name="sfemu-snapshot")
        conn.autocommit = True
        try:
            sid, at = sf_timetravel.export(conn)
        except psycopg2.Error:
            conn.close()
            return
        st.snapshot_before = (conn, sid, at)

    def _guarded(self, cur, session, fn, snapshot=None):
        """Runs one statement as Snowflake does: atomically (its own transaction unless an explicit
        one is open), PostgreSQL errors mapped to Snowflake's. snapshot: run in a transaction that
        imported that exported snapshot (Time Travel)."""
        explicit = session["txn"]
        if not explicit:
            if snapshot:
                cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                try:
                    cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
                except psycopg2.Error:
                    cur.execute("ROLLBACK")
                    raise SqlError("000707", "02000", "Time travel data is not available: the "
                                                      "snapshot is gone.")
            else:
                cur.execute("BEGIN")
        else:
            if snapshot:
                raise sf_sql.unsupported("Time Travel inside an explicit transaction")
            cur.execute("SAVEPOINT sfemu_statement")
        try:
            result = fn()
        except psycopg2.errors.QueryCanceled:
            raise
        except psycopg2.Error as e:
            cur.execute("ROLLBACK" if not explicit else "ROLLBACK TO SAVEPOINT sfemu_statement")
            raise map_pg_error(e)
        except BaseException:
            try:
                cur.execute("ROLLBACK" if not explicit else "ROLLBACK TO SAVEPOINT sfemu_statement")
            except psycopg2.Error:
                pass
            raise
        cur.execute("COMMIT" if not explicit else "RELEASE SAVEPOINT sfemu_statement")
        return result

    def _capture_delete(self, cur, pg_delete, params, pg_table, handle):
        """Runs a DELETE keeping the rows it deleted in _sfemu."tt_<handle>", so that
        `t BEFORE(STATEMENT => handle)` can be answered as the current rows plus those when the
        snapshot of that point is gone (sf_timetravel.py). Returns the number of rows deleted."""
        snapshot = '_sfemu."tt_' + handle.replace("-", "_") + '"'
        cur.execute(f"CREATE TABLE {snapshot} AS SELECT * FROM {pg_table} WITH NO DATA")
        cur.execute(f"WITH sfemu_deleted AS ({pg_delete} RETURNING {pg_table}.*) "
                    f"INSERT INTO {snapshot} SELECT * FROM sfemu_deleted", params)
        n = cur.rowcount
        cur.execute("INSERT INTO _sfemu.time_travel (handle, table_oid, snapshot) VALUES "
                    "(%s, %s::regclass, %s)", (handle, pg_table, snapshot))
        return n

    # --- Time Travel (https://docs.snowflake.com/en/sql-reference/constructs/at-before) ----------

    def _not_available(self, name):
        # the documented error (at-before, "Using the AT TIMESTAMP parameter")
        return SqlError("000707", "02000", f"Time travel data is not available for table {name}. "
                                           f"The requested time is either beyond the allowed time "
                                           f"travel period or before the object creation time.")

    def _plan_time_travel(self, cur, sql, bindings, session, in_multi):
        """Finds the AT/BEFORE clauses and what each reads: a snapshot (sf_timetravel) or, for
        the rows a DELETE removed when its snapshot is gone, the current rows plus those."""
        clauses = []

        def collect(table, name, clause, what, value, alias):
            clauses.append({"table": table, "name": name, "clause": clause, "what": what,
                            "value": value, "alias": alias or table.split(".")[-1]})
            return f"__SFEMU_TT_{len(clauses) - 1}__"
        text, binds = sf_sql.rewrite_time_travel(sql, bindings, collect)
        plan = {"text": text, "bindings": binds, "clauses": clauses, "temp": []}
        for c in clauses:
            self._resolve_clause(cur, c)
        plan["in_transaction"] = session["txn"]
        return plan

    def _resolve_clause(self, cur, c):
        name, pg_table = c["name"], sf_sql.to_postgres(c["table"])
        if c["what"] == "OFFSET":
            raise sf_sql.unsupported("Time Travel AT(OFFSET => ...)")
        snap = None
        if c["what"] == "TIMESTAMP":
            # at-before: "The value for TIMESTAMP or OFFSET must be a constant expression." The
            # emulator evaluates a literal (optionally cast, or TO_TIMESTAMP_*('...')) only.
            v = c["value"].strip()
            if not re.fullmatch(r"(?is)'(?:[^']|'')*'(\s*::\s*[\w]+(\s*\(\s*\d+\s*\))?)?|"
                                r"TO_TIMESTAMP(_NTZ|_LTZ|_TZ)?\s*\(\s*'(?:[^']|'')*'\s*\)", v):
                raise sf_sql.unsupported(f"Time Travel {c['clause']}(TIMESTAMP => {v}) with a "
                                         f"value other than a timestamp literal")
            cur.execute(f"SELECT _sfemu.tt_instant({sf_sql.to_postgres(v)})")
            instant = cur.fetchone()[0]
            snap = self.snapshots.latest(instant, strict=c["clause"] == "BEFORE")
            if snap is None:
                raise self._not_available(name)
        else:
            statement_id = c["value"]
            with self.lock:
                known = self.statements.get(statement_id)
            cur.execute("SELECT snapshot, table_oid = to_regclass(%s), extract(epoch FROM "
                        "clock_timestamp() - at) FROM _sfemu.time_travel WHERE handle = %s",
                        (pg_table, statement_id))
            captured = cur.fetchone()
            if known is None and captured is None:
                raise SqlError("000709", "02000", f"Statement {statement_id} not found")
            if c["clause"] == "AT":
                snap = self.snapshots.get(statement_id, "after")
            else:
                snap = self.snapshots.get(statement_id, "before")
                if snap is None and known is not None and sf_sql.kind_of(known.sql)[0] == "query":
                    snap = self.snapshots.get(statement_id, "after")  # a query changes nothing
            if snap is None:
                if c["clause"] == "BEFORE" and captured is not None and captured[1]:
                    if self.retention_seconds is not None and float(captured[2]) > \
                            self.retention_seconds:
                        raise self._not_available(name)
                    c["relation"] = f"(SELECT * FROM {pg_table} UNION ALL SELECT * FROM {captured[0]})"
                    return
                raise self._not_available(name)
        age = (datetime.datetime.now(datetime.timezone.utc) - snap.at).total_seconds()
        if self.retention_seconds is not None and age > self.retention_seconds:
            raise self._not_available(name)
        # at-before: "If the specified Time Travel time is at or before the point in time when the
        # object was created, the statement fails."
        cur.execute("SELECT at FROM _sfemu.table_created WHERE table_oid = to_regclass(%s)",
                    (pg_table,))
        created = cur.fetchone()
        if created is not None and snap.at <= created[0]:
            raise self._not_available(name)
        c["snapshot"] = snap

    def _choose_time_travel(self, cur, plan, pg, params):
        """Sets plan["pg"] (the statement with each clause replaced) and plan["snapshot"]: the
        whole statement runs in one imported snapshot when every table it reads is read through
        that one; else each clause reads a temporary copy of its snapshot's rows."""
        clauses = plan["clauses"]

        def replaced(sql_text, relation_of):
            for k, c in enumerate(clauses):
                sql_text = sql_text.replace(f"__SFEMU_TT_{k}__", relation_of(k, c) + " AS " +
                                            sf_sql.to_postgres(c["alias"]))
            return sql_text
        ids = {c["snapshot"].snapshot_id for c in clauses if "snapshot" in c}
        # (inside a multi-statement request's transaction a snapshot cannot be imported: copies)
        if len(ids) == 1 and all("snapshot" in c for c in clauses) and not plan["in_transaction"]:
            candidate = replaced(pg, lambda k, c: f"(SELECT * FROM {sf_sql.to_postgres(c['table'])} "
                                                  f"AS sfemu_tt_{k})")
            if self._reads_only_snapshot_tables(cur, candidate, params):
                plan["pg"], plan["snapshot"] = candidate, ids.pop()
                plan["pg_replaced"] = replaced(
                    sf_sql.to_postgres(sf_sql.strip_or_replace(plan["text"]),
                                       with_params=bool(plan["bindings"])),
                    lambda k, c: f"(SELECT * FROM {sf_sql.to_postgres(c['table'])} AS sfemu_tt_{k})")
                return
        for k, c in enumerate(clauses):
            if "snapshot" in c:
                self._copy_snapshot_table(cur, c, k)
                plan["temp"].append(f"pg_temp.sfemu_tt_{k}")
                c["relation"] = f"(SELECT * FROM pg_temp.sfemu_tt_{k})"
        plan["pg"] = replaced(pg, lambda k, c: c["relation"])
        plan["pg_replaced"] = replaced(
            sf_sql.to_postgres(sf_sql.strip_or_replace(plan["text"]),
                               with_params=bool(plan["bindings"])), lambda k, c: c["relation"])

    @staticmethod
    def _reads_only_snapshot_tables(cur, candidate, params):
        try:
            cur.execute("EXPLAIN (FORMAT JSON) " + candidate, params)
            plan = cur.fetchone()[0]
        except psycopg2.Error:
            return False
        ok = True

        def walk(node):
            nonlocal ok
            if "Relation Name" in node and node.get("Node Type") != "ModifyTable" and \
                    not str(node.get("Alias", "")).startswith("sfemu_tt_"):
                ok = False
            for child in node.get("Plans", []):
                walk(child)
        for entry in plan:
            walk(entry["Plan"])
        return ok

    def _copy_snapshot_table(self, cur, c, k):
        """The table's rows at the snapshot, into the temporary table sfemu_tt_<k>."""
        pg_table = sf_sql.to_postgres(c["table"])
        cur.execute("SHOW search_path")
        search_path = cur.fetchone()[0]
        reader = psycopg2.connect(self.pg_dsn, application_name="sfemu-timetravel")
        buf = io.BytesIO()
        try:
            with reader.cursor() as rc:
                rc.execute("SET search_path TO " + search_path)
                rc.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    rc.execute("SET TRANSACTION SNAPSHOT %s", (c["snapshot"].snapshot_id,))
                except psycopg2.Error:
                    raise self._not_available(c["name"])
                rc.copy_expert(f"COPY (SELECT * FROM {pg_table}) TO STDOUT (FORMAT binary)", buf)
        finally:
            reader.close()
        buf.seek(0)
        cur.execute(f"DROP TABLE IF EXISTS pg_temp.sfemu_tt_{k}")
        cur.execute(f"CREATE TEMPORARY TABLE sfemu_tt_{k} (LIKE {pg_table})")
        cur.copy_expert(f"COPY pg_temp.sfemu_tt_{k} FROM STDIN (FORMAT binary)", buf)

    @staticmethod
    def _drop_time_travel_tables(cur, plan):
        for t in plan.get("temp", []):
            try:
                cur.execute(f"DROP TABLE IF EXISTS {t}")
            except psycopg2.Error:
                pass

    # --- unloading (sf_unload.py) -------------------------------------------------------------

    def _unload(self, cur, sql, bindings, session, handle, st):
        stmt = sf_unload.parse_unload(sql)
        unloader = sf_unload.Unloader(stmt, self.store, self._stage_url, handle)
        plan = self._plan_time_travel(cur, stmt.query, bindings, session, False)
        text, binds = plan["text"], plan["bindings"]
        pg = sf_sql.to_postgres(text, with_params=bool(binds))
        params = self._bind(binds, sf_sql.placeholder_order(text)) if binds else None
        if isinstance(params, list) and params and isinstance(params[0], list):
            raise sf_sql.unsupported("COPY INTO <location> with array bindings")
        if plan["clauses"]:
            self._choose_time_travel(cur, plan, pg, params)
            pg = plan["pg"]
        rule = self.faults.take("unload", sql, {"retry", "error"})

        def run():
            cur.execute(f"SELECT * FROM ({pg}) AS sfemu_q LIMIT 0", params)
            row_type = row_type_from_cursor(cur.description, self._attribute_info(cur),
                                            self.own_types)
            # Dates and times are formatted by PostgreSQL (sf_types' TO_VARCHAR): the unload's
            # DATE_FORMAT / TIME_FORMAT / TIMESTAMP_FORMAT, or with AUTO the session's output
            # format for the value's type (LOC: "the value for the DATE_OUTPUT_FORMAT ...
            # parameter is used"; date-time-input-output, "Data unloading": "TIMESTAMP_*_OUTPUT_FORMAT
            # (depending on the TIMESTAMP_TYPE_MAPPING setting)": the NTZ, LTZ or TZ one of the
            # value, falling back to TIMESTAMP_OUTPUT_FORMAT as an empty one does).
            fmt = unloader.fmt
            names = [f"c{k}" for k in range(len(row_type))]
            exprs = []
            for n, c in zip(names, row_type):
                t = c["type"]
                given = {"date": fmt.date_format, "time": fmt.time_format}.get(
                    t, fmt.timestamp_format if t.startswith("timestamp") else None)
                if t in ("date", "time") or t.startswith("timestamp"):
                    arg = "NULL" if given is None else sf_sql.pg_string(given).replace("%", "%%")
                    exprs.append(f"_sfemu.to_varchar({n}, {arg})")
                else:
                    exprs.append(n)
            wrapped = (f"SELECT {', '.join(exprs)} FROM ({pg}) AS sfemu_q({', '.join(names)})"
                       if row_type else pg)
            # a cursor of the statement's transaction (psycopg2's named cursors need its own
            # transaction handling, which autocommit sessions do not have)
            cur.execute(f"DECLARE sfemu_unload NO SCROLL CURSOR FOR {wrapped}", params)

            def batches():
                while True:
                    cur.execute("FETCH FORWARD 5000 FROM sfemu_unload")
                    rows = cur.fetchall()
                    if not rows:
                        return
                    yield rows
            result = dict(zip(("row_type", "rows"), unloader.run(
                batches(), [(c["name"], c["type"]) for c in row_type],
                rule.action if rule else None)))
            cur.execute("CLOSE sfemu_unload")
            return result
        try:
            result = self._guarded(cur, session, run, snapshot=plan.get("snapshot"))
        except sf_unload._FaultAfterWrite:
            if st is not None:
                st.unload_files = list(unloader.written)
            raise SqlError(rule.code or "000603", "XX000", rule.message or
                           "SQL execution internal error: the unload failed after writing files")
        finally:
            self._drop_time_travel_tables(cur, plan)
        if st is not None:
            st.unload_files = list(unloader.written)
            st.unload_strays = list(unloader.strays)
        return result

    @staticmethod
    def _ddl_message(sql, status):
        m = re.match(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TRANSIENT\s+|TEMPORARY\s+)?(TABLE|SCHEMA|"
                     r"DATABASE|VIEW)\s+(IF\s+NOT\s+EXISTS\s+)?([^\s(]+)", sql, re.I)
        if m:
            name = m.group(3).split(".")[-1]
            name = name[1:-1] if name.startswith('"') else name.upper()
            return f"{m.group(1).capitalize()} {name} successfully created."
        m = re.match(r"\s*DROP\s+(TABLE|SCHEMA|DATABASE|VIEW)\s+(IF\s+EXISTS\s+)?([^\s;]+)", sql, re.I)
        if m:
            name = m.group(3).split(".")[-1]
            name = name[1:-1] if name.startswith('"') else name.upper()
            return f"{name} successfully dropped."
        return "Statement executed successfully."

    def _bind(self, bindings, order):
        """psycopg2 parameters for the placeholders in text order (`order`: the binding number of
        each, see sf_sql.placeholder_order)."""
        by_number = {}
        for k, b in bindings.items():
            t, v = str(b.get("type", "TEXT")).upper(), b.get("value")
            conv = lambda x, t=t: convert_binding(t, x)  # noqa: E731
            by_number[int(k) if str(k).isdigit() else 0] = [conv(x) for x in v] if isinstance(v, list) \
                else conv(v)
        missing = [n for n in order if n not in by_number]
        if missing:
            raise SqlError("002049", "42601", f"SQL compilation error: error line 1 at position 0\n"
                                              f"Bind variable :{missing[0]} not set.")
        columns = [by_number[n] for n in order]
        if any(isinstance(c, list) for c in columns):
            lengths = {len(c) for c in columns if isinstance(c, list)}
            if len(lengths) > 1 or not all(isinstance(c, list) for c in columns):
                raise SqlError("002099", "22000", "Bind variable array sizes do not match.")
            return [list(r) for r in zip(*columns)]
        return columns

    def _stage_url(self, name):
        if name in self.config_stages:
            return self.config_stages[name]
        conn = psycopg2.connect(self.pg_dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT url FROM _sfemu.stages WHERE name = %s", (name,))
                row = cur.fetchone()
        finally:
            conn.close()
        if not row:
            raise SqlError("002003", "02000", f"SQL compilation error:\nStage '{name}' does not exist "
                                              f"or not authorized.")
        return row[0]

    def _create_stage(self, cur, sql):
        m = re.match(r"\s*CREATE\s+(OR\s+REPLACE\s+)?STAGE\s+(IF\s+NOT\s+EXISTS\s+)?(\S+)\s+(.*)$",
                     sql, re.I | re.S)
        if not m:
            raise sf_sql.unsupported("This form of CREATE STAGE")
        name = sf_sql.parse_stage_ref("@" + m.group(3))[0]
        url = re.search(r"\bURL\s*=\s*'([^']*)'", m.group(4), re.I)
        if not url:
            raise sf_sql.unsupported("A stage without URL")
        cur.execute("INSERT INTO _sfemu.stages (name, url) VALUES (%s, %s) ON CONFLICT (name) DO "
                    "UPDATE SET url = EXCLUDED.url", (name, url.group(1)))
        return {"row_type": [column("status", "text", nullable=False)],
                "rows": [[f"Stage area {name} successfully created."]]}

    def _stage_files(self, kind, sql):
        m = re.match(r"\s*\w+\s+('(?:[^']|'')*'|@\S+)(?:\s+PATTERN\s*=\s*('(?:[^']|'')*'))?\s*$", sql,
                     re.I | re.S)
        if not m or self.store is None:
            raise sf_sql.unsupported(f"This form of {kind.upper()}")
        ref = m.group(1)
        if ref.startswith("'"):
            ref = sf_sql.string_value(ref)
        name, path = sf_sql.parse_stage_ref(ref)
        url = self._stage_url(name)
        mm = re.match(r"^s3://([^/]+)/?(.*)$", url, re.I)
        bucket, prefix = mm.group(1), mm.group(2)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        objs = self.store.list_objects(bucket, prefix + path)
        if m.group(2):
            rx = re.compile(sf_sql.string_value(m.group(2)))
            objs = [o for o in objs if rx.fullmatch(o["key"]) or rx.fullmatch(o["key"][len(prefix):])]
        if kind == "list":
            rows = [[f"s3://{bucket}/{o['key']}", str(o["size"]), o["etag"].strip('"'),
                     datetime.datetime.utcfromtimestamp(o["last_modified"]).strftime(
                         "%a, %d %b %Y %H:%M:%S GMT")] for o in objs]
            return {"row_type": [column("name", "text", nullable=False),
                                 column("size", "fixed", nullable=False),
                                 column("md5", "text"), column("last_modified", "text", nullable=False)],
                    "rows": rows}
        for o in objs:
            self.store.delete_object(bucket, o["key"])
        return {"row_type": [column("name", "text", nullable=False),
                             column("result", "text", nullable=False)],
                "rows": [[f"s3://{bucket}/{o['key']}", "removed"] for o in objs]}


def convert_binding(t, v):
    if v is None:
        return None
    v = str(v)
    if t == "FIXED":
        return decimal.Decimal(v)
    if t == "REAL":
        # as a float8 literal: psycopg2 would send -0.0 as a numeric literal, losing the sign
        return psycopg2.extensions.AsIs("'%r'::float8" % float(v))
    if t == "BOOLEAN":
        return v.lower() in ("true", "1", "t", "yes")
    if t == "DATE" and re.fullmatch(r"-?\d+", v):
        return datetime.date(1970, 1, 1) + datetime.timedelta(milliseconds=int(v))
    # TIME as nanoseconds since midnight, TIMESTAMP_NTZ/LTZ as nanoseconds since the epoch,
    # TIMESTAMP_TZ as "<nanoseconds> <offset minutes + 1440>" (snowflake-sql-api.md, bindings):
    # sent as the canonical text of the emulator's types (sf_types), nanoseconds kept.
    if t == "TIMESTAMP_NTZ" and re.fullmatch(r"-?\d+", v):
        return sf_types.canonical_from_ns(int(v), "ntz")
    if t == "TIMESTAMP_LTZ" and re.fullmatch(r"-?\d+", v):
        return sf_types.canonical_from_ns(int(v), "ltz")
    m = re.fullmatch(r"(-?\d+) (\d+)", v)
    if t == "TIMESTAMP_TZ" and m:
        return sf_types.canonical_from_ns(int(m.group(1)), "tz", int(m.group(2)) - 1440)
    if t == "TIME" and re.fullmatch(r"\d+", v):
        return sf_types.canonical_from_ns(int(v), "time")
    if t == "BINARY":
        return bytes.fromhex(v)
    return v


def map_pg_error(e: psycopg2.Error) -> SqlError:
    msg = (e.diag.message_primary if e.diag and e.diag.message_primary else str(e)).strip()
    name = re.search(r'"([^"]+)"', msg)
    name = name.group(1) if name else ""
    upper = name.upper() if name == name.lower() else name
    code = e.pgcode
    if code == "42P01":
        return SqlError("002003", "42S02", f"SQL compilation error:\nTable '{upper}' does not exist "
                                           f"or not authorized.")
    if code == "3F000":
        return SqlError("002003", "02000", f"SQL compilation error:\nSchema '{upper}' does not exist "
                                           f"or not authorized.")
    if code == "42601":
        return SqlError("001003", "42000", f"SQL compilation error:\n{msg}")
    if code == "42703":
        return SqlError("000904", "42000", f"SQL compilation error: error line 1 at position 0\n"
                                           f"invalid identifier '{upper}'")
    if code in ("42P07", "42P06", "42710"):
        return SqlError("002002", "42710", f"SQL compilation error:\nObject '{upper}' already exists.")
    if code == "22012":
        return SqlError("100051", "22012", "Division by zero")
    if code == "22P02":
        value = re.search(r': "(.*)"$', msg)
        return SqlError("100038", "22018", f"Numeric value '{value.group(1) if value else ''}' is "
                                           f"not recognized")
    if code == "23502":
        return SqlError("100072", "22000", "NULL result in a non-nullable column")
    if code == "22007":  # the emulator's date/time input (sf_types.dt_norm)
        return SqlError("100035" if msg.startswith("Timestamp") else "100108", "22007", msg)
    if code == "22001":
        value = re.search(r"'(.*)'", msg)
        return SqlError("100074", "22000", msg if msg.startswith(("String", "Binary")) else
                        f"String '{value.group(1) if value else ''}' is too long and would be "
                        f"truncated")
    if code == "22023" and "hex-encoded" in msg:
        return SqlError("100115", "22023", msg)
    if code == "0A000":  # the emulator refuses what the documentation leaves open
        return SqlError("000002", "0A000", msg)
    if code == "42501":
        return SqlError("003001", "42501", f"SQL access control error:\nInsufficient privileges: {msg}")
    if code in ("40P01", "40001"):
        return SqlError("000625", "57014", f"Statement was aborted: {msg}")
    return SqlError("000603", code or "XX000", f"SQL execution internal error:\n{msg}")


class SnowflakeHandler(emucommon.EmulatorHandler):
    server_version = "sluice-snowflake-emulator/1"

    def handle_api(self):
        em = self.emulator
        path, _, raw_query = self.path.partition("?")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        body = self.read_body()
        if body is None:
            self.close_connection = True
            return self.send_json(411, {"message": "Length Required"})
        m = re.fullmatch(r"/api/v2/statements(?:/([^/]+)(/cancel)?)?", path)
        if not m:
            return self.send_plain(404, "application/json", b'{"message":"Not Found"}')
        handle, cancel = m.group(1), m.group(2)
        op = "cancel" if cancel else ("status" if handle else "submit")
        allowed = "POST" if op in ("submit", "cancel") else "GET"
        entry = em.log.new_entry(self.command, self.path)
        self._entry = entry
        entry.update(op=op, handle=handle, request_id=query.get("requestId"),
                     retry=query.get("retry") == "true", partition=query.get("partition"),
                     status=None, fault=None, user_agent=self.headers.get("User-Agent"))
        if self.command != allowed:
            return self.reply(405, None)
        try:
            entry.update(em.authenticate(self.headers))
            entry["auth"] = "ok"
        except AuthFailure as f:
            entry["auth"] = f.reason
            return self.reply(f.status, {"code": f.code, "message": f.message})
        if not self.headers.get("User-Agent"):
            return self.reply(400, {"code": "391903", "message": "User-Agent header is required."})
        if op == "submit" and "application/json" not in self.headers.get("Content-Type", ""):
            return self.reply(400, {"code": "390142", "message": "Incoming request does not contain "
                                                                 "a valid payload."})
        self.apply_delay(op, self.path)
        text = f"{self.command} {self.path} {body[:2000].decode('utf-8', 'replace')}"
        rule = em.faults.take(op, text, {"error", "drop_before", "drop_after"})
        if rule:
            entry["fault"] = rule.action
            if rule.action == "drop_before":
                raise emucommon.DropConnection()
            if rule.action == "error":
                bodies = {429: {"code": "390505", "message": "Too many requests."},
                          500: {"code": "000603", "message": "Internal error."}}
                obj = bodies.get(rule.status)
                if rule.code or rule.message:
                    obj = {"code": rule.code or "", "message": rule.message or ""}
                return self.reply(rule.status, obj)
        status, obj, headers = {"submit": self.submit, "status": self.status,
                                "cancel": self.cancel}[op](handle, query, body)
        if rule and rule.action == "drop_after":
            entry["status"] = status
            raise emucommon.DropConnection()
        self.reply(status, obj, headers)

    def reply(self, status, obj, headers=None, gzip_body=False):
        self._entry["status"] = status
        if obj is None:
            return self.send_plain(status, None, b"", headers)
        if isinstance(obj, GzipBody):  # a result partition, compressed whatever was accepted
            self._entry["gzip"] = True
            return self.send_plain(status, "application/json", obj.data,
                                   dict(headers or {}, **{"Content-Encoding": "gzip"}))
        data = json.dumps(obj).encode()
        headers = dict(headers or {})
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if headers.pop("X-Force-Gzip", None) or (accepts_gzip and len(data) > 256):
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
            self._entry["gzip"] = True
        if isinstance(obj, dict) and obj.get("code"):
            self._entry["code"] = obj["code"]
        self.send_plain(status, "application/json", data, headers)

    # --- operations -------------------------------------------------------------------------

    def submit(self, _, query, body):
        em = self.emulator
        try:
            req = json.loads(body or b"{}")
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            return 400, {"code": "390142", "message": "Incoming request does not contain a valid "
                                                      "payload."}, None
        sql = req.get("statement")
        if not isinstance(sql, str) or not sql.strip():
            return 400, {"code": "000900", "message": "Empty SQL statement."}, None
        request_id = query.get("requestId") or str(uuid.uuid4())
        retry = query.get("retry") == "true"
        self._entry.update(request_id=request_id, statement=sql[:100000])
        if req.get("bindings") is not None:  # for tests: the types and values bound
            self._entry["bindings"] = req["bindings"]
        with em.lock:
            earlier = em.by_request_id.get(request_id)
        if earlier is not None and retry:
            self._entry["executed"] = False
            st = earlier
        else:
            if earlier is not None:
                self._entry["duplicate_request_id"] = True
            params = {str(k).upper(): v for k, v in (req.get("parameters") or {}).items()}
            st = Statement(request_id, sql, params, req, self._entry.get("user"))
            st.timeout = int(req.get("timeout") or 0)
            st.nullable = query.get("nullable", "true") != "false"
            with em.lock:
                em.statements[st.handle] = st
                em.by_request_id[request_id] = st
            self._entry["executed"] = True
            em.start(st)
        self._entry["handle"] = st.handle
        if query.get("async") != "true":
            st.done.wait(em.sync_wait)
        return self.statement_answer(st, None)

    def status(self, handle, query, _):
        em = self.emulator
        with em.lock:
            st = em.statements.get(handle)
        if st is None:
            return 400, {"code": "000709", "sqlState": "02000",
                         "message": f"Statement {handle} not found",
                         "statementHandle": handle}, None
        return self.statement_answer(st, query.get("partition"))

    def cancel(self, handle, query, _):
        em = self.emulator
        with em.lock:
            st = em.statements.get(handle)
        if st is None:
            return 400, {"code": "000709", "sqlState": "02000",
                         "message": f"Statement {handle} not found", "statementHandle": handle}, None
        if not st.done.is_set():
            st.cancel_event.set()
            conn = st.conn
            if conn is not None:
                try:
                    conn.cancel()
                except psycopg2.Error:
                    pass
            st.done.wait(10)
        return 200, {"code": "000000", "sqlState": "00000", "message": "successfully canceled",
                     "statementHandle": st.handle, "statementStatusUrl": st.status_url}, None

    def statement_answer(self, st: Statement, partition):
        em = self.emulator
        base = {"statementHandle": st.handle, "statementStatusUrl": st.status_url}
        if not st.done.is_set():
            return 202, dict(code="333334", message=RUNNING_MESSAGE, **base), None
        if st.status == "cancelled":
            return 422, dict(code="000604", sqlState="57014", message="SQL execution canceled",
                             **base), None
        if st.status == "timeout":
            return 408, dict(code="000630", sqlState="57014", message=(
                f"Statement reached its statement or warehouse timeout of {st.timeout} second(s) "
                f"and was canceled."), **base), None
        if st.status == "failed":
            e = st.error
            return e.http_status, dict(code=e.code, sqlState=e.sql_state, message=e.message,
                                       **base), None
        result = st.result
        rows = result["rows"]
        if result.get("encode"):
            rows = encode_rows(rows, result["row_type"])
            result["rows"], result["encode"] = rows, False
        if not st.nullable:
            rows = [["null" if v is None else v for v in r] for r in rows]
        size = max(1, em.rows_per_partition)
        parts = [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]
        link_base = f"</api/v2/statements/{st.handle}?requestId={st.request_id}&partition="
        links = [f'{link_base}0>; rel="first"']
        p = int(partition) if partition not in (None, "") and str(partition).isdigit() else None
        if partition not in (None, "") and (p is None or p >= len(parts)):
            return 400, {"code": "391922", "message": f"Invalid partition number {partition}."}, None
        current = p or 0
        if current + 1 < len(parts):
            links.append(f'{link_base}{current + 1}>; rel="next"')
        if current > 0:
            links.append(f'{link_base}{current - 1}>; rel="prev"')
        links.append(f'{link_base}{len(parts) - 1}>; rel="last"')
        headers = {"Link": ", ".join(links)}
        # https://docs.snowflake.com/en/developer-guide/sql-api/handling-responses: "In the
        # response for a GET /api/v2/statements/<handle>?partition=partition_number request, the
        # body contains JSON data in compressed form (using gzip). The response includes the HTTP
        # header Content-Encoding: gzip ... These responses do not contain any metadata. Metadata
        # for all partitions is provided in the first partition." partitionInfo gives each
        # partition's rowCount and the sizes of that body, uncompressed and ("may or may not be
        # present") compressed: the bytes served, so a client can check them.
        if st.partitions is None or len(st.partitions) != len(parts):
            bodies = [json.dumps({"data": part}).encode() for part in parts]
            st.partitions = [(body, gzip.compress(body, mtime=0)) for body in bodies]
        if p is not None:
            self._entry["partition_rows"] = len(parts[p])
            return 200, GzipBody(st.partitions[p][1]), headers
        info = []
        for k, part in enumerate(parts):
            entry = {"rowCount": len(part), "uncompressedSize": len(st.partitions[k][0])}
            if k > 0:
                entry["compressedSize"] = len(st.partitions[k][1])
            info.append(entry)
        answer = {"resultSetMetaData": {"numRows": len(rows), "format": "jsonv2",
                                        "partitionInfo": info, "rowType": result["row_type"]},
                  "data": parts[0], "code": "090001", "sqlState": "00000",
                  "message": "Statement executed successfully.", **base,
                  "requestId": st.request_id, "createdOn": st.created_on}
        if result.get("stats"):
            answer["stats"] = result["stats"]
        if result.get("statement_handles"):
            answer["statementHandles"] = result["statement_handles"]
        return 200, answer, headers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    emucommon.add_common_arguments(parser)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    emucommon.serve(SnowflakeEmulator(args), SnowflakeHandler)


if __name__ == "__main__":
    main()

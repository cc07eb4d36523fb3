"""COPY INTO <table> FROM @stage for the SQL API emulator: finds the staged files in the S3
emulator's storage (s3store.Store, same root directory), applies the CSV file format the way
Snowflake does (delimiters, optional enclosure, NULL_IF, EMPTY_FIELD_AS_NULL, escapes, SKIP_HEADER,
column-count check, compression by magic bytes), loads the rows with PostgreSQL's COPY, keeps
Snowflake's per-table load metadata (a file loaded once is skipped: "Copy executed with 0 files
processed.") and answers one row per file. ON_ERROR = ABORT_STATEMENT (the default) and SKIP_FILE
are implemented; other values fail loudly."""

import bz2
import gzip
import io
import re
import subprocess

import psycopg2

from s3store import S3Error
from sf_results import column
from sf_sql import SqlError, unsupported

COPY_COLUMNS = [
    column("file", "text", nullable=False), column("status", "text", nullable=False),
    column("rows_parsed", "fixed", nullable=True), column("rows_loaded", "fixed", nullable=True),
    column("error_limit", "fixed", nullable=True), column("errors_seen", "fixed", nullable=True),
    column("first_error", "text"), column("first_error_line", "fixed"),
    column("first_error_character", "fixed"), column("first_error_column_name", "text"),
]
NOTHING_COLUMNS = [column("status", "text", nullable=False)]
NOTHING_ROW = ["Copy executed with 0 files processed."]

_SUPPORTED_FORMAT = {"TYPE", "COMPRESSION", "FIELD_DELIMITER", "RECORD_DELIMITER", "SKIP_HEADER",
                     "FIELD_OPTIONALLY_ENCLOSED_BY", "NULL_IF", "EMPTY_FIELD_AS_NULL", "ESCAPE",
                     "ESCAPE_UNENCLOSED_FIELD", "ERROR_ON_COLUMN_COUNT_MISMATCH", "ENCODING",
                     "TRIM_SPACE", "SKIP_BLANK_LINES", "SKIP_BYTE_ORDER_MARK", "DATE_FORMAT",
                     "TIME_FORMAT", "TIMESTAMP_FORMAT", "BINARY_FORMAT", "REPLACE_INVALID_CHARACTERS",
                     "MULTI_LINE"}
_SUPPORTED_COPY = {"ON_ERROR", "PURGE", "FORCE", "RETURN_FAILED_ONLY", "SIZE_LIMIT",
                   "LOAD_UNCERTAIN_FILES", "CREDENTIALS", "STORAGE_INTEGRATION", "ENFORCE_LENGTH",
                   "TRUNCATECOLUMNS"}
LOAD_ERROR_TAIL = ("\n  If you would like to continue loading when an error is encountered, use "
                   "other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option. For more "
                   "information on loading options, please run 'info loading_data' in a SQL client.")


class Format:
    def __init__(self, opts: dict):
        unknown = set(opts) - _SUPPORTED_FORMAT
        if unknown:
            raise unsupported(f"File format option {sorted(unknown)[0]}")
        if opts.get("TYPE", "CSV") != "CSV":
            raise unsupported(f"File format TYPE = {opts['TYPE']}")
        none = lambda v: None if v in (None, "NONE", False) else v  # noqa: E731
        self.compression = opts.get("COMPRESSION", "AUTO")
        self.delimiter = none(opts.get("FIELD_DELIMITER", ","))
        self.record = none(opts.get("RECORD_DELIMITER", "\n"))
        self.skip_header = int(opts.get("SKIP_HEADER", 0))
        self.enclosed_by = none(opts.get("FIELD_OPTIONALLY_ENCLOSED_BY", "NONE"))
        null_if = opts.get("NULL_IF", ["\\N"])
        self.null_if = set(null_if if isinstance(null_if, list) else [null_if])
        self.empty_as_null = bool(opts.get("EMPTY_FIELD_AS_NULL", True))
        self.escape = none(opts.get("ESCAPE", "NONE"))
        self.escape_unenclosed = none(opts.get("ESCAPE_UNENCLOSED_FIELD", "\\"))
        self.column_count_check = bool(opts.get("ERROR_ON_COLUMN_COUNT_MISMATCH", True))
        enc = str(opts.get("ENCODING", "UTF8")).upper().replace("-", "")
        self.encoding = {"UTF8": "utf-8", "ISO88591": "latin-1", "LATIN1": "latin-1"}.get(enc)
        if self.encoding is None:
            raise unsupported(f"ENCODING = {opts['ENCODING']}")
        self.trim = bool(opts.get("TRIM_SPACE", False))
        self.skip_blank = bool(opts.get("SKIP_BLANK_LINES", False))
        self.skip_bom = bool(opts.get("SKIP_BYTE_ORDER_MARK", True))


class LoadError(Exception):
    def __init__(self, code, sql_state, message, line, character, column_name):
        super().__init__(message)
        self.code, self.sql_state, self.message = code, sql_state, message
        self.line, self.character, self.column_name = line, character, column_name


def decompress(data: bytes, compression: str, url: str) -> bytes:
    if compression == "AUTO":
        if data[:2] == b"\x1f\x8b":
            compression = "GZIP"
        elif data[:4] == b"\x28\xb5\x2f\xfd":
            compression = "ZSTD"
        elif data[:3] == b"BZh":
            compression = "BZ2"
        else:
            compression = "NONE"
    try:
        if compression == "GZIP":
            return gzip.decompress(data)
        if compression == "BZ2":
            return bz2.decompress(data)
        if compression == "ZSTD":
            r = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=True)
            return r.stdout
        if compression == "NONE":
            return data
    except (OSError, EOFError, subprocess.CalledProcessError):
        raise SqlError("100077", "22000", f"Invalid data encountered during decompression for "
                                          f"file: '{url}',compression type used: '{compression}', "
                                          f"cause: 'Data is corrupt'")
    raise unsupported(f"COMPRESSION = {compression}")


_UNESCAPE = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


def parse_records(text: str, fmt: Format):
    """Yields (line number of the record's start, [fields]) with Snowflake's CSV rules; a field is
    None for NULL."""
    if fmt.skip_bom and text.startswith("\ufeff"):
        text = text[1:]
    rec_delim = fmt.record or "\n"
    delim = fmt.delimiter
    q = fmt.enclosed_by
    esc = fmt.escape_unenclosed
    i, n, line = 0, len(text), 1
    # Fast path for the common record (no enclosure, "\n" records, no escape except a NULL_IF
    # value such as \N): str.split gives exactly what the character loop below would, 50x
    # faster, which matters for the benchmarks' gigabyte loads. Anything else (an escape, a
    # quote) goes through the character loop, which is the reference.
    fast = q is None and rec_delim == "\n" and bool(delim) and not fmt.trim
    null_if, empty_as_null = fmt.null_if, fmt.empty_as_null
    while i < n:
        if fast:
            j = text.find("\n", i)
            end = n if j < 0 else j
            parts = text[i:end].split(delim)
            if not esc or not any(esc in p for p in parts if p not in null_if):
                i, start_line = (n if j < 0 else j + 1), line
                line += 1
                if parts[-1].endswith("\r"):
                    parts[-1] = parts[-1][:-1]
                if fmt.skip_blank and parts == [""]:
                    continue
                yield start_line, [None if (v in null_if or (not v and empty_as_null)) else v
                                   for v in parts]
                continue
        start_line = line
        fields, field, enclosed = [], [], False
        at_field_start = True
        while True:
            if i >= n:
                break
            c = text[i]
            if at_field_start and q and c == q:
                enclosed, at_field_start = True, False
                i += 1
                while i < n:
                    c = text[i]
                    if fmt.escape and c == fmt.escape and i + 1 < n:
                        field.append(text[i + 1])
                        i += 2
                        continue
                    if c == q:
                        if i + 1 < n and text[i + 1] == q:
                            field.append(q)
                            i += 2
                            continue
                        i += 1
                        break
                    if c == "\n":
                        line += 1
                    field.append(c)
                    i += 1
                continue
            at_field_start = False
            if delim and text.startswith(delim, i):
                fields.append((enclosed, "".join(field)))
                field, enclosed, at_field_start = [], False, True
                i += len(delim)
                continue
            if text.startswith(rec_delim, i):
                i += len(rec_delim)
                if rec_delim == "\n":
                    line += 1
                break
            if esc and c == esc and not enclosed and i + 1 < n:
                nxt = text[i + 1]
                field.append("\x00ESC" + nxt)  # resolved after the NULL_IF check
                if nxt == "\n":
                    line += 1
                i += 2
                continue
            if c == "\n":
                line += 1
            field.append(c)
            i += 1
        fields.append((enclosed, "".join(field)))
        if rec_delim == "\n":
            last_enclosed, last = fields[-1]
            if not last_enclosed and last.endswith("\r"):
                fields[-1] = (False, last[:-1])
        if fmt.skip_blank and len(fields) == 1 and fields[0] == (False, ""):
            continue
        yield start_line, [_field_value(e, v, fmt) for e, v in fields]


def _field_value(enclosed: bool, raw: str, fmt: Format):
    if not enclosed:
        if fmt.trim:
            raw = raw.strip()
        plain = re.sub(r"\x00ESC(.)", lambda m: "\\" + m.group(1), raw, flags=re.DOTALL)
        if plain in fmt.null_if:
            return None
        if raw == "" and fmt.empty_as_null:
            return None
        return re.sub(r"\x00ESC(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), raw,
                      flags=re.DOTALL)
    if raw in fmt.null_if:
        return None
    return raw


def _csv_cell(v) -> str:
    if v is None:
        return ""
    return '"' + v.replace('"', '""') + '"'


def _failing_row(context: str, csv_line: int, col_index: int, values: list,
                 row_of_csv_line: list) -> int:
    """The 1-based row PostgreSQL's error context is about. Its line number counts the CSV's lines,
    but not consistently where a quoted value holds a newline (measured on PostgreSQL 15: such a
    value in the first row is not counted, later ones are), so the candidates are checked against
    the value the context quotes (cut to 30 characters and "...")."""
    candidates = [csv_line]
    if 0 < csv_line <= len(row_of_csv_line):
        candidates.insert(0, row_of_csv_line[csv_line - 1] + 1)
    quoted = re.search(r', column [^:]+: "(.*)"$', context, re.DOTALL)
    if not quoted or not col_index:
        return candidates[0]
    shown = quoted.group(1)

    def shows(row):
        v = values[row - 1][col_index - 1] if 0 < row <= len(values) else None
        return v is not None and (v == shown or (shown.endswith("...") and v.startswith(shown[:-3])))
    return next((r for r in candidates if shows(r)),
                next((r for r in range(1, len(values) + 1) if shows(r)), candidates[0]))


def _map_pg_error(e: psycopg2.Error, url: str, table: str, lines: list, columns: list,
                  values: list, row_of_csv_line: list) -> LoadError:
    context = (e.diag.context or "") if e.diag else ""
    m = re.search(r'line (\d+)(?:, column ([^:]+))?', context)
    col = m.group(2).strip('"') if m and m.group(2) else ""
    col_index = next((k + 1 for k, c in enumerate(columns) if c.strip('"') == col), 0)
    row = _failing_row(context, int(m.group(1)) if m else 1, col_index, values, row_of_csv_line)
    line = lines[row - 1] if 0 < row <= len(lines) else row
    value = ""
    if 0 < row <= len(values) and col_index and col_index <= len(values[row - 1]):
        value = values[row - 1][col_index - 1] or ""
    primary = (e.diag.message_primary if e.diag else None) or str(e)
    code, state = "100000", "22000"
    if e.pgcode == "22P02" and "boolean" in primary:
        code, state, text = "100037", "22018", f"Boolean value '{value}' is not recognized"
    elif e.pgcode == "22P02" and re.search(r"numeric|integer|bigint|smallint|double|real", primary):
        code, state, text = "100038", "22018", f"Numeric value '{value}' is not recognized"
    elif e.pgcode in ("22007", "22008") and "date" in primary and "timestamp" not in primary:
        code, state, text = "100040", "22007", f"Date '{value}' is not recognized"
    elif e.pgcode in ("22007", "22008"):
        code, state, text = "100035", "22007", f"Timestamp '{value}' is not recognized"
    elif e.pgcode == "22003":
        code, state, text = "100039", "22003", f"Numeric value '{value}' is out of range"
    elif e.pgcode == "22001":
        code, state, text = "100074", "22000", f"String '{value}' is too long and would be truncated"
    elif e.pgcode == "23502":
        code, state, text = "100072", "22000", "NULL result in a non-nullable column"
    else:
        text = primary
    column_name = f'"{table}"["{col}":{col_index}]' if col else ""
    message = f"{text}\n  File '{url}', line {line}, character 1\n  Row {row}"
    if column_name:
        message += f", column {column_name}"
    return LoadError(code, state, message + LOAD_ERROR_TAIL, line, 1, column_name)


# The escapes PostgreSQL's COPY text format and Snowflake's unenclosed-field escape read alike.
# Any other backslash (octal and hex escapes, "\." as end of data, one that ends the file) is read
# differently. Matched left to right, so "\\" is one escape and not the start of another.
_SHARED_ESCAPE = re.compile(rb"\\[tnrbf\\N]")


def _copy_text_null(fmt: Format):
    r"""The NULL string of PostgreSQL's COPY text format that reads a file exactly as this file
    format does, or None when none does. It does when the format has one delimiter byte, no
    enclosure, "\n" records, backslash escapes, a column-count error, nothing to skip or trim,
    and NULL either \N alone (an empty field is an empty string) or the empty field alone
    (NULL_IF = (), EMPTY_FIELD_AS_NULL = TRUE). Those are the formats sluice stages
    (SnowflakeTarget::file_format)."""
    d = fmt.delimiter
    if not (d is not None and len(d) == 1 and d not in "\\\r\n" and fmt.enclosed_by is None
            and fmt.record == "\n" and fmt.escape_unenclosed == "\\" and fmt.column_count_check
            and fmt.skip_header == 0 and not fmt.trim and not fmt.skip_blank
            and fmt.encoding == "utf-8"):
        return None
    if fmt.null_if == {"\\N"} and not fmt.empty_as_null:
        return "\\N"
    if not fmt.null_if and fmt.empty_as_null:
        return ""
    return None


def _reads_as_copy_text(raw: bytes) -> bool:
    r"""True when PostgreSQL's text parser gives exactly the fields Snowflake's would: no carriage
    return (Snowflake strips one before "\n"), no byte order mark (Snowflake skips it), no NUL,
    and only the escapes both read alike."""
    if b"\r" in raw or b"\x00" in raw or raw.startswith(b"\xef\xbb\xbf"):
        return False
    backslashes = raw.count(b"\\")
    if not backslashes:
        return True
    if b"\\\\" not in raw:  # every backslash starts an escape: count the shared ones (C speed)
        return backslashes == sum(raw.count(b"\\" + c) for c in (b"t", b"n", b"r", b"b", b"f", b"N"))
    return b"\\" not in _SHARED_ESCAPE.sub(b"", raw)


def _copy_text_directly(cur, table_sql: str, columns: list, raw: bytes, fmt: Format):
    """The fast path: the decompressed bytes go to PostgreSQL's COPY as they are, with no Python
    per field (a gigabyte loads at the server's speed). Returns the rows loaded, or None when the
    server refused the data: the caller then runs the reference parser, which reports the error
    as Snowflake words it (file, line, column)."""
    rows = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    quote = lambda v: "E'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"  # noqa: E731
    cur.execute("SAVEPOINT sfemu_copy_text")
    try:
        cur.copy_expert(f"COPY {table_sql} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text, "
                        f"DELIMITER {quote(fmt.delimiter)}, NULL {quote(_copy_text_null(fmt))})",
                        io.BytesIO(raw), size=1 << 20)
    except psycopg2.Error:
        cur.execute("ROLLBACK TO SAVEPOINT sfemu_copy_text")
        return None
    cur.execute("RELEASE SAVEPOINT sfemu_copy_text")
    return rows


def load_file(cur, table_sql: str, table_name: str, columns: list, data: bytes, fmt: Format,
              url: str):
    """Parses one staged file and COPYs its rows; returns rows loaded; raises LoadError."""
    raw = decompress(data, fmt.compression, url)
    if raw and _copy_text_null(fmt) is not None and _reads_as_copy_text(raw):
        rows = _copy_text_directly(cur, table_sql, columns, raw, fmt)
        if rows is not None:
            return rows, rows
    try:
        text = raw.decode(fmt.encoding)
    except UnicodeDecodeError as e:
        raise LoadError("100069", "22P02", f"Invalid UTF8 detected in string '{e.object[e.start:e.start + 8]!r}'"
                        f"\n  File '{url}', line 1, character 1" + LOAD_ERROR_TAIL, 1, 1, "")
    lines, values, buf, row_of_csv_line = [], [], io.StringIO(), []
    for number, (line, fields) in enumerate(parse_records(text, fmt), start=1):
        if number <= fmt.skip_header:
            continue
        if len(fields) != len(columns):
            if fmt.column_count_check:
                raise LoadError("100080", "22000", f"Number of columns in file ({len(fields)}) does "
                                f"not match that of the corresponding table ({len(columns)}), use "
                                f"file format option error_on_column_count_mismatch=false to ignore "
                                f"this error\n  File '{url}', line {line}, character 1\n  Row "
                                f"{len(lines) + 1} starts at line {line}, column "
                                f"\"{table_name}\"[{len(fields)}]" + LOAD_ERROR_TAIL,
                                line, 1, f'"{table_name}"[{len(fields)}]')
            fields = (fields + [None] * len(columns))[:len(columns)]
        lines.append(line)
        values.append(fields)
        csv_row = ",".join(_csv_cell(v) for v in fields)
        buf.write(csv_row)
        buf.write("\n")
        row_of_csv_line.extend([len(lines) - 1] * (csv_row.count("\n") + 1))
    if not lines:
        return 0, 0
    buf.seek(0)
    col_sql = ", ".join(columns)
    cur.execute("SAVEPOINT sfemu_copy_file")
    try:
        cur.copy_expert(f"COPY {table_sql} ({col_sql}) FROM STDIN WITH (FORMAT csv)", buf)
    except psycopg2.Error as e:
        cur.execute("ROLLBACK TO SAVEPOINT sfemu_copy_file")
        raise _map_pg_error(e, url, table_name, lines, columns, values, row_of_csv_line)
    cur.execute("RELEASE SAVEPOINT sfemu_copy_file")
    return len(lines), len(lines)


def table_columns(cur, table_sql: str):
    try:
        cur.execute("SAVEPOINT sfemu_lookup")
        cur.execute(f"SELECT {psycopg2.extensions.QuotedString(table_sql).getquoted().decode()}"
                    "::regclass::oid")
        oid = cur.fetchone()[0]
        cur.execute("RELEASE SAVEPOINT sfemu_lookup")
    except psycopg2.Error:
        cur.execute("ROLLBACK TO SAVEPOINT sfemu_lookup")
        return None, None
    cur.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT "
                "attisdropped ORDER BY attnum", (oid,))
    return oid, ['"' + r[0].replace('"', '""') + '"' for r in cur.fetchall()]


def execute_copy(cur, stmt, store, resolve_stage, purge_later: list):
    """Runs a parsed COPY INTO; returns (rowType, rows). Keys to purge are appended to
    purge_later (bucket, key) and deleted by the caller once the statement succeeded."""
    unknown = set(stmt.options) - _SUPPORTED_COPY
    if unknown:
        raise unsupported(f"Copy option {sorted(unknown)[0]}")
    on_error = str(stmt.options.get("ON_ERROR", "ABORT_STATEMENT")).upper()
    if on_error not in ("ABORT_STATEMENT", "SKIP_FILE"):
        raise unsupported(f"ON_ERROR = {on_error}")
    fmt = Format(stmt.file_format)
    force = bool(stmt.options.get("FORCE", False))
    purge = bool(stmt.options.get("PURGE", False))

    table_sql = "".join(stmt.table_tokens)
    oid, columns = table_columns(cur, table_sql)
    if oid is None:
        raise SqlError("002003", "42S02", f"SQL compilation error:\nTable '{stmt.table_name}' "
                                          f"does not exist or not authorized.")
    if stmt.columns:
        columns = stmt.columns

    if stmt.source[0] == "stage":
        url = resolve_stage(stmt.source[1])
        path = stmt.source[2]
    else:
        url, path = stmt.source[1], ""
    m = re.match(r"^s3://([^/]+)/?(.*)$", url, re.IGNORECASE)
    bucket, prefix = m.group(1), m.group(2)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    base = prefix + path
    if stmt.files is not None:
        if len(stmt.files) > 1000:
            raise SqlError("001003", "42000", "SQL compilation error:\nFILES may list at most 1000 "
                                              "files.")
        join = base if not base or base.endswith("/") else base + "/"
        candidates = []
        for name in stmt.files:
            key = join + name
            try:
                meta = store.head_object(bucket, key)
            except S3Error:
                raise SqlError("100086", "22000", f"Remote file 's3://{bucket}/{key}' was not found. "
                               "There are several potential causes. The file might not exist. The "
                               "required credentials may be missing or invalid. If you are running a "
                               "copy command, please make sure files are not deleted when they are "
                               "being loaded or files are not being loaded into two different tables "
                               "concurrently with auto purge option.")
            candidates.append(meta)
    else:
        candidates = store.list_objects(bucket, base)
        if stmt.pattern:
            rx = re.compile(stmt.pattern)
            candidates = [c for c in candidates
                          if rx.fullmatch(c["key"]) or rx.fullmatch(c["key"][len(prefix):])]

    rows = []
    for meta in candidates:
        file_url = f"s3://{bucket}/{meta['key']}"
        if not force:
            cur.execute("SELECT 1 FROM _sfemu.load_history WHERE table_oid = %s AND file = %s AND "
                        "etag = %s", (oid, file_url, meta["etag"]))
            if cur.fetchone():
                continue
        with open(store.object_path(bucket, meta["key"]), "rb") as f:
            data = f.read()
        try:
            parsed, loaded = load_file(cur, table_sql, stmt.table_name, columns, data, fmt, file_url)
        except LoadError as e:
            if on_error == "ABORT_STATEMENT":
                raise SqlError(e.code, e.sql_state, e.message)
            rows.append([file_url, "LOAD_FAILED", "0", "0", "1", "1",
                         e.message.split("\n")[0], str(e.line), str(e.character),
                         e.column_name or None])
            continue
        except SqlError:
            raise
        cur.execute("INSERT INTO _sfemu.load_history (table_oid, file, etag) VALUES (%s, %s, %s)",
                    (oid, file_url, meta["etag"]))
        rows.append([file_url, "LOADED", str(parsed), str(loaded), "1", "0", None, None, None, None])
        if purge:
            purge_later.append((bucket, meta["key"]))
    if not rows:
        return NOTHING_COLUMNS, [NOTHING_ROW]
    if stmt.options.get("RETURN_FAILED_ONLY"):
        rows = [r for r in rows if r[1] != "LOADED"]
    return COPY_COLUMNS, rows

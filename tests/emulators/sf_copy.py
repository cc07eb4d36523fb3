"""COPY INTO <table> FROM @stage for the SQL API emulator: finds the staged files in the S3
emulator's storage (s3store.Store, same root directory), reads them with the CSV file format by the
rules Snowflake's documentation states (parse_records; each rule cites the sentence it follows) and
refuses, loudly, a file whose bytes those rules leave open (Undocumented), so a test fails wherever
a real Snowflake might load another value. It loads the rows with PostgreSQL's COPY, keeps
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
        # Only the default record delimiter is documented as a logical new line (below).
        self.record_is_default = "RECORD_DELIMITER" not in opts
        if self.record is None:
            raise unsupported("RECORD_DELIMITER = NONE")
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
        self.multi_line = bool(opts.get("MULTI_LINE", True))
        if opts.get("REPLACE_INVALID_CHARACTERS"):
            raise unsupported("REPLACE_INVALID_CHARACTERS = TRUE")


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


# The rules below are the documentation's; where it is silent the file is refused. Sources:
#   COPY = https://docs.snowflake.com/en/sql-reference/sql/copy-into-table ("Format type options",
#          TYPE = CSV; the same text as CREATE FILE FORMAT's)
#   UNLOAD = https://docs.snowflake.com/en/user-guide/data-unload-considerations ("Empty strings and
#          NULL values", which names the options for "unloading or loading data")


class Undocumented(SqlError):
    """A staged file whose bytes the documented rules leave open: the emulator will not guess."""

    def __init__(self, what: str, url: str, line: int):
        super().__init__("000002", "0A000",
                         f"Unsupported feature: {what} (file '{url}', line {line}). Snowflake's "
                         "documentation does not say how COPY reads this, so the sluice Snowflake "
                         "emulator does not load it.")


def _load_error(message: str, url: str, line: int) -> LoadError:
    # The wording of these parse errors is the emulator's own; the documentation names the
    # situations ("...produce an end-of-record error", "...will be interpreted as an error"), not
    # the messages.
    return LoadError("100000", "22000", f"{message}\n  File '{url}', line {line}, character 1"
                     + LOAD_ERROR_TAIL, line, 1, "")


def parse_records(text: str, fmt: Format, url: str = ""):
    """Yields (line number of the record's start, [fields]) by the documented CSV rules; a field
    is None for NULL."""
    # COPY, SKIP_BYTE_ORDER_MARK: "Boolean that specifies whether to skip the BOM (byte order
    # mark), if present in a data file."
    if fmt.skip_bom and text.startswith("\ufeff"):
        text = text[1:]
    rec, delim, q = fmt.record, fmt.delimiter, fmt.enclosed_by
    esc, esc_enclosed = fmt.escape_unenclosed, fmt.escape
    # COPY, RECORD_DELIMITER, Default: "New line character. Note that "new line" is logical such
    # that \r\n is understood as a new line for files on a Windows platform." Said of the default
    # only; with RECORD_DELIMITER given, a \r before the delimiter is refused (record_end).
    logical_newline = rec == "\n" and fmt.record_is_default
    n, i, line = len(text), 0, 1
    # A record with none of these is fields between delimiters, nothing else: str.split reads it
    # as the character loop below would, 50x faster (the reference for everything else).
    specials = [c for c in (q, esc, esc_enclosed, "\r") if c]
    plain = rec == "\n" and delim is not None and not fmt.trim

    def record_end(k):
        """Length of the record delimiter at k (0: none there)."""
        if text.startswith(rec, k):
            return len(rec)
        if rec == "\n" and text.startswith("\r\n", k):
            if logical_newline:
                return 2
            raise Undocumented("a carriage return before the newline with RECORD_DELIMITER given",
                               url, line)
        return 0

    while i < n:
        start_line = line
        if plain:
            j = text.find("\n", i)
            end = n if j < 0 else j
            record = text[i:end]
            if record and not any(c in record for c in specials):
                i, line = end + 1, line + 1
                yield start_line, [_unenclosed(v, fmt, False, url, start_line)
                                   for v in record.split(delim)]
                continue
        fields = []
        while True:  # one field; i is its first character
            k = i
            if fmt.trim:
                while k < n and text[k] == " ":
                    k += 1
            # COPY, TRIM_SPACE: "...Snowflake reads the leading space rather than the opening
            # quotation character as the beginning of the field (that is, the quotation marks are
            # interpreted as part of the string of field data)": a quote opens an enclosure only
            # as the field's first character (after the spaces TRIM_SPACE removes).
            if q and k < n and text[k] == q:
                value, i, line = _enclosed(text, k + 1, fmt, url, line)
                if fmt.trim:
                    while i < n and text[i] == " ":
                        i += 1
                fields.append((True, value))
                if i < n and not (delim and text.startswith(delim, i)) and not record_end(i):
                    raise _load_error(f"Found character '{text[i]}' instead of field delimiter "
                                      f"'{delim}'", url, line)
            else:
                i, line = _unenclosed_field(text, i, fmt, url, line, record_end, fields)
            # The field ends at the end of the file, at a delimiter (another field follows) or at
            # the record delimiter.
            if i >= n:
                break
            if delim and text.startswith(delim, i):
                i += len(delim)
                continue
            length = record_end(i)
            i, line = i + length, line + text.count("\n", i, i + length)
            break
        if len(fields) == 1 and not fields[0][0] and not fields[0][1][0]:
            # COPY, SKIP_BLANK_LINES: "Boolean that specifies to skip any blank lines encountered
            # in the data files; otherwise, blank lines produce an end-of-record error (default
            # behavior)."
            if fmt.skip_blank:
                continue
            raise _load_error("End of record reached on a blank line (SKIP_BLANK_LINES = FALSE)",
                              url, start_line)
        yield start_line, [_enclosed_value(v, fmt, url, start_line) if enclosed
                           else _unenclosed(v, fmt, True, url, start_line)
                           for enclosed, v in fields]


def _unenclosed_field(text, i, fmt, url, line, record_end, fields):
    """Appends the unenclosed field at i to `fields` as (False, (pieces, undocumented)), each
    piece (as written, as read); returns the index of what ends it, and the line."""
    n, delim, rec, esc = len(text), fmt.delimiter, fmt.record, fmt.escape_unenclosed
    raw, undocumented = [], None
    while i < n:
        if delim and text.startswith(delim, i):
            break
        if record_end(i):
            break
        c = text[i]
        # COPY, ESCAPE_UNENCLOSED_FIELD: "You can use the ESCAPE character to interpret instances
        # of the FIELD_DELIMITER or RECORD_DELIMITER characters in the data as literals. The
        # escape character can also be used to escape instances of itself in the data." Nothing
        # else is said of it (no "\t", "\n", octal...).
        if esc and c == esc:
            k = i + 1
            if delim and text.startswith(delim, k):
                raw.append((c + delim, delim))
                i = k + len(delim)
                continue
            if text.startswith(rec, k):
                raw.append((c + rec, rec))
                line += rec.count("\n")
                i = k + len(rec)
                continue
            if k < n and text[k] == esc:
                raw.append((c + esc, esc))
                i = k + 1
                continue
            if undocumented is None:
                shown = repr(text[i:k + 1]) if k < n else repr(c) + " at the end of the file"
                undocumented = f"ESCAPE_UNENCLOSED_FIELD {esc!r} in the sequence {shown}"
            raw.append((text[i:k + 1], None))
            i = k + 1
            continue
        raw.append((c, c))
        i += 1
    fields.append((False, (raw, undocumented)))
    return i, line


def _enclosed(text, i, fmt, url, line):
    """An enclosed field's value from just after its opening quote: (value, index after the
    closing quote, line)."""
    q, esc, n = fmt.enclosed_by, fmt.escape, len(text)
    out, start_line = [], line
    while True:
        if i >= n:
            raise _load_error("Found the end of the file inside a quoted field", url, start_line)
        c = text[i]
        # COPY, ESCAPE: "You can use the ESCAPE character to interpret instances of the
        # FIELD_OPTIONALLY_ENCLOSED_BY character in the data as literals." Only that.
        if esc and c == esc and c != q:
            if i + 1 < n and text[i + 1] == q:
                out.append(q)
                i += 2
                continue
            raise Undocumented(f"ESCAPE {esc!r} before {text[i + 1:i + 2]!r} in a quoted field",
                               url, line)
        if c == q:
            # UNLOAD, FIELD_OPTIONALLY_ENCLOSED_BY: "When a field contains this character, escape
            # it using the same character. For example, if the value is the double quote character
            # and a field contains the string "A", escape the double quotes as follows: ""A""."
            if i + 1 < n and text[i + 1] == q:
                out.append(q)
                i += 2
                continue
            return "".join(out), i + 1, line
        if text.startswith(fmt.record, i):
            # COPY, MULTI_LINE: "If MULTI_LINE is set to FALSE and the specified record delimiter
            # is present within a CSV field, the record containing the field will be interpreted
            # as an error." (TRUE, the default, allows it: the delimiter is the value's.)
            if not fmt.multi_line:
                raise _load_error("Found the record delimiter inside a quoted field with "
                                  "MULTI_LINE = FALSE", url, start_line)
        if c == "\n":
            line += 1
        out.append(c)
        i += 1


def _enclosed_value(value: str, fmt: Format, url: str, line: int):
    # UNLOAD: "An empty string is typically represented by a quoted empty string (e.g. '') to
    # indicate that the string contains zero characters", and its example loads '' as the empty
    # string with EMPTY_FIELD_AS_NULL at its default (TRUE): an enclosed value is never NULL
    # for being empty.
    if value in fmt.null_if:
        raise Undocumented(f"the quoted value {value!r}, which NULL_IF lists", url, line)
    return value


def _unenclosed(field, fmt: Format, decoded: bool, url: str, line: int):
    """An unenclosed field's value: `field` is the text (decoded False) or (pieces, undocumented)
    where each piece is (as written, as read)."""
    if decoded:
        pieces, undocumented = field
        written = "".join(p[0] for p in pieces)
    else:
        pieces, undocumented, written = None, None, field
    if fmt.trim:
        written = written.strip()
    # COPY, NULL_IF: "String used to convert to and from SQL NULL. Snowflake replaces these
    # strings in the data load source with SQL NULL." Its default, "\N (that is, NULL, which
    # assumes the ESCAPE_UNENCLOSED_FIELD value is \\ (default))", is the text as written.
    if written in fmt.null_if:
        return None
    # COPY, EMPTY_FIELD_AS_NULL: "Boolean that specifies whether to insert SQL NULL for empty
    # fields in an input file, which are represented by two successive delimiters (For example,
    # ,,). If set to FALSE, Snowflake attempts to cast an empty field to the corresponding column
    # type. An empty string is inserted into columns of type STRING."
    if written == "":
        return None if fmt.empty_as_null else ""
    if undocumented:
        raise Undocumented(undocumented, url, line)
    if pieces is None:
        return written
    value = "".join(p[1] for p in pieces)
    return value.strip() if fmt.trim else value


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
    elif e.pgcode == "22007" and re.match(r"(Timestamp|Time) '.*' is not recognized$", primary,
                                          re.DOTALL):
        # the emulator's own TIME/TIMESTAMP types (sf_types.py) name the value themselves
        code, state, text = "100035", "22007", primary
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


def _postgres_csv_reads_alike(raw: bytes, fmt: Format) -> bool:
    r"""True when PostgreSQL's COPY (FORMAT csv, NULL '') gives exactly the values parse_records
    would, so the file can go to PostgreSQL as it is (a gigabyte at the server's speed). The format:
    one delimiter byte, "\n" records, no header, trimming or escapes to apply, NULL_IF empty and
    EMPTY_FIELD_AS_NULL (an empty field is NULL: PostgreSQL's NULL ''), a column-count error,
    UTF-8. The bytes: no double quote (PostgreSQL's QUOTE opens a quoted section anywhere in a
    field, not only as its first character) and no escape character, no carriage return (a line
    end to PostgreSQL), no blank line (an error to Snowflake), no "\." (PostgreSQL's end-of-data
    line), no byte order mark first and no NUL. Then every byte but the delimiter and the newline
    is data to both (https://www.postgresql.org/docs/15/sql-copy.html, "CSV Format")."""
    d = fmt.delimiter
    if not (d is not None and len(d) == 1 and d.isascii() and d not in "\"'\\\r\n"
            and fmt.record == "\n" and fmt.skip_header == 0 and not fmt.trim
            and not fmt.null_if and fmt.empty_as_null and fmt.column_count_check
            and fmt.encoding == "utf-8"):
        return False
    if not raw or raw.startswith(b"\n") or raw.startswith(b"\xef\xbb\xbf"):
        return False
    banned = [b'"', b"\r", b"\x00", b"\n\n", b"\\."]
    banned += [c.encode() for c in (fmt.enclosed_by, fmt.escape, fmt.escape_unenclosed) if c]
    return not any(b in raw for b in banned)


def _postgres_csv_directly(cur, table_sql: str, columns: list, raw: bytes, fmt: Format):
    """Hands the decompressed bytes to PostgreSQL's COPY as they are. Returns the rows loaded, or
    None when the server refused the data: the caller then runs the reference parser, which
    reports the error as Snowflake words it (file, line, column)."""
    rows = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    quote = lambda v: "E'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"  # noqa: E731
    cur.execute("SAVEPOINT sfemu_copy_csv")
    try:
        cur.copy_expert(f"COPY {table_sql} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, "
                        f"DELIMITER {quote(fmt.delimiter)}, NULL '')", io.BytesIO(raw),
                        size=1 << 20)
    except psycopg2.Error:
        cur.execute("ROLLBACK TO SAVEPOINT sfemu_copy_csv")
        return None
    cur.execute("RELEASE SAVEPOINT sfemu_copy_csv")
    return rows


def load_file(cur, table_sql: str, table_name: str, columns: list, data: bytes, fmt: Format,
              url: str):
    """Parses one staged file and COPYs its rows; returns rows loaded; raises LoadError."""
    raw = decompress(data, fmt.compression, url)
    if _postgres_csv_reads_alike(raw, fmt):
        rows = _postgres_csv_directly(cur, table_sql, columns, raw, fmt)
        if rows is not None:
            return rows, rows
    try:
        text = raw.decode(fmt.encoding)
    except UnicodeDecodeError as e:
        raise LoadError("100069", "22P02", f"Invalid UTF8 detected in string '{e.object[e.start:e.start + 8]!r}'"
                        f"\n  File '{url}', line 1, character 1" + LOAD_ERROR_TAIL, 1, 1, "")
    lines, values, buf, row_of_csv_line = [], [], io.StringIO(), []
    record_length = None
    for number, (line, fields) in enumerate(parse_records(text, fmt, url), start=1):
        if number <= fmt.skip_header:
            continue
        # COPY, ERROR_ON_COLUMN_COUNT_MISMATCH: "This option assumes all the records within the
        # input file are the same length (that is, a file containing records of varying length
        # return an error regardless of the value specified for this option)."
        record_length = len(fields) if record_length is None else record_length
        if len(fields) != record_length and not fmt.column_count_check:
            raise _load_error(f"A record of {len(fields)} fields after records of "
                              f"{record_length}", url, line)
        if len(fields) != len(columns):
            if fmt.column_count_check:
                raise LoadError("100080", "22000", f"Number of columns in file ({len(fields)}) does "
                                f"not match that of the corresponding table ({len(columns)}), use "
                                f"file format option error_on_column_count_mismatch=false to ignore "
                                f"this error\n  File '{url}', line {line}, character 1\n  Row "
                                f"{len(lines) + 1} starts at line {line}, column "
                                f"\"{table_name}\"[{len(fields)}]" + LOAD_ERROR_TAIL,
                                line, 1, f'"{table_name}"[{len(fields)}]')
            # Else "If the input file contains records with more fields than columns in the
            # table, the matching fields are loaded in order of occurrence in the file and the
            # remaining fields are not loaded. If the input file contains records with fewer
            # fields than columns in the table, the non-matching columns in the table are loaded
            # with NULL values."
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

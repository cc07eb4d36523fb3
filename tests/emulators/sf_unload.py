"""COPY INTO <location> (unloading) for the SQL API emulator: runs the query on PostgreSQL, writes
CSV files into the S3 emulator's storage (s3store.Store) at the stage's location, and answers as
Snowflake documents. Every rule cites the sentence it follows; where the documentation leaves the
bytes open the statement is refused (Undocumented, code 000002), so a client is never tested
against a guess. Sources:
  LOC  = https://docs.snowflake.com/en/sql-reference/sql/copy-into-location
  CONS = https://docs.snowflake.com/en/user-guide/data-unload-considerations
  OVER = https://docs.snowflake.com/en/user-guide/data-unload-overview
  SNOWPARK = https://docs.snowflake.com/developer-guide/snowpark/reference/scala/com/snowflake/snowpark/WriteFileResult.html

Statement: COPY INTO { @stage[/path] | '@stage/path' | 's3://bucket/path' } FROM { table | ( query ) }
  [ FILE_FORMAT = ( TYPE = CSV ... ) ] [ copy options ] [ HEADER = TRUE | FALSE ]
(PARTITION BY, VALIDATION_MODE, FORMAT_NAME, TYPE = JSON | PARQUET: refused.)

Result (LOC, DETAILED_OUTPUT: "If TRUE, the command output includes a row for each file unloaded
... Columns show the path and name for each file, its size, and the number of rows that were
unloaded to the file. If FALSE, ... a single row ... Columns show the total amount of data unloaded
from tables, before and after compression (if applicable), and the total number of rows"). The
column names are the ones Snowflake's Snowpark reference gives for this output (SNOWPARK: "if the
DETAILED_OUTPUT option is TRUE, each row contains a file_name, file_size, and row_count field ...
[otherwise] a rows_unloaded, input_bytes, and output_bytes field"):
  DETAILED_OUTPUT = TRUE:  file_name TEXT (the file's path under the stage or URL given, e.g.
                           'chunk7/data_0_0_0.csv.gz'), file_size NUMBER (bytes as stored),
                           row_count NUMBER
  DETAILED_OUTPUT = FALSE: rows_unloaded NUMBER, input_bytes NUMBER (before compression),
                           output_bytes NUMBER (after)
"""

import bz2
import base64
import gzip
import re
import subprocess

import sf_sql
import sf_types
from sf_results import column
from sf_sql import SqlError, unsupported

DETAILED_COLUMNS = [column("file_name", "text", nullable=False),
                    column("file_size", "fixed", nullable=False),
                    column("row_count", "fixed", nullable=False)]
SUMMARY_COLUMNS = [column("rows_unloaded", "fixed", nullable=False),
                   column("input_bytes", "fixed", nullable=False),
                   column("output_bytes", "fixed", nullable=False)]

_FORMAT_OPTIONS = {"TYPE", "COMPRESSION", "RECORD_DELIMITER", "FIELD_DELIMITER", "ESCAPE",
                   "ESCAPE_UNENCLOSED_FIELD", "DATE_FORMAT", "TIME_FORMAT", "TIMESTAMP_FORMAT",
                   "BINARY_FORMAT", "FIELD_OPTIONALLY_ENCLOSED_BY", "NULL_IF", "EMPTY_FIELD_AS_NULL"}
_COPY_OPTIONS = {"OVERWRITE", "SINGLE", "MAX_FILE_SIZE", "INCLUDE_QUERY_ID", "DETAILED_OUTPUT",
                 "HEADER", "CREDENTIALS", "STORAGE_INTEGRATION", "ENCRYPTION"}
# LOC, MAX_FILE_SIZE: "Default: 16777216 (16 MB) Maximum: 5368709120 (5 GB)"
DEFAULT_MAX_FILE_SIZE = 16777216
MAX_MAX_FILE_SIZE = 5368709120
# LOC, FILE_EXTENSION: "the file extension is determined by the format type, e.g. .csv[compression],
# where compression is the extension added by the compression method". The extension each method
# adds is not listed; these are the usual ones (gzip's .gz is the documented example,
# data_0_0_0.csv.gz).
_EXTENSIONS = {"GZIP": ".gz", "ZSTD": ".zst", "BZ2": ".bz2", "NONE": ""}


class UnloadStatement:
    def __init__(self):
        self.target = None       # ("stage", name, path) or ("url", "s3://bucket/path")
        self.query = None        # the SELECT whose rows are unloaded (Snowflake SQL)
        self.file_format = {}
        self.options = {}


def is_unload(sql: str) -> bool:
    toks = sf_sql.significant(sf_sql.tokenize(sql))
    if len(toks) < 3 or toks[0].upper() != "COPY" or toks[1].upper() != "INTO":
        return False
    t = toks[2]
    if t.kind == "stage":
        return True
    if t.kind == "string":
        v = sf_sql.string_value(t.text)
        return v.startswith("@") or re.match(r"^(s3|s3gov|s3china|gcs|azure)://", v, re.I) is not None
    return False


def parse_unload(sql: str) -> UnloadStatement:
    all_toks = sf_sql.tokenize(sql)
    sig = [k for k, t in enumerate(all_toks) if t.kind not in ("ws", "line_comment", "block_comment")]
    toks = [all_toks[k] for k in sig]
    u = UnloadStatement()
    t = toks[2]
    if t.kind == "stage":
        u.target = ("stage",) + sf_sql.parse_stage_ref(t.text)
    else:
        v = sf_sql.string_value(t.text)
        if v.startswith("@"):
            u.target = ("stage",) + sf_sql.parse_stage_ref(v)
        elif v.lower().startswith("s3://"):
            u.target = ("url", v)
        else:
            raise unsupported("Unloading to a location other than an S3 stage or URL")
    i = 3
    if i >= len(toks) or toks[i].upper() != "FROM":
        raise SqlError("001003", "42000", "SQL compilation error:\nsyntax error: FROM expected")
    i += 1
    if toks[i].text == "(":
        depth, j = 0, i
        while j < len(toks):
            if toks[j].text == "(":
                depth += 1
            elif toks[j].text == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(toks):
            raise SqlError("001003", "42000", "SQL compilation error:\nsyntax error: ')' expected")
        u.query = "".join(x.text for x in all_toks[sig[i] + 1:sig[j]]).strip()
        i = j + 1
    else:
        name, i = sf_sql._name_tokens(toks, i)
        if not name:
            raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error near "
                                              f"'{toks[i].text}'")
        u.query = "SELECT * FROM " + "".join(x.text for x in name)
    while i < len(toks):
        t = toks[i]
        if t.kind == "punct" and t.text == ";":
            break
        word = t.upper()
        if word == "PARTITION":
            raise unsupported("COPY INTO <location> with PARTITION BY")
        if t.kind != "word" or i + 1 >= len(toks) or toks[i + 1].text != "=":
            raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error line 1 "
                                              f"unexpected '{t.text}'.")
        value, i = sf_sql._value(toks, i + 2)
        if word == "FILE_FORMAT":
            if not isinstance(value, dict):
                raise unsupported("FILE_FORMAT other than an inline (TYPE = ...) list")
            u.file_format = value
        elif word == "VALIDATION_MODE":
            raise unsupported("COPY INTO <location> with VALIDATION_MODE")
        else:
            u.options[word] = value
    return u


def _char_option(value, name):
    """A delimiter / enclosure / escape option: NONE, a character, or LOC's forms "Octal values
    (prefixed by \\\\) or hex values (prefixed by 0x or \\x)"."""
    if value in (None, "NONE", False):
        return None
    v = str(value)
    if re.fullmatch(r"0[xX][0-9a-fA-F]{2}", v):
        return chr(int(v[2:], 16))
    if re.fullmatch(r"\\[0-7]{3}", v):
        return chr(int(v[1:], 8))
    if v == "":
        raise SqlError("001003", "42000", f"SQL compilation error:\n{name} cannot be empty")
    return v


def _bool(v, name):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.upper() in ("TRUE", "FALSE"):
        return v.upper() == "TRUE"
    raise SqlError("001003", "42000", f"SQL compilation error:\ninvalid value for {name}: {v!r}")


class UnloadFormat:
    def __init__(self, opts: dict):
        unknown = set(opts) - _FORMAT_OPTIONS
        if unknown:
            raise unsupported(f"File format option {sorted(unknown)[0]} when unloading")
        if str(opts.get("TYPE", "CSV")).upper() != "CSV":
            raise unsupported(f"Unloading with TYPE = {opts['TYPE']}")
        # LOC, COMPRESSION: "AUTO: Unloaded files are automatically compressed using the default,
        # which is gzip."
        c = str(opts.get("COMPRESSION", "AUTO")).upper()
        self.compression_given = c not in ("AUTO",)
        self.compression = "GZIP" if c == "AUTO" else c
        if self.compression not in _EXTENSIONS:
            raise unsupported(f"Unloading with COMPRESSION = {c}")
        # LOC: FIELD_DELIMITER "Default: comma (,)"; RECORD_DELIMITER "Default: New line character"
        self.delimiter = _char_option(opts.get("FIELD_DELIMITER", ","), "FIELD_DELIMITER")
        self.record = _char_option(opts.get("RECORD_DELIMITER", "\n"), "RECORD_DELIMITER")
        if self.delimiter is None or self.record is None:
            raise unsupported("Unloading with FIELD_DELIMITER or RECORD_DELIMITER = NONE")
        # LOC: "The delimiter for RECORD_DELIMITER or FIELD_DELIMITER cannot be a substring of the
        # delimiter for the other file format option"; "limited to a maximum of 20 characters".
        if self.delimiter in self.record or self.record in self.delimiter or \
                len(self.delimiter) > 20 or len(self.record) > 20:
            raise SqlError("001003", "42000", "SQL compilation error:\nFIELD_DELIMITER and "
                           "RECORD_DELIMITER must not be substrings of each other (at most 20 "
                           "characters each)")
        self.enclose = _char_option(opts.get("FIELD_OPTIONALLY_ENCLOSED_BY", "NONE"),
                                    "FIELD_OPTIONALLY_ENCLOSED_BY")
        # LOC: "Value can be NONE, single quote character ('), or double quote character (")."
        if self.enclose not in (None, "'", '"'):
            raise SqlError("001003", "42000", "SQL compilation error:\nFIELD_OPTIONALLY_ENCLOSED_BY "
                                              "must be NONE, ' or \"")
        # LOC, ESCAPE: "If this option is set, it overrides the escape character set for
        # ESCAPE_UNENCLOSED_FIELD." ESCAPE_UNENCLOSED_FIELD: "Default: backslash (\\)".
        self.escape = _char_option(opts.get("ESCAPE", "NONE"), "ESCAPE")
        self.escape_unenclosed = _char_option(opts.get("ESCAPE_UNENCLOSED_FIELD", "\\"),
                                              "ESCAPE_UNENCLOSED_FIELD")
        if self.escape is not None:
            self.escape_unenclosed = self.escape
        for c_ in (self.escape, self.escape_unenclosed):
            if c_ is not None and len(c_) != 1:
                raise SqlError("001003", "42000", "SQL compilation error:\nan escape character is "
                                                  "a single character")
        # LOC, NULL_IF: "Snowflake converts SQL NULL values to the first value in the list.
        # Default: \\N"
        null_if = opts.get("NULL_IF", ["\\N"])
        self.null_if = null_if if isinstance(null_if, list) else [null_if]
        self.empty_as_null = _bool(opts.get("EMPTY_FIELD_AS_NULL", True), "EMPTY_FIELD_AS_NULL")
        # LOC: DATE_FORMAT / TIME_FORMAT / TIMESTAMP_FORMAT "If a value is not specified or is set
        # to AUTO, the value for the DATE_OUTPUT_FORMAT (TIME_OUTPUT_FORMAT,
        # TIMESTAMP_OUTPUT_FORMAT) parameter is used."
        self.date_format = self._dt_format(opts.get("DATE_FORMAT", "AUTO"))
        self.time_format = self._dt_format(opts.get("TIME_FORMAT", "AUTO"))
        self.timestamp_format = self._dt_format(opts.get("TIMESTAMP_FORMAT", "AUTO"))
        # LOC: BINARY_FORMAT = HEX | BASE64 | UTF8, "Default: HEX"
        self.binary_format = str(opts.get("BINARY_FORMAT", "HEX")).upper().replace("-", "")
        if self.binary_format not in ("HEX", "BASE64", "UTF8"):
            raise SqlError("001003", "42000", f"SQL compilation error:\ninvalid BINARY_FORMAT "
                                              f"{self.binary_format}")
        self.extension = ".csv" + _EXTENSIONS[self.compression]

    @staticmethod
    def _dt_format(v):
        if v is None or (isinstance(v, str) and v.upper() == "AUTO"):
            return None
        return str(v)

    def compress(self, data: bytes) -> bytes:
        if self.compression == "GZIP":
            return gzip.compress(data, mtime=0)
        if self.compression == "ZSTD":
            return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                                  check=True).stdout
        if self.compression == "BZ2":
            return bz2.compress(data)
        return data


class Undocumented(SqlError):
    """An unload whose bytes the documented rules leave open: the emulator will not guess (as
    sf_copy.Undocumented for loading)."""

    def __init__(self, what: str):
        super().__init__("000002", "0A000",
                         f"Unsupported feature: {what}. Snowflake's documentation does not say what "
                         "COPY INTO <location> writes then, so the sluice Snowflake emulator does not "
                         "unload it.")


def _refuse(what: str, where: str = ""):
    raise Undocumented(what + (f" in {where}" if where and where != "the COPY statement" else ""))


class CsvWriter:
    """Fields and records by LOC's CSV options. kinds: per column, "string" (a VARCHAR value:
    enclosed when FIELD_OPTIONALLY_ENCLOSED_BY is set) or "other"."""

    def __init__(self, fmt: UnloadFormat, where: str):
        self.f, self.where = fmt, where

    def _null(self, string):
        f = self.f
        if not f.null_if:
            _refuse("a NULL with NULL_IF = () (the value NULL is written as is not documented)",
                    self.where)
        marker = f.null_if[0]
        if f.enclose is None:
            return marker
        if string:
            # CONS, "Unloading and loading data with enclosing quotes": with
            # field_optionally_enclosed_by='0x27' null_if=('null') the row (1, NULL, 'NULL value')
            # is written 1,'null','NULL value': the marker of a string column is enclosed.
            return self._enclosed(marker)
        _refuse("a NULL in a column that is not a string while FIELD_OPTIONALLY_ENCLOSED_BY is set "
                "(the documented example shows only string columns)", self.where)

    def _enclosed(self, v):
        f = self.f
        q = f.enclose
        # LOC, FIELD_OPTIONALLY_ENCLOSED_BY: "When a field in the source table contains this
        # character, Snowflake escapes it using the same character for unloading ... A "B" C ->
        # A ""B"" C"
        if f.escape is not None and (q in v or f.escape in v):
            _refuse("an enclosed value holding the enclosure or ESCAPE character with ESCAPE set "
                    "(whether the character is doubled or escaped is not documented)", self.where)
        return q + v.replace(q, q + q) + q

    def _unenclosed(self, v, string):
        f = self.f
        if v == "" and string:
            # CONS: "If the EMPTY_FIELD_AS_NULL option is TRUE (which is prohibited), then empty
            # strings and NULL values are indistinguishable"; LOC: "When
            # FIELD_OPTIONALLY_ENCLOSED_BY = NONE, setting EMPTY_FIELD_AS_NULL = FALSE specifies to
            # unload empty strings in tables to empty string values without quotes".
            if f.empty_as_null:
                _refuse("an empty string with FIELD_OPTIONALLY_ENCLOSED_BY = NONE and "
                        "EMPTY_FIELD_AS_NULL = TRUE (the documentation calls this prohibited)",
                        self.where)
            return ""
        e = f.escape_unenclosed
        # LOC, ESCAPE_UNENCLOSED_FIELD: "You can use the ESCAPE character to interpret instances
        # of the FIELD_DELIMITER or RECORD_DELIMITER characters in the data as literals. The escape
        # character can also be used to escape instances of itself in the data."
        specials = [d for d in (f.delimiter, f.record) if d]
        if e is None:
            if any(d in v for d in specials):
                _refuse("a delimiter inside an unenclosed value without an escape character",
                        self.where)
            return v
        for d in specials:
            if len(d) > 1 and d in v:
                _refuse(f"a multi-character delimiter {d!r} inside an unenclosed value (how it is "
                        "escaped is not documented)", self.where)
        singles = {d for d in specials if len(d) == 1} | {e}
        if not any(c in singles for c in v):
            return v
        return "".join(e + c if c in singles else c for c in v)

    def field(self, v, string):
        if v is None:
            return self._null(string)
        if string and self.f.enclose is not None:
            return self._enclosed(v)
        return self._unenclosed(v, string)

    def record(self, fields) -> str:
        return self.f.delimiter.join(fields) + self.f.record


def float_text(v: float) -> str:
    """CONS, "Floating-point numbers truncated": "When floating-point number columns are unloaded
    to CSV or JSON files, Snowflake truncates the values to approximately (15,9)." The exact
    digits are not documented; the emulator writes 15 significant digits, so a client relying on
    the default loses precision as it would on Snowflake."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return "%.15g" % v


class Unloader:
    """One COPY INTO <location>: plan (names, options), then rows -> files."""

    def __init__(self, stmt: UnloadStatement, store, stage_url, handle: str):
        self.stmt, self.store, self.handle = stmt, store, handle
        opts = stmt.options
        unknown = set(opts) - _COPY_OPTIONS
        if unknown:
            raise unsupported(f"Copy option {sorted(unknown)[0]} when unloading")
        self.fmt = UnloadFormat(stmt.file_format)
        self.overwrite = _bool(opts.get("OVERWRITE", False), "OVERWRITE")
        self.single = _bool(opts.get("SINGLE", False), "SINGLE")
        self.include_query_id = _bool(opts.get("INCLUDE_QUERY_ID", False), "INCLUDE_QUERY_ID")
        self.detailed = _bool(opts.get("DETAILED_OUTPUT", False), "DETAILED_OUTPUT")
        self.header = _bool(opts.get("HEADER", False), "HEADER")
        size = opts.get("MAX_FILE_SIZE", DEFAULT_MAX_FILE_SIZE)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_MAX_FILE_SIZE:
            raise SqlError("001003", "42000", f"SQL compilation error:\nMAX_FILE_SIZE must be a "
                                              f"number of bytes up to {MAX_MAX_FILE_SIZE}")
        self.max_file_size = size
        # LOC, INCLUDE_QUERY_ID: "INCLUDE_QUERY_ID = TRUE is not supported when either of the
        # following copy options is set: SINGLE = TRUE, OVERWRITE = TRUE"
        if self.include_query_id and (self.single or self.overwrite):
            raise SqlError("001008", "22023", "SQL compilation error:\nINCLUDE_QUERY_ID = TRUE is not "
                                              "supported together with SINGLE = TRUE or OVERWRITE = TRUE")
        if self.header and self.fmt.enclose is not None:
            _refuse("HEADER = TRUE with FIELD_OPTIONALLY_ENCLOSED_BY set (whether the column names "
                    "are enclosed is not documented)", "the COPY statement")
        # where the files go
        if stmt.target[0] == "stage":
            url, path = stage_url(stmt.target[1]), stmt.target[2]
        else:
            url, path = stmt.target[1], ""
        m = re.match(r"^s3://([^/]+)/?(.*)$", url, re.IGNORECASE)
        if not m:
            raise unsupported(f"A stage location {url}")
        self.bucket, base = m.group(1), m.group(2)
        if stmt.target[0] == "url":
            base, path = "", base
        if base and not base.endswith("/"):
            base += "/"
        self.base = base
        # LOC: "The optional path parameter specifies a folder and filename prefix for the
        # file(s) containing unloaded data. If a filename prefix is not included in path ... the
        # filenames for the generated data files are prefixed with data_." "Relative path modifiers
        # such as /./ and /../ are interpreted literally".
        folder, _, last = path.rpartition("/")
        self.folder = folder + "/" if folder or path.startswith("/") else ""
        if self.single:
            # LOC, SINGLE: "If SINGLE = TRUE, then COPY ignores the FILE_EXTENSION file format
            # option and outputs a file simply named data. To specify a file extension, provide a
            # filename and extension in the internal or external location path." "if the
            # COMPRESSION file format option is also explicitly set ..., then the specified ...
            # location path must end in a filename with the corresponding file extension"
            self.single_name = last or "data"
            ext = _EXTENSIONS[self.fmt.compression]
            if self.fmt.compression_given and ext and not self.single_name.endswith(ext):
                _refuse(f"SINGLE = TRUE with COMPRESSION = {self.fmt.compression} and a file name "
                        f"without {ext} (the documentation says the path must end in it)",
                        "the COPY statement")
            self.prefix = None
        else:
            if last and not last.endswith("_"):
                # OVER: "Snowflake appends a suffix that ensures each file name is unique across
                # parallel execution threads; e.g. data_stats_0_1_0": whether a '_' is put
                # between a prefix and the suffix is not documented beyond that example.
                _refuse(f"the file name prefix {last!r}, which does not end in '_' (the "
                        "separator before the suffix is not documented)", "the COPY statement")
            if last and self.include_query_id:
                _refuse("INCLUDE_QUERY_ID = TRUE with a file name prefix (the documentation gives "
                        "only <path>/data_<uuid>_<name>.<extension>)", "the COPY statement")
            self.prefix = last or "data_"

    def file_name(self, index: int, thread: int = 0) -> str:
        """The path of the index-th file under the location (what file_name reports)."""
        if self.single:
            return self.folder + self.single_name
        # LOC, INCLUDE_QUERY_ID: "The UUID is the query ID of the COPY statement used to unload
        # the data files. The UUID is a segment of the filename: <path>/data_<uuid>_<name>.
        # <extension>" (example data_019260c2-00c0-f2f2-0000-4383001cf046_0_0_0.snappy.parquet);
        # without it: data_0_0_0.csv.gz (CONS). The numbers are the emulator's one "thread".
        uuid = self.handle + "_" if self.include_query_id else ""
        return f"{self.folder}{self.prefix}{uuid}0_{thread}_{index}{self.fmt.extension}"

    def key(self, name: str) -> str:
        return self.base + name

    # --- rows -> files ----------------------------------------------------------------------

    def _text(self, v, type_):
        """A value as the file's text (None for NULL) and whether it is a string (enclosed)."""
        if v is None:
            return None
        if type_ == "text":
            return v
        if type_ == "fixed":
            return format(v, "f") if not isinstance(v, int) else str(v)
        if type_ == "real":
            return float_text(float(v))
        if type_ == "boolean":
            return "true" if v else "false"
        if type_ == "binary":
            data = bytes.fromhex(v) if isinstance(v, str) else bytes(v)
            if self.fmt.binary_format == "HEX":
                return data.hex().upper()
            if self.fmt.binary_format == "BASE64":
                return base64.b64encode(data).decode()
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                _refuse("BINARY_FORMAT = UTF8 for bytes that are not UTF-8", self.where)
        if type_ in ("variant", "object", "array"):
            # LOC, usage notes: "By default, VARIANT columns are converted into simple JSON strings
            # in the output file." An OBJECT or ARRAY is written as JSON text without spaces; a
            # VARIANT holding a string is refused (whether "simple JSON strings" keeps its quotes
            # is not documented), and so is any VARIANT with FIELD_OPTIONALLY_ENCLOSED_BY (whether
            # it is enclosed like a string is not documented).
            if self.fmt.enclose is not None:
                _refuse("a VARIANT/OBJECT/ARRAY column with FIELD_OPTIONALLY_ENCLOSED_BY set",
                        self.where)
            if isinstance(v, str):
                _refuse("a VARIANT holding a string (use TO_JSON or TO_VARCHAR)", self.where)
            return sf_types.dump_json(v)
        return str(v)  # dates and times: formatted by PostgreSQL (see the emulator's wrapper)

    where = "the unloaded data"

    def run(self, batches, columns, fault=None):
        """batches: iterables of rows; columns: [(name, rowType type)]. Writes the files and
        returns (rowType, rows) of the result. fault: None, "retry" or "error" (see the emulator's
        docstring)."""
        self.writer = CsvWriter(self.fmt, self.where)
        types = [t for _, t in columns]
        strings = [t == "text" for t in types]
        header = self.writer.record([self.writer.field(n, False) for n, _ in columns]).encode() \
            if self.header else b""
        self.written, self.strays = [], []
        results = []
        buf, nrows = [], 0
        size = 0

        def flush():
            nonlocal buf, nrows, size
            if not nrows:
                return
            raw = b"".join(buf)
            index = len(results)
            if fault == "retry" and index == 0 and not self.single:
                # LOC, OVERWRITE: "in the rare event of a machine or network failure, the unload
                # job is retried. In that scenario, the unload operation writes additional files
                # to the stage without first removing any files that were previously written by
                # the first attempt." The first attempt's file here: this file's rows under
                # another thread's name. With INCLUDE_QUERY_ID = TRUE, LOC: "the unload operation
                # removes any files that were written to the stage with the UUID of the current
                # query ID and then attempts to unload the data again": written, then removed.
                stray = self.file_name(0, thread=1)
                self._put(stray, self.fmt.compress(raw))
                if self.include_query_id:
                    self.store.delete_object(self.bucket, self.key(stray))
                    self.written.remove(stray)
                else:
                    self.strays.append(stray)
            name = self.file_name(index)
            data = self.fmt.compress(raw)
            self._put(name, data)
            results.append((name, len(data), nrows, len(raw)))
            buf, nrows, size = [], 0, 0
            if fault == "error":
                # LOC, usage notes: "A failed unload operation can still result in unloaded data
                # files (for example, if the statement is canceled or exceeds its timeout limit)."
                raise _FaultAfterWrite()

        for batch in batches:
            for row in batch:
                fields = [self.writer.field(self._text(v, t), s)
                          for v, t, s in zip(row, types, strings)]
                rec = self.writer.record(fields).encode("utf-8")
                if not nrows:
                    buf, size = [header], len(header)
                if self.single:
                    if size + len(rec) > self.max_file_size:
                        self._remove_written()
                        _refuse(f"SINGLE = TRUE and more than MAX_FILE_SIZE = {self.max_file_size} "
                                "bytes (the documentation's example raises MAX_FILE_SIZE to fit)",
                                self.where)
                elif nrows and size + len(rec) > self.max_file_size:
                    # LOC, MAX_FILE_SIZE: "Specifies the maximum size (in bytes) of each file to
                    # be generated"; "The COPY command unloads one set of table rows at a time. If
                    # you set a very small MAX_FILE_SIZE value ..., the amount of data in a set of
                    # rows could exceed the specified size." Files end at a row (a set of one row
                    # here) before the uncompressed bytes would pass it.
                    flush()
                    buf, size = [header], len(header)
                buf.append(rec)
                size += len(rec)
                nrows += 1
        flush()
        # LOC, usage notes: "If the source table contains 0 rows, then the COPY operation does not
        # unload a data file."
        if self.detailed:
            return DETAILED_COLUMNS, [[n, str(s), str(r)] for n, s, r, _ in results]
        return SUMMARY_COLUMNS, [[str(sum(r for _, _, r, _ in results)),
                                  str(sum(u for _, _, _, u in results)),
                                  str(sum(s for _, s, _, _ in results))]]

    def _put(self, name, data):
        key = self.key(name)
        if not self.overwrite:
            try:
                self.store.head_object(self.bucket, key)
                exists = True
            except Exception:  # S3Error NoSuchKey
                exists = False
            if exists:
                self._remove_written()
                # LOC, OVERWRITE: "Boolean that specifies whether the COPY command overwrites
                # existing files with matching names" -- what FALSE does with one is not said.
                _refuse(f"a file named {name} already at the location with OVERWRITE = FALSE",
                        self.where)
        self.store.put_object(self.bucket, key, data, "application/octet-stream")
        self.written.append(name)

    def _remove_written(self):
        for name in self.written:
            self.store.delete_object(self.bucket, self.key(name))
        self.written = []


class _FaultAfterWrite(Exception):
    """The "error" fault: the statement fails after its first file was written."""

"""Snowflake's data types on PostgreSQL, for the SQL API emulator: how a Snowflake type name is
read (parse_type), what a column of that type is in PostgreSQL (a domain named after the type, so
the catalog says what the column was declared as), the SQL that installs the PostgreSQL side
(INSTALL_SQL) and the Python side of the values (jsonv2 encodings, see sf_results.py).

Sources (the documented facts each rule follows are cited where it is implemented):
  TYPES  = https://docs.snowflake.com/en/sql-reference/intro-summary-data-types
  NUMERIC = https://docs.snowflake.com/en/sql-reference/data-types-numeric
  TEXT   = https://docs.snowflake.com/en/sql-reference/data-types-text
  DT     = https://docs.snowflake.com/en/sql-reference/data-types-datetime
  DTIO   = https://docs.snowflake.com/en/sql-reference/date-time-input-output
  FMT    = https://docs.snowflake.com/en/sql-reference/sql-format-models
  TOCHAR = https://docs.snowflake.com/en/sql-reference/functions/to_char
  COLS   = https://docs.snowflake.com/en/sql-reference/info-schema/columns

Storage. PostgreSQL has no nanoseconds and its timestamptz keeps no offset, while Snowflake's TIME
and TIMESTAMP_* hold up to 9 fractional digits (DT: "Timestamp precision can range from 0 (seconds)
to 9 (nanoseconds). The default precision is 9.") and TIMESTAMP_TZ "internally stores UTC values
together with an associated time zone offset" (DT). So TIME, TIMESTAMP_NTZ/LTZ/TZ and BINARY are
PostgreSQL base types of their own (_sfemu.sftime, sfntz, sfltz, sftz, sfbinary) whose storage is
text in one canonical spelling, normalized when a row is written (a BEFORE INSERT OR UPDATE
trigger the emulator attaches to each table with such columns), with their own comparison
operators, btree operator classes, MIN/MAX, casts and TO_VARCHAR. Their I/O functions are
PostgreSQL's own text I/O (LANGUAGE internal), which needs a superuser: the emulator's database
role is one in every harness (initdb -U).

Canonical spellings (what a stored value looks like to psql; every value of a column has this form):
  TIME           HH24:MI:SS[.f]                      f: 1 to 9 digits, trailing zeros removed
  TIMESTAMP_NTZ  YYYY-MM-DD HH24:MI:SS[.f]           the wallclock
  TIMESTAMP_LTZ  YYYY-MM-DD HH24:MI:SS[.f]+00:00     the instant, in UTC
  TIMESTAMP_TZ   YYYY-MM-DD HH24:MI:SS[.f] +HH:MM    the value's wallclock and its own offset
  BINARY         upper-case hex
The NTZ and TIME spellings are PostgreSQL's own output for timestamp and time (with up to 9
digits), so a table made LIKE an emulator table and filled by psql holds the same text.
"""

import datetime
import decimal
import json
import re

# --- type names -------------------------------------------------------------------------------

MAX_VARCHAR = 16777216      # TYPES: "VARCHAR ... Default length is 16777216 bytes."
MAX_VARCHAR_2025 = 134217728  # TYPES: "Maximum length is 134217728 bytes."
MAX_BINARY = 8388608        # TEXT, BINARY: "The maximum length is 8 MB (8,388,608 bytes)" (default)
PG_MAX_VARCHAR = 10485760   # PostgreSQL's varchar(n) limit; longer ones are text with a CHECK

# Words that name a type (upper case) -> kind. TYPES: "DECIMAL, NUMERIC: Synonymous with NUMBER.";
# "INT, INTEGER, BIGINT, SMALLINT, TINYINT, BYTEINT: Synonymous with NUMBER, except precision and
# scale can't be specified."; "FLOAT, FLOAT4, FLOAT8"; "DOUBLE, DOUBLE PRECISION, REAL: Synonymous
# with FLOAT."; "CHAR, CHARACTER: Synonymous with VARCHAR, except the default length is
# VARCHAR(1)."; "STRING, TEXT: Synonymous with VARCHAR."; "VARBINARY: Synonymous with BINARY.";
# "DATETIME: Synonymous with TIMESTAMP_NTZ."; "TIMESTAMP: Alias for one of the TIMESTAMP variations
# (TIMESTAMP_NTZ by default)." DT adds TIMESTAMPLTZ / TIMESTAMPNTZ and the WITH [LOCAL] TIME ZONE
# spellings. TIMESTAMPTZ alone is deliberately NOT read as Snowflake's TIMESTAMP_TZ: it stays
# PostgreSQL's timestamptz (an instant, reported as TIMESTAMP_LTZ), as this emulator always read it
# (its tests and sluice's C++ tests spell PostgreSQL literals that way).
_WORDS = {
    "NUMBER": "NUMBER", "DECIMAL": "NUMBER", "NUMERIC": "NUMBER",
    "INT": "INT", "INTEGER": "INT", "BIGINT": "INT", "SMALLINT": "INT", "TINYINT": "INT",
    "BYTEINT": "INT",
    "FLOAT": "FLOAT", "FLOAT4": "FLOAT", "FLOAT8": "FLOAT", "DOUBLE": "FLOAT", "REAL": "FLOAT",
    "VARCHAR": "VARCHAR", "STRING": "STRING", "TEXT": "STRING", "NVARCHAR": "VARCHAR",
    "NVARCHAR2": "VARCHAR", "CHAR": "CHAR", "CHARACTER": "CHAR", "NCHAR": "CHAR",
    "BINARY": "BINARY", "VARBINARY": "BINARY",
    "BOOLEAN": "BOOLEAN", "DATE": "DATE", "TIME": "TIME",
    "DATETIME": "TIMESTAMP_NTZ", "TIMESTAMP": "TIMESTAMP_NTZ", "TIMESTAMP_NTZ": "TIMESTAMP_NTZ",
    "TIMESTAMPNTZ": "TIMESTAMP_NTZ", "TIMESTAMP_LTZ": "TIMESTAMP_LTZ",
    "TIMESTAMPLTZ": "TIMESTAMP_LTZ", "TIMESTAMP_TZ": "TIMESTAMP_TZ",
    "VARIANT": "VARIANT", "OBJECT": "OBJECT", "ARRAY": "ARRAY",
}

DATETIME_KINDS = {"TIME": "time", "TIMESTAMP_NTZ": "ntz", "TIMESTAMP_LTZ": "ltz",
                  "TIMESTAMP_TZ": "tz"}


class TypeError_(Exception):
    """A type spelled in a way Snowflake does not accept (the caller makes it a SqlError)."""


class SfType:
    """One Snowflake column type, as DESCRIBE and INFORMATION_SCHEMA report it."""

    def __init__(self, kind, precision=None, scale=None, length=None):
        self.kind = kind  # NUMBER FLOAT TEXT BINARY BOOLEAN DATE TIME TIMESTAMP_* VARIANT OBJECT ARRAY
        self.precision, self.scale, self.length = precision, scale, length

    def name(self) -> str:
        """The type as Snowflake spells it in DESCRIBE: NUMBER(38,0), VARCHAR(16777216), ..."""
        k = self.kind
        if k == "NUMBER":
            return f"NUMBER({self.precision},{self.scale})"
        if k == "TEXT":
            return f"VARCHAR({self.length})"
        if k == "BINARY":
            return f"BINARY({self.length})"
        if k in DATETIME_KINDS:
            return f"{k}({self.scale})"
        return k

    def domain(self) -> str:
        return '_sfemu."' + self.name() + '"'

    def domain_definition(self) -> str:
        """CREATE DOMAIN ... AS <this>: the PostgreSQL type (and checks) a column of it has."""
        k = self.kind
        if k == "NUMBER":
            return f"numeric({self.precision},{self.scale})"
        if k == "FLOAT":
            return "double precision"
        if k == "TEXT":
            if self.length <= PG_MAX_VARCHAR:
                return f"varchar({self.length})"
            return f"text CHECK (char_length(VALUE) <= {self.length})"
        if k == "BOOLEAN":
            return "boolean"
        if k == "DATE":
            return "date"
        if k == "VARIANT":
            return "jsonb"
        if k == "OBJECT":
            return "jsonb CHECK (jsonb_typeof(VALUE) = 'object')"
        if k == "ARRAY":
            return "jsonb CHECK (jsonb_typeof(VALUE) = 'array')"
        return self.cast_target()  # BINARY and the date/time types: lengths by the trigger

    def cast_target(self) -> str:
        """The PostgreSQL type of an expression cast to this type."""
        k = self.kind
        if k == "NUMBER":
            return f"numeric({self.precision},{self.scale})"
        if k == "FLOAT":
            return "double precision"
        if k == "TEXT":
            return f"varchar({self.length})" if self.length <= PG_MAX_VARCHAR else "text"
        if k == "BINARY":
            return "_sfemu.sfbinary"
        if k in ("BOOLEAN", "DATE"):
            return k.lower()
        if k in DATETIME_KINDS:
            return "_sfemu.sf" + DATETIME_KINDS[k]
        return "jsonb"

    def __repr__(self):
        return self.name()


def parse_type(words: list, args: list) -> SfType:
    """A type from its upper-case words (['DOUBLE', 'PRECISION'], ['TIMESTAMP', 'WITH', 'TIME',
    'ZONE']) and its parenthesised integer arguments."""
    first = words[0]
    kind = _WORDS[first]
    rest = words[1:]
    if first == "DOUBLE" and rest == ["PRECISION"]:
        rest = []
    if first in ("CHAR", "CHARACTER", "NCHAR") and rest == ["VARYING"]:
        kind, rest = "VARCHAR", []
    if first == "TIMESTAMP" and rest:
        spelled = " ".join(rest)
        kind = {"WITH TIME ZONE": "TIMESTAMP_TZ", "WITH LOCAL TIME ZONE": "TIMESTAMP_LTZ",
                "WITHOUT TIME ZONE": "TIMESTAMP_NTZ"}.get(spelled)
        if kind is None:
            raise TypeError_(f"TIMESTAMP {spelled}")
        rest = []
    if rest:
        raise TypeError_(" ".join(words))
    if kind == "NUMBER":
        # NUMERIC: "By default, precision is 38, and scale is 0"; "The maximum scale ... is 37."
        p = args[0] if args else 38
        s = args[1] if len(args) > 1 else 0
        if len(args) > 2 or not 1 <= p <= 38 or not 0 <= s <= min(p, 37):
            raise TypeError_(f"NUMBER({', '.join(map(str, args))})")
        return SfType("NUMBER", p, s)
    if kind == "INT":
        if args:  # TYPES: "... except precision and scale can't be specified"
            raise TypeError_(f"{first}({', '.join(map(str, args))})")
        return SfType("NUMBER", 38, 0)
    if kind == "FLOAT":
        if args:
            raise TypeError_(f"{first} with a precision")
        return SfType("FLOAT")
    if kind in ("VARCHAR", "STRING", "CHAR"):
        if len(args) > 1 or (args and not 1 <= args[0] <= MAX_VARCHAR_2025):
            raise TypeError_(f"{first}({', '.join(map(str, args))})")
        default = 1 if kind == "CHAR" else MAX_VARCHAR
        if kind == "STRING" and args:
            raise TypeError_(f"{first}({args[0]})")
        return SfType("TEXT", length=args[0] if args else default)
    if kind == "BINARY":
        if len(args) > 1 or (args and not 1 <= args[0] <= MAX_BINARY):
            raise TypeError_(f"{first}({', '.join(map(str, args))})")
        return SfType("BINARY", length=args[0] if args else MAX_BINARY)
    if kind in DATETIME_KINDS:
        if len(args) > 1 or (args and not 0 <= args[0] <= 9):
            raise TypeError_(f"{first}({', '.join(map(str, args))})")
        return SfType(kind, precision=0, scale=args[0] if args else 9)
    if args:
        raise TypeError_(f"{first}({', '.join(map(str, args))})")
    return SfType(kind)


def is_type_word(word: str) -> bool:
    return word in _WORDS


_DOMAIN_RE = re.compile(r"^(NUMBER|VARCHAR|BINARY|TIME|TIMESTAMP_NTZ|TIMESTAMP_LTZ|TIMESTAMP_TZ)"
                        r"(?:\((\d+)(?:,(\d+))?\))?$|^(FLOAT|BOOLEAN|DATE|VARIANT|OBJECT|ARRAY)$")


def from_domain(name: str):
    """The SfType a domain in _sfemu stands for (its name is the type's DESCRIBE spelling)."""
    m = _DOMAIN_RE.match(name or "")
    if not m:
        return None
    if m.group(4):
        return SfType(m.group(4))
    head, a, b = m.group(1), m.group(2), m.group(3)
    if head == "NUMBER":
        return SfType("NUMBER", int(a), int(b))
    if head == "VARCHAR":
        return SfType("TEXT", length=int(a))
    if head == "BINARY":
        return SfType("BINARY", length=int(a))
    return SfType(head, precision=0, scale=int(a))


# --- canonical values, Python side ----------------------------------------------------------

_FRAC = r"(?:\.(\d{0,8}[1-9]))?"
CANON = {
    "time": re.compile(r"^(\d\d):(\d\d):(\d\d)" + _FRAC + "$"),
    "ntz": re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)" + _FRAC + "$"),
    "ltz": re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)" + _FRAC + r"\+00:00$"),
    "tz": re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)" + _FRAC +
                     r" ([+-])(\d\d):(\d\d)$"),
}
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


class NotCanonical(ValueError):
    pass


def _ns_of(m, date=True):
    g = m.groups()
    frac = int((g[6 if date else 3] or "").ljust(9, "0"))
    if date:
        days = datetime.date(int(g[0]), int(g[1]), int(g[2])).toordinal() - _EPOCH_ORDINAL
        secs = days * 86400 + int(g[3]) * 3600 + int(g[4]) * 60 + int(g[5])
    else:
        secs = int(g[0]) * 3600 + int(g[1]) * 60 + int(g[2])
    return secs * 1_000_000_000 + frac


def parts(text: str, kind: str):
    """(nanoseconds, offset minutes or None) of a canonical value: for TIME since midnight, for
    NTZ since the epoch as if the wallclock were UTC, for LTZ/TZ the instant since the epoch."""
    m = CANON[kind].match(text)
    if not m:
        raise NotCanonical(f"{kind} value {text!r} is not in the emulator's canonical form")
    if kind == "time":
        return _ns_of(m, date=False), None
    ns = _ns_of(m)
    if kind != "tz":
        return ns, None
    off = (int(m.group(9)) * 60 + int(m.group(10))) * (-1 if m.group(8) == "-" else 1)
    return ns - off * 60_000_000_000, off


def seconds9(ns: int) -> str:
    """jsonv2's "seconds with 9 decimal places" for a count of nanoseconds."""
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def canonical_from_ns(ns: int, kind: str, offset_minutes: int = 0) -> str:
    """The canonical text of a value given as nanoseconds (bindings: the SQL API binds TIME as
    nanoseconds since midnight and TIMESTAMP_* as nanoseconds since the epoch)."""
    if kind == "tz":
        ns += offset_minutes * 60_000_000_000
    secs, frac = divmod(ns, 1_000_000_000)
    f = f"{frac:09d}".rstrip("0")
    f = "." + f if f else ""
    if kind == "time":
        secs %= 86400
        return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{f}"
    days, rem = divmod(secs, 86400)
    d = datetime.date.fromordinal(_EPOCH_ORDINAL + days)
    text = f"{d.isoformat()} {rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}{f}"
    if kind == "ltz":
        return text + "+00:00"
    if kind == "tz":
        sign = "-" if offset_minutes < 0 else "+"
        o = abs(offset_minutes)
        return f"{text} {sign}{o // 60:02d}:{o % 60:02d}"
    return text


# --- JSON (VARIANT) ---------------------------------------------------------------------------

def load_json(text):
    """A jsonb value as Python, numbers exact (Decimal for fractions)."""
    return json.loads(text, parse_float=decimal.Decimal)


def dump_json(value, indent=None, sort_keys=True) -> str:
    """json.dumps, but Decimal written as it is and object keys sorted (Snowflake prints OBJECT
    keys in order; PostgreSQL's jsonb keeps them shortest first)."""
    def scalar(v):
        if isinstance(v, decimal.Decimal):
            return str(v)
        return json.dumps(v, ensure_ascii=False)

    def walk(v, depth):
        if isinstance(v, dict):
            if not v:
                return "{}"
            keys = sorted(v) if sort_keys else list(v)
            items = [json.dumps(k, ensure_ascii=False) + (": " if indent else ":") + walk(v[k], depth + 1)
                     for k in keys]
            return _join("{", "}", items, depth)
        if isinstance(v, list):
            if not v:
                return "[]"
            return _join("[", "]", [walk(x, depth + 1) for x in v], depth)
        return scalar(v)

    def _join(open_, close, items, depth):
        if not indent:
            return open_ + ",".join(items) + close
        pad = "\n" + " " * (indent * (depth + 1))
        return open_ + pad + ("," + pad).join(items) + "\n" + " " * (indent * depth) + close

    return walk(value, 0)


# --- PostgreSQL side --------------------------------------------------------------------------

_BASE_TYPES = ["sftime", "sfntz", "sfltz", "sftz", "sfbinary"]
KIND_OF_BASE = {"sftime": "time", "sfntz": "ntz", "sfltz": "ltz", "sftz": "tz", "sfbinary": "bin"}


def _type_sql(t):
    return [
        f"CREATE TYPE _sfemu.{t}",
        f"CREATE OR REPLACE FUNCTION _sfemu.{t}_in(cstring) RETURNS _sfemu.{t} AS 'textin' "
        "LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE",
        f"CREATE OR REPLACE FUNCTION _sfemu.{t}_out(_sfemu.{t}) RETURNS cstring AS 'textout' "
        "LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE",
        f"CREATE OR REPLACE FUNCTION _sfemu.{t}_recv(internal) RETURNS _sfemu.{t} AS 'textrecv' "
        "LANGUAGE internal STABLE STRICT PARALLEL SAFE",
        f"CREATE OR REPLACE FUNCTION _sfemu.{t}_send(_sfemu.{t}) RETURNS bytea AS 'textsend' "
        "LANGUAGE internal STABLE STRICT PARALLEL SAFE",
        f"CREATE TYPE _sfemu.{t} (INPUT = _sfemu.{t}_in, OUTPUT = _sfemu.{t}_out, "
        f"RECEIVE = _sfemu.{t}_recv, SEND = _sfemu.{t}_send, INTERNALLENGTH = VARIABLE, "
        "STORAGE = extended, CATEGORY = 'U')",
        # the stored text of a value (never a cast to text: that one formats, as TO_VARCHAR)
        f"CREATE OR REPLACE FUNCTION _sfemu.raw(_sfemu.{t}) RETURNS text LANGUAGE sql IMMUTABLE "
        f"STRICT PARALLEL SAFE AS $$ SELECT _sfemu.{t}_out($1)::text $$",
        f"CREATE OR REPLACE FUNCTION _sfemu.{t}_of(text) RETURNS _sfemu.{t} LANGUAGE sql "
        f"IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT _sfemu.{t}_in($1::cstring) $$",
    ]


_CORE_SQL = [
    # Session parameters (DTIO, "Output formats"; defaults as the parameters reference gives them,
    # e.g. TIMESTAMP_OUTPUT_FORMAT = YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM, TIMESTAMP_NTZ_OUTPUT_FORMAT =
    # YYYY-MM-DD HH24:MI:SS.FF3, TIMESTAMP_LTZ/TZ_OUTPUT_FORMAT = '' (the generic one applies),
    # TIME_OUTPUT_FORMAT = HH24:MI:SS, DATE_OUTPUT_FORMAT = YYYY-MM-DD, TIMEZONE =
    # America/Los_Angeles). The emulator sets sfemu.* for each request from its "parameters".
    r"""CREATE OR REPLACE FUNCTION _sfemu.param(name text) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT coalesce(nullif(current_setting('sfemu.' || lower(name), true), ''),
        CASE upper(name) WHEN 'DATE_OUTPUT_FORMAT' THEN 'YYYY-MM-DD'
          WHEN 'TIME_OUTPUT_FORMAT' THEN 'HH24:MI:SS'
          WHEN 'TIMESTAMP_OUTPUT_FORMAT' THEN 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM'
          WHEN 'TIMESTAMP_NTZ_OUTPUT_FORMAT' THEN 'YYYY-MM-DD HH24:MI:SS.FF3'
          WHEN 'BINARY_OUTPUT_FORMAT' THEN 'HEX' ELSE '' END) $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.output_format(kind text) RETURNS text LANGUAGE sql
      STABLE AS $$ SELECT CASE kind WHEN 'date' THEN _sfemu.param('DATE_OUTPUT_FORMAT')
        WHEN 'time' THEN _sfemu.param('TIME_OUTPUT_FORMAT')
        ELSE coalesce(nullif(_sfemu.param('TIMESTAMP_' || upper(kind) || '_OUTPUT_FORMAT'), ''),
                      _sfemu.param('TIMESTAMP_OUTPUT_FORMAT')) END $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.fail(state text, message text) RETURNS text
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message; END $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.frac(f text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE WHEN rtrim(coalesce(f, ''), '0') = '' THEN '' ELSE '.' || rtrim(f, '0') END $$""",
    # A date/time value in any spelling Snowflake reads (DTIO, "Supported formats for AUTO
    # detection"; PostgreSQL's parser reads those) -> canonical text. What the spelling leaves out
    # follows DT: NTZ "stores 'wallclock' time ... All operations are performed without taking any
    # time zone into account" (an offset in the text is ignored, as in DT's example
    # '2024-01-02 16:00:00 +00:00' -> 16:00 NTZ); LTZ "internally stores UTC values"; TZ "When a
    # time zone isn't provided, the session time zone offset is used." p: the column's precision;
    # a value with more fractional digits than p is refused (whether Snowflake rounds or truncates
    # is not documented).
    r"""CREATE OR REPLACE FUNCTION _sfemu.dt_norm(v text, kind text, p int DEFAULT 9) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
    DECLARE
      s text := btrim(v); m text[]; f text := ''; rest text; w timestamp; i timestamptz;
      off int; o text; what text := CASE kind WHEN 'time' THEN 'Time' ELSE 'Timestamp' END;
    BEGIN
      IF v IS NULL THEN RETURN NULL; END IF;
      IF (kind = 'ntz' AND s ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{0,8}[1-9])?$')
         OR (kind = 'time' AND s ~ '^\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?$')
         OR (kind = 'ltz' AND s ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{0,8}[1-9])?\+00:00$')
         OR (kind = 'tz' AND s ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{0,8}[1-9])? [+-]\d\d:\d\d$')
      THEN
        o := s;
        IF kind <> 'time' AND substr(s, 1, 4)::int = 0 THEN
          PERFORM _sfemu.fail('22007', format('%s ''%s'' is not recognized', what, v));
        END IF;
      ELSE
        IF s = '' OR s ~* '^[+-]?(now|today|tomorrow|yesterday|epoch|infinity|allballs)$' THEN
          PERFORM _sfemu.fail('22007', format('%s ''%s'' is not recognized', what, v));
        END IF;
        m := regexp_match(s, '^(.*?\d:\d\d:\d\d)\.(\d+)(.*)$');
        IF m IS NULL THEN rest := s; ELSE f := m[2]; rest := m[1] || m[3]; END IF;
        IF length(f) > 9 THEN
          PERFORM _sfemu.fail('22007', format('%s ''%s'' is not recognized', what, v));
        END IF;
        BEGIN
          IF kind = 'time' THEN
            IF rest ~ '^\s*24:' THEN RAISE invalid_datetime_format; END IF;
            o := to_char(date '2000-01-01' + rest::time, 'HH24:MI:SS');
          ELSIF kind = 'ntz' THEN
            w := rest::timestamp;
            o := to_char(w, 'YYYY-MM-DD HH24:MI:SS');
          ELSE
            i := rest::timestamptz;
            w := i AT TIME ZONE 'UTC';
            IF kind = 'ltz' THEN
              o := to_char(w, 'YYYY-MM-DD HH24:MI:SS');
            ELSE
              off := round(extract(epoch FROM (rest::timestamp - w)) / 60);
              w := rest::timestamp;
              o := to_char(w, 'YYYY-MM-DD HH24:MI:SS');
            END IF;
          END IF;
          IF kind <> 'time' AND (extract(year FROM w) < 1 OR extract(year FROM w) > 9999
                                 OR to_char(w, 'BC') = 'BC') THEN
            RAISE invalid_datetime_format;
          END IF;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
                  OR invalid_time_zone_displacement_value OR invalid_parameter_value
                  OR data_exception THEN
          PERFORM _sfemu.fail('22007', format('%s ''%s'' is not recognized', what, v));
        END;
        o := o || _sfemu.frac(f);
        IF kind = 'ltz' THEN o := o || '+00:00';
        ELSIF kind = 'tz' THEN
          o := o || CASE WHEN off < 0 THEN ' -' ELSE ' +' END || lpad((abs(off) / 60)::text, 2, '0')
                 || ':' || lpad((abs(off) % 60)::text, 2, '0');
        END IF;
      END IF;
      m := regexp_match(o, '\.(\d+)');
      IF m IS NOT NULL AND length(m[1]) > p THEN
        PERFORM _sfemu.fail('0A000', format('Unsupported feature: the value ''%s'' has more '
          'fractional digits than the column''s precision %s. Snowflake''s documentation does not '
          'say whether it rounds or truncates, so the sluice Snowflake emulator refuses it.', v, p));
      END IF;
      RETURN o;
    END $$""",
    # BINARY from text: TOCHAR / binary input: the default BINARY_INPUT_FORMAT is HEX.
    r"""CREATE OR REPLACE FUNCTION _sfemu.bin_norm(v text, n int DEFAULT 8388608) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
    BEGIN
      IF v IS NULL THEN RETURN NULL; END IF;
      IF v !~ '^([0-9A-Fa-f]{2})*$' THEN
        PERFORM _sfemu.fail('22023', format('The following string is not a legal hex-encoded '
                                           'value: ''%s''', v));
      END IF;
      IF length(v) / 2 > n THEN
        PERFORM _sfemu.fail('22001', format('Binary value ''%s'' is too long and would be '
                                           'truncated', left(v, 32)));
      END IF;
      RETURN upper(v);
    END $$""",
    # The comparison key: the canonical text (NTZ, TIME, LTZ: its text order is time order, the
    # fractions having no trailing zeros); TIMESTAMP_TZ "values are compared based on their times in
    # UTC" (DT), so its key is the instant in LTZ's spelling. dt_key is plain SQL so that it is
    # inlined into the operators: a stored (canonical) value costs one regular expression.
    r"""CREATE OR REPLACE FUNCTION _sfemu.dt_key_slow(c text, kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE m text[]; u timestamp;
    BEGIN
      IF kind = 'bin' THEN RETURN _sfemu.bin_norm(c); END IF;
      c := _sfemu.dt_norm(c, kind);
      IF kind <> 'tz' THEN RETURN c; END IF;
      m := regexp_match(c, '^(.{19})(\.\d+)? ([+-])(\d\d):(\d\d)$');
      u := m[1]::timestamp - (CASE m[3] WHEN '-' THEN -1 ELSE 1 END
                              * (m[4]::int * 60 + m[5]::int)) * interval '1 minute';
      RETURN to_char(u, 'YYYY-MM-DD HH24:MI:SS') || coalesce(m[2], '') || '+00:00';
    END $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.dt_key(c text, kind text) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$ SELECT CASE
      WHEN kind = 'ntz' AND c ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{0,8}[1-9])?$' THEN c
      WHEN kind = 'time' AND c ~ '^\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?$' THEN c
      WHEN kind = 'ltz' AND c ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{0,8}[1-9])?\+00:00$' THEN c
      WHEN kind = 'bin' AND c ~ '^([0-9A-F]{2})*$' THEN c
      ELSE _sfemu.dt_key_slow(c, kind) END $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.dt_cmp(a text, b text, kind text) RETURNS int
    LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE WHEN _sfemu.dt_key(a, kind) COLLATE "C" < _sfemu.dt_key(b, kind) COLLATE "C" THEN -1
                  WHEN _sfemu.dt_key(a, kind) COLLATE "C" > _sfemu.dt_key(b, kind) COLLATE "C" THEN 1
                  ELSE 0 END $$""",
    # The wallclock parts of a value: local 'YYYY-MM-DD HH24:MI:SS' (or 'HH24:MI:SS'), the
    # fraction as 9 digits, the offset in minutes (NULL for NTZ and TIME). LTZ: "all operations
    # are performed in the current session's time zone" (DT), so its wallclock and offset are the
    # session time zone's at that instant.
    r"""CREATE OR REPLACE FUNCTION _sfemu.dt_local(c text, kind text, OUT local text, OUT f9 text,
      OUT off int) LANGUAGE plpgsql STABLE AS $$
    DECLARE m text[]; i timestamptz;
    BEGIN
      c := _sfemu.dt_norm(c, kind);
      IF kind = 'time' THEN
        m := regexp_match(c, '^(.{8})(?:\.(\d+))?$');
        local := m[1]; f9 := rpad(coalesce(m[2], ''), 9, '0'); RETURN;
      END IF;
      m := regexp_match(c, '^(.{19})(?:\.(\d+))?(.*)$');
      f9 := rpad(coalesce(m[2], ''), 9, '0');
      IF kind = 'ntz' THEN local := m[1];
      ELSIF kind = 'ltz' THEN
        i := (m[1] || '+00')::timestamptz;
        local := to_char(i, 'YYYY-MM-DD HH24:MI:SS');
        off := round(extract(timezone FROM i) / 60);
      ELSE
        local := m[1];
        off := (CASE substr(m[3], 2, 1) WHEN '-' THEN -1 ELSE 1 END)
               * (substr(m[3], 3, 2)::int * 60 + substr(m[3], 6, 2)::int);
      END IF;
    END $$""",
    # A date/time as text by a Snowflake format (DTIO, "About the elements used in input and output
    # formats": YYYY, YY, MM, MON, MMMM, DD, DY, HH24, HH12, AM/PM, MI, SS, FF[0-9] ("Specifying FF is
    # equivalent to FF9"), TZH:TZM, TZHTZM, TZH, UUUU; "Anything in the format between double quotes
    # or other than the above elements is ... formatted without being interpreted."). For NTZ, DT:
    # "If the output format contains a time zone, the UTC indicator (Z) is displayed." Month and day
    # names as DTIO's examples spell them (Dec, Thu); MMMM the full name ("January"). Elements a
    # value does not have (a year of a TIME, an hour of a DATE, an offset of a TIME) are refused.
    r"""CREATE OR REPLACE FUNCTION _sfemu.fmt_dt(local text, f9 text, off int, kind text, fmt text)
    RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE
      out text := ''; i int := 1; n int := length(fmt); u text; j int; d date; h int; k int;
      dt boolean := kind <> 'time'; tm boolean := kind <> 'date';
      y text; mo text; dd text; hh text; mi text; ss text;
    BEGIN
      IF dt THEN y := substr(local, 1, 4); mo := substr(local, 6, 2); dd := substr(local, 9, 2);
                 d := substr(local, 1, 10)::date; END IF;
      IF kind = 'time' THEN hh := substr(local, 1, 2); mi := substr(local, 4, 2); ss := substr(local, 7, 2);
      ELSIF tm THEN hh := substr(local, 12, 2); mi := substr(local, 15, 2); ss := substr(local, 18, 2); END IF;
      WHILE i <= n LOOP
        u := upper(substr(fmt, i, 7));
        IF substr(fmt, i, 1) = '"' THEN
          j := strpos(substr(fmt, i + 1), '"');
          IF j = 0 THEN out := out || substr(fmt, i + 1); EXIT; END IF;
          out := out || substr(fmt, i + 1, j - 1); i := i + j + 1; CONTINUE;
        END IF;
        k := 0;
        IF u LIKE 'TZH:TZM%' OR u LIKE 'TZHTZM%' OR u LIKE 'TZH%' THEN
          k := CASE WHEN u LIKE 'TZH:TZM%' THEN 7 WHEN u LIKE 'TZHTZM%' THEN 6 ELSE 3 END;
          IF kind IN ('time', 'date') THEN
            PERFORM _sfemu.fail('0A000', format('Unsupported feature: the format element %s for a '
              '%s value', substr(fmt, i, k), upper(kind)));
          ELSIF kind = 'ntz' THEN out := out || 'Z';
          ELSE
            out := out || CASE WHEN off < 0 THEN '-' ELSE '+' END || lpad((abs(off) / 60)::text, 2, '0')
              || CASE k WHEN 7 THEN ':' || lpad((abs(off) % 60)::text, 2, '0')
                        WHEN 6 THEN lpad((abs(off) % 60)::text, 2, '0') ELSE '' END;
          END IF;
        ELSIF u LIKE 'YYYY%' OR u LIKE 'UUUU%' THEN k := 4; out := out || y;
        ELSIF u LIKE 'YY%' THEN k := 2; out := out || substr(y, 3, 2);
        ELSIF u LIKE 'MMMM%' THEN k := 4; out := out || to_char(d, 'FMMonth');
        ELSIF u LIKE 'MON%' THEN k := 3; out := out || to_char(d, 'Mon');
        ELSIF u LIKE 'MM%' THEN k := 2; out := out || mo;
        ELSIF u LIKE 'MI%' THEN k := 2; out := out || mi;
        ELSIF u LIKE 'DD%' THEN k := 2; out := out || dd;
        ELSIF u LIKE 'DY%' THEN k := 2; out := out || to_char(d, 'Dy');
        ELSIF u LIKE 'HH24%' THEN k := 4; out := out || hh;
        ELSIF u LIKE 'HH12%' THEN
          k := 4; h := hh::int; out := out || lpad((((h + 11) % 12) + 1)::text, 2, '0');
        ELSIF u LIKE 'AM%' OR u LIKE 'PM%' THEN
          k := 2; out := out || CASE WHEN hh::int >= 12 THEN 'PM' ELSE 'AM' END;
        ELSIF u LIKE 'SS%' THEN k := 2; out := out || ss;
        ELSIF u LIKE 'FF%' THEN
          IF substr(u, 3, 1) ~ '^[0-9]$' THEN k := 3; h := substr(u, 3, 1)::int; ELSE k := 2; h := 9; END IF;
          IF NOT tm THEN
            PERFORM _sfemu.fail('0A000', 'Unsupported feature: fractional seconds of a DATE value');
          END IF;
          out := out || left(f9, h);
        ELSE
          out := out || substr(fmt, i, 1); i := i + 1; CONTINUE;
        END IF;
        IF (k > 0 AND u ~ '^(YYYY|UUUU|YY|MMMM|MON|MM|DD|DY)' AND NOT dt)
           OR (u ~ '^(HH24|HH12|AM|PM|MI|SS)' AND NOT tm) THEN
          PERFORM _sfemu.fail('0A000', format('Unsupported feature: the format element %s for a %s '
                                             'value', substr(fmt, i, k), upper(kind)));
        END IF;
        i := i + k;
      END LOOP;
      RETURN out;
    END $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.fmt_value(c text, kind text, fmt text) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
    DECLARE r record;
    BEGIN
      IF c IS NULL THEN RETURN NULL; END IF;
      IF kind = 'date' THEN
        RETURN _sfemu.fmt_dt(c || ' 00:00:00', '000000000', NULL, 'date', coalesce(fmt, _sfemu.output_format('date')));
      END IF;
      r := _sfemu.dt_local(c, kind);
      RETURN _sfemu.fmt_dt(r.local, r.f9, r.off, kind, coalesce(fmt, _sfemu.output_format(kind)));
    END $$""",
    # FLOAT as text. FMT, "Default formats for printing": DOUBLE -> TME; "TME prints the number in
    # scientific notation, i.e. with exponent (same as EE) and one digit in the integer position";
    # EE: "Variable-width exponent ... with no + sign for integers (e.g. E0, E21, E200, E-200)";
    # "the case of the exponent indicator (E or e) matches the case of the first letter (T or t)";
    # TM*: "use a minimal number of digits ... while preserving precision": the shortest digits
    # that read back as the same double (PostgreSQL's float8 output with extra_float_digits = 1).
    # The special values as Snowflake spells them (NUMERIC: 'NaN', 'inf', '-inf').
    r"""CREATE OR REPLACE FUNCTION _sfemu.float_tme(v float8, e text DEFAULT 'E') RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT SET extra_float_digits = 1 AS $$
    DECLARE s text := v::text; neg boolean; mant text; ex int := 0; digits text; point int;
      lead int; sig text; p int;
    BEGIN
      IF v = 'NaN'::float8 THEN RETURN 'NaN'; END IF;
      IF v = 'Infinity'::float8 THEN RETURN 'inf'; END IF;
      IF v = '-Infinity'::float8 THEN RETURN '-inf'; END IF;
      neg := left(s, 1) = '-';
      IF neg THEN s := substr(s, 2); END IF;
      mant := split_part(s, 'e', 1);
      IF position('e' IN s) > 0 THEN ex := split_part(s, 'e', 2)::int; END IF;
      point := position('.' IN mant);
      IF point = 0 THEN point := length(mant) + 1; END IF;
      digits := replace(mant, '.', '');
      lead := length(digits) - length(ltrim(digits, '0'));
      sig := rtrim(ltrim(digits, '0'), '0');
      IF sig = '' THEN RETURN CASE WHEN neg THEN '-' ELSE '' END || '0' || e || '0'; END IF;
      p := point - 2 - lead + ex;
      RETURN CASE WHEN neg THEN '-' ELSE '' END || left(sig, 1)
        || CASE WHEN length(sig) > 1 THEN '.' || substr(sig, 2) ELSE '' END || e || p::text;
    END $$""",
    # VARIANT/OBJECT/ARRAY as JSON text without spaces, keys in order (TO_JSON; OBJECT keys print
    # sorted in Snowflake's examples, e.g. the OBJECT_CONSTRUCT unload in
    # user-guide/data-unload-considerations).
    r"""CREATE OR REPLACE FUNCTION _sfemu.json_compact(j jsonb) RETURNS text LANGUAGE plpgsql
    IMMUTABLE STRICT AS $$
    BEGIN
      IF jsonb_typeof(j) = 'object' THEN
        RETURN '{' || coalesce((SELECT string_agg(to_json(k)::text || ':' || _sfemu.json_compact(v), ','
                                   ORDER BY k COLLATE "C") FROM jsonb_each(j) AS e(k, v)), '') || '}';
      ELSIF jsonb_typeof(j) = 'array' THEN
        RETURN '[' || coalesce((SELECT string_agg(_sfemu.json_compact(v), ',' ORDER BY o)
                                FROM jsonb_array_elements(j) WITH ORDINALITY AS a(v, o)), '') || ']';
      END IF;
      RETURN j::text;
    END $$""",
    r"""CREATE OR REPLACE FUNCTION _sfemu.bin_text(h text, fmt text) RETURNS text LANGUAGE plpgsql
    IMMUTABLE STRICT AS $$
    BEGIN
      CASE upper(replace(fmt, '-', ''))
        WHEN 'HEX' THEN RETURN h;
        WHEN 'BASE64' THEN RETURN replace(encode(decode(h, 'hex'), 'base64'), E'\n', '');
        WHEN 'UTF8' THEN RETURN convert_from(decode(h, 'hex'), 'UTF8');
        ELSE PERFORM _sfemu.fail('0A000', format('Unsupported feature: binary format %s', fmt));
      END CASE;
      RETURN NULL;
    END $$""",
    # Row normalizer (see the module docstring). Arguments: (column, kind, precision or length)
    # triples. The trigger's WHEN clause (attach_normalizer) calls it only for a row with a value
    # not already in its canonical spelling, so loading canonical text costs one regular
    # expression a value.
    r"""CREATE OR REPLACE FUNCTION _sfemu.normalize_row() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE j jsonb := to_jsonb(NEW); patch jsonb := '{}'; v text; n text; k int := 0;
    BEGIN
      WHILE k + 2 < TG_NARGS LOOP
        v := j ->> TG_ARGV[k];
        IF v IS NOT NULL THEN
          IF TG_ARGV[k + 1] = 'bin' THEN n := _sfemu.bin_norm(v, TG_ARGV[k + 2]::int);
          ELSE n := _sfemu.dt_norm(v, TG_ARGV[k + 1], TG_ARGV[k + 2]::int); END IF;
          IF n IS DISTINCT FROM v THEN patch := patch || jsonb_build_object(TG_ARGV[k], n); END IF;
        END IF;
        k := k + 3;
      END LOOP;
      IF patch <> '{}' THEN NEW := jsonb_populate_record(NEW, patch); END IF;
      RETURN NEW;
    END $$""",
    # (Re)attaches the normalizer to a table: one trigger naming its TIME/TIMESTAMP/BINARY columns.
    # rewrite: also rewrite the rows already there (CREATE TABLE ... AS SELECT).
    r"""CREATE OR REPLACE FUNCTION _sfemu.attach_normalizer(t regclass, rewrite boolean DEFAULT false)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE args text := ''; cols text := ''; r record; base text; p int; frac text;
      canon text; cond text := '';
    BEGIN
      FOR r IN SELECT a.attname, ty.typname, ty.typtype, ty.typbasetype, tn.nspname
               FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
               JOIN pg_namespace tn ON tn.oid = ty.typnamespace
               WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LOOP
        base := CASE WHEN r.typtype = 'd' THEN (SELECT typname FROM pg_type WHERE oid = r.typbasetype)
                     ELSE r.typname END;
        IF base NOT IN ('sftime', 'sfntz', 'sfltz', 'sftz', 'sfbinary')
           OR NOT EXISTS (SELECT 1 FROM pg_type x JOIN pg_namespace xn ON xn.oid = x.typnamespace
                          WHERE x.typname = base AND xn.nspname = '_sfemu') THEN
          CONTINUE;
        END IF;
        p := CASE WHEN r.typtype = 'd' AND r.nspname = '_sfemu' AND r.typname ~ '\(\d+\)$'
                  THEN substring(r.typname FROM '\((\d+)\)$')::int
                  WHEN base = 'sfbinary' THEN 8388608 ELSE 9 END;
        args := args || format(', %L, %L, %L', r.attname,
                               CASE base WHEN 'sfbinary' THEN 'bin' ELSE substr(base, 3) END, p);
        cols := cols || format(', %I = %I', r.attname, r.attname);
        frac := CASE WHEN p = 0 THEN '' ELSE format('(\.\d{0,%s}[1-9])?', p - 1) END;
        canon := CASE base
          WHEN 'sftime' THEN '^\d\d:\d\d:\d\d' || frac || '$'
          WHEN 'sfntz' THEN '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d' || frac || '$'
          WHEN 'sfltz' THEN '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d' || frac || '\+00:00$'
          WHEN 'sftz' THEN '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d' || frac || ' [+-]\d\d:\d\d$'
          ELSE '^([0-9A-F]{2})*$' END;
        cond := cond || format(' OR NOT (_sfemu.raw(NEW.%I) ~ %L%s)', r.attname, canon,
                               CASE WHEN base = 'sfbinary' THEN format(' AND length(_sfemu.raw(NEW.%I)) <= %s',
                                                                       r.attname, 2 * p) ELSE '' END);
      END LOOP;
      EXECUTE format('DROP TRIGGER IF EXISTS sfemu_normalize ON %s', t);
      IF args <> '' THEN
        EXECUTE format('CREATE TRIGGER sfemu_normalize BEFORE INSERT OR UPDATE ON %s FOR EACH ROW '
                       'WHEN (%s) EXECUTE FUNCTION _sfemu.normalize_row(%s)', t, substr(cond, 5),
                       substr(args, 3));
        IF rewrite THEN EXECUTE format('UPDATE %s SET %s', t, substr(cols, 3)); END IF;
      END IF;
    END $$""",
]


def _ordering_sql(t, kind):
    # PL/pgSQL where PostgreSQL calls the function itself (sorting, aggregates): faster there than
    # a SQL function, which is only cheap when inlined into an expression
    out = [f"CREATE OR REPLACE FUNCTION _sfemu.{t}_cmp(_sfemu.{t}, _sfemu.{t}) RETURNS int "
           f"LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ DECLARE "
           f"x text := _sfemu.dt_key(_sfemu.raw($1), '{kind}'); "
           f"y text := _sfemu.dt_key(_sfemu.raw($2), '{kind}'); BEGIN "
           f"IF x COLLATE \"C\" < y COLLATE \"C\" THEN RETURN -1; ELSIF x = y THEN RETURN 0; "
           f"END IF; RETURN 1; END $$"]
    ops = [("lt", "<", "< 0", ">", ">="), ("le", "<=", "<= 0", ">=", ">"), ("eq", "=", "= 0", "=", "<>"),
           ("ge", ">=", ">= 0", "<=", "<"), ("gt", ">", "> 0", "<", "<="), ("ne", "<>", "<> 0", "<>", "=")]
    for name, op, _, _, _ in ops:
        # not STRICT: a SQL function is inlined into the query (the operator costs a regular
        # expression per stored value) only when its declared strictness matches its body's
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_{name}(_sfemu.{t}, _sfemu.{t}) RETURNS "
                   f"boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
                   f"_sfemu.dt_key(_sfemu.raw($1), '{kind}') COLLATE \"C\" {op} "
                   f"_sfemu.dt_key(_sfemu.raw($2), '{kind}') COLLATE \"C\" $$")
    sel = {"<": "scalarltsel", "<=": "scalarlesel", ">": "scalargtsel", ">=": "scalargesel",
           "=": "eqsel", "<>": "neqsel"}
    jsel = {"<": "scalarltjoinsel", "<=": "scalarlejoinsel", ">": "scalargtjoinsel",
            ">=": "scalargejoinsel", "=": "eqjoinsel", "<>": "neqjoinsel"}
    for name, op, _, com, neg in ops:
        # in pg_catalog, so that any session sees them (psql included), whatever its search_path
        out.append(f"CREATE OPERATOR pg_catalog.{op} (LEFTARG = _sfemu.{t}, RIGHTARG = _sfemu.{t}, "
                   f"FUNCTION = _sfemu.{t}_{name}, COMMUTATOR = OPERATOR(pg_catalog.{com}), "
                   f"NEGATOR = OPERATOR(pg_catalog.{neg}), RESTRICT = {sel[op]}, JOIN = {jsel[op]})")
    out.append(f"CREATE OPERATOR CLASS _sfemu.{t}_ops DEFAULT FOR TYPE _sfemu.{t} USING btree AS "
               f"OPERATOR 1 pg_catalog.<, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=, "
               f"OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>, "
               f"FUNCTION 1 _sfemu.{t}_cmp(_sfemu.{t}, _sfemu.{t})")
    for agg, op, pick in (("max", ">", ">="), ("min", "<", "<=")):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_{agg}2(_sfemu.{t}, _sfemu.{t}) RETURNS "
                   f"_sfemu.{t} LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ BEGIN "
                   f"IF $1 {pick} $2 THEN RETURN $1; END IF; RETURN $2; END $$")
        out.append(f"CREATE AGGREGATE pg_catalog.{agg}(_sfemu.{t}) (SFUNC = _sfemu.{t}_{agg}2, "
                   f"STYPE = _sfemu.{t}, SORTOP = OPERATOR(pg_catalog.{op}))")
    return out


def _cast(src, dst, fn, context=""):
    """CREATE CAST, dropped first so a changed definition takes effect."""
    return [f"DROP CAST IF EXISTS ({src} AS {dst})",
            f"CREATE CAST ({src} AS {dst}) WITH FUNCTION {fn} {context}".strip()]


def _conversion_sql():
    out = []
    # canonical text of each timestamp kind from the others and from PostgreSQL's types
    for t, kind in (("sfntz", "ntz"), ("sfltz", "ltz"), ("sftz", "tz")):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_from(text) RETURNS _sfemu.{t} LANGUAGE sql "
                   f"STABLE STRICT AS $$ SELECT _sfemu.{t}_of(_sfemu.dt_norm($1, '{kind}')) $$")
        for src, expr in (("date", "$1::text"), ("timestamp", "$1::text"),
                          ("timestamptz", "$1::text")):
            out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_from({src}) RETURNS _sfemu.{t} "
                       f"LANGUAGE sql STABLE STRICT AS $$ SELECT _sfemu.{t}_from({expr}) $$")
        # a value of another kind: through its wallclock and offset (DT: LTZ's wallclock is the
        # session time zone's; TZ's its own)
        for other in ("sfntz", "sfltz", "sftz"):
            if other == t:
                continue
            okind = KIND_OF_BASE[other]
            out.append(
                f"CREATE OR REPLACE FUNCTION _sfemu.{t}_from(_sfemu.{other}) RETURNS _sfemu.{t} "
                f"LANGUAGE sql STABLE STRICT AS $$ SELECT _sfemu.{t}_from(r.local || "
                f"_sfemu.frac(r.f9) || CASE WHEN r.off IS NULL OR '{kind}' = 'ntz' THEN '' ELSE "
                f"CASE WHEN r.off < 0 THEN ' -' ELSE ' +' END || lpad((abs(r.off) / 60)::text, 2, '0') "
                f"|| ':' || lpad((abs(r.off) % 60)::text, 2, '0') END) FROM "
                f"_sfemu.dt_local(_sfemu.raw($1), '{okind}') r $$")
            out += _cast(f"_sfemu.{other}", f"_sfemu.{t}", f"_sfemu.{t}_from(_sfemu.{other})")
        out += _cast("text", f"_sfemu.{t}", f"_sfemu.{t}_from(text)", "AS ASSIGNMENT")
        out += _cast("varchar", f"_sfemu.{t}", f"_sfemu.{t}_from(text)", "AS ASSIGNMENT")
        for src in ("date", "timestamp", "timestamptz"):
            out += _cast(src, f"_sfemu.{t}", f"_sfemu.{t}_from({src})", "AS IMPLICIT")
        # to PostgreSQL's types (microseconds: the digits after the sixth are dropped)
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_ts(_sfemu.{t}) RETURNS timestamp LANGUAGE "
                   f"sql STABLE STRICT AS $$ SELECT (r.local || '.' || left(r.f9, 6))::timestamp "
                   f"FROM _sfemu.dt_local(_sfemu.raw($1), '{kind}') r $$")
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_tstz(_sfemu.{t}) RETURNS timestamptz "
                   f"LANGUAGE sql STABLE STRICT AS $$ SELECT CASE WHEN r.off IS NULL THEN "
                   f"(r.local || '.' || left(r.f9, 6))::timestamptz ELSE (r.local || '.' || "
                   f"left(r.f9, 6))::timestamp AT TIME ZONE 'UTC' - r.off * interval '1 minute' END "
                   f"FROM _sfemu.dt_local(_sfemu.raw($1), '{kind}') r $$")
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_date(_sfemu.{t}) RETURNS date LANGUAGE "
                   f"sql STABLE STRICT AS $$ SELECT left(r.local, 10)::date FROM "
                   f"_sfemu.dt_local(_sfemu.raw($1), '{kind}') r $$")
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{t}_time(_sfemu.{t}) RETURNS _sfemu.sftime "
                   f"LANGUAGE sql STABLE STRICT AS $$ SELECT _sfemu.sftime_of(substr(r.local, 12) || "
                   f"_sfemu.frac(r.f9)) FROM _sfemu.dt_local(_sfemu.raw($1), '{kind}') r $$")
        out += _cast(f"_sfemu.{t}", "timestamp", f"_sfemu.{t}_ts(_sfemu.{t})")
        out += _cast(f"_sfemu.{t}", "timestamptz", f"_sfemu.{t}_tstz(_sfemu.{t})")
        out += _cast(f"_sfemu.{t}", "date", f"_sfemu.{t}_date(_sfemu.{t})")
        out += _cast(f"_sfemu.{t}", "_sfemu.sftime", f"_sfemu.{t}_time(_sfemu.{t})")
        # DATE_TRUNC keeps the type (DT operations: LTZ in the session time zone, TZ in its own)
        out.append(f"CREATE OR REPLACE FUNCTION pg_catalog.date_trunc(text, _sfemu.{t}) RETURNS "
                   f"_sfemu.{t} LANGUAGE sql STABLE STRICT AS $$ SELECT _sfemu.{t}_from("
                   f"to_char(date_trunc($1, (r.local || '.' || left(r.f9, 6))::timestamp), "
                   f"'YYYY-MM-DD HH24:MI:SS.US') || CASE WHEN r.off IS NULL THEN '' ELSE CASE WHEN "
                   f"r.off < 0 THEN ' -' ELSE ' +' END || lpad((abs(r.off) / 60)::text, 2, '0') || "
                   f"':' || lpad((abs(r.off) % 60)::text, 2, '0') END) FROM "
                   f"_sfemu.dt_local(_sfemu.raw($2), '{kind}') r $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.sftime_from(text) RETURNS _sfemu.sftime LANGUAGE "
               "sql STABLE STRICT AS $$ SELECT _sfemu.sftime_of(_sfemu.dt_norm($1, 'time')) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.sftime_from(time) RETURNS _sfemu.sftime LANGUAGE "
               "sql STABLE STRICT AS $$ SELECT _sfemu.sftime_from($1::text) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.sftime_time(_sfemu.sftime) RETURNS time LANGUAGE "
               "sql STABLE STRICT AS $$ SELECT (r.local || '.' || left(r.f9, 6))::time FROM "
               "_sfemu.dt_local(_sfemu.raw($1), 'time') r $$")
    out += _cast("text", "_sfemu.sftime", "_sfemu.sftime_from(text)", "AS ASSIGNMENT")
    out += _cast("varchar", "_sfemu.sftime", "_sfemu.sftime_from(text)", "AS ASSIGNMENT")
    out += _cast("time", "_sfemu.sftime", "_sfemu.sftime_from(time)", "AS IMPLICIT")
    out += _cast("_sfemu.sftime", "time", "_sfemu.sftime_time(_sfemu.sftime)")
    # BINARY
    out.append("CREATE OR REPLACE FUNCTION _sfemu.sfbinary_from(text) RETURNS _sfemu.sfbinary "
               "LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT _sfemu.sfbinary_of(_sfemu.bin_norm($1)) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.sfbinary_from(bytea) RETURNS _sfemu.sfbinary "
               "LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT _sfemu.sfbinary_of(upper(encode($1, 'hex'))) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.sfbinary_bytea(_sfemu.sfbinary) RETURNS bytea "
               "LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT decode(_sfemu.raw($1), 'hex') $$")
    out += _cast("text", "_sfemu.sfbinary", "_sfemu.sfbinary_from(text)", "AS ASSIGNMENT")
    out += _cast("varchar", "_sfemu.sfbinary", "_sfemu.sfbinary_from(text)", "AS ASSIGNMENT")
    out += _cast("bytea", "_sfemu.sfbinary", "_sfemu.sfbinary_from(bytea)", "AS IMPLICIT")
    out += _cast("_sfemu.sfbinary", "bytea", "_sfemu.sfbinary_bytea(_sfemu.sfbinary)")
    return out


def _functions_sql():
    """Snowflake's conversion functions the emulator offers (sf_sql maps their names here)."""
    out = []
    # TO_VARCHAR / TO_CHAR (TOCHAR): a date or time "The default is the current value of ...
    # DATE_OUTPUT_FORMAT / TIME_OUTPUT_FORMAT / TIMESTAMP_OUTPUT_FORMAT"; numbers by FMT (NUMBER:
    # TM9, "printed precisely with the number of digits in the fractional part determined by the
    # scale"; FLOAT: TME); BINARY "the format in which to produce the string (e.g. 'HEX', 'BASE64'
    # or 'UTF-8')", default BINARY_OUTPUT_FORMAT (HEX); VARIANT "the output is the string containing
    # a JSON document or JSON elementary value ... A string stored in VARIANT is preserved as is ...
    # A JSON null value is converted to a string containing the word 'null'".
    for t, kind in (("_sfemu.sfntz", "ntz"), ("_sfemu.sfltz", "ltz"), ("_sfemu.sftz", "tz"),
                    ("_sfemu.sftime", "time")):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.to_varchar({t}, text DEFAULT NULL) RETURNS "
                   f"text LANGUAGE sql STABLE AS $$ SELECT _sfemu.fmt_value(_sfemu.raw($1), "
                   f"'{kind}', $2) $$")
    for t, conv in (("date", "$1::text"), ("timestamp", "_sfemu.raw(_sfemu.sfntz_from($1))"),
                    ("timestamptz", "_sfemu.raw(_sfemu.sfltz_from($1))"),
                    ("time", "_sfemu.raw(_sfemu.sftime_from($1))")):
        kind = {"date": "date", "timestamp": "ntz", "timestamptz": "ltz", "time": "time"}[t]
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.to_varchar({t}, text DEFAULT NULL) RETURNS "
                   f"text LANGUAGE sql STABLE AS $$ SELECT _sfemu.fmt_value({conv}, '{kind}', $2) $$")
    numeric_fmt = ("CASE WHEN $2 IS NULL OR upper($2) = 'TM9' THEN $1::text ELSE "
                   "_sfemu.fail('0A000', 'Unsupported feature: TO_VARCHAR of a number with the "
                   "format ' || $2 || ' (the emulator has TM9 and, for FLOAT, TME)') END")
    for t in ("numeric", "bigint", "integer", "smallint"):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.to_varchar({t}, text DEFAULT NULL) RETURNS "
                   f"text LANGUAGE sql IMMUTABLE AS $$ SELECT {numeric_fmt} $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_varchar(float8, text DEFAULT NULL) RETURNS text "
               "LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL OR $2 = 'TME' THEN "
               "_sfemu.float_tme($1, 'E') WHEN $2 = 'tme' THEN _sfemu.float_tme($1, 'e') ELSE "
               "_sfemu.fail('0A000', 'Unsupported feature: TO_VARCHAR of a FLOAT with the format ' "
               "|| $2 || ' (the emulator has TME, the documented default; TM9 and TM choose their "
               "digits by rules the documentation does not give)') END $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_varchar(boolean) RETURNS text LANGUAGE sql "
               "IMMUTABLE AS $$ SELECT CASE WHEN $1 THEN 'true' WHEN NOT $1 THEN 'false' END $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_varchar(text) RETURNS text LANGUAGE sql "
               "IMMUTABLE AS $$ SELECT $1 $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_varchar(_sfemu.sfbinary, text DEFAULT NULL) "
               "RETURNS text LANGUAGE sql STABLE AS $$ SELECT _sfemu.bin_text(_sfemu.raw($1), "
               "coalesce($2, _sfemu.param('BINARY_OUTPUT_FORMAT'))) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_varchar(bytea, text DEFAULT NULL) RETURNS text "
               "LANGUAGE sql STABLE AS $$ SELECT _sfemu.to_varchar(_sfemu.sfbinary_from($1), $2) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_varchar(jsonb) RETURNS text LANGUAGE sql "
               "IMMUTABLE AS $$ SELECT CASE jsonb_typeof($1) WHEN 'string' THEN $1 #>> '{}' "
               "ELSE _sfemu.json_compact($1) END $$")
    # casts to text format as TO_VARCHAR does (Snowflake's x::VARCHAR)
    for t in ("sfntz", "sfltz", "sftz", "sftime", "sfbinary"):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.varchar_of(_sfemu.{t}) RETURNS text "
                   f"LANGUAGE sql STABLE STRICT AS $$ SELECT _sfemu.to_varchar($1, NULL) $$")
        out += _cast(f"_sfemu.{t}", "text", f"_sfemu.varchar_of(_sfemu.{t})")
        out += _cast(f"_sfemu.{t}", "varchar", f"_sfemu.varchar_of(_sfemu.{t})")
    # HEX_ENCODE(<input> [, <case>]): "1 (default) uses uppercase letters for the hex digits ...
    # 0 ... lowercase" (https://docs.snowflake.com/en/sql-reference/functions/hex_encode); a
    # string is encoded as its UTF-8 bytes.
    out.append("CREATE OR REPLACE FUNCTION _sfemu.hex_encode(_sfemu.sfbinary, int DEFAULT 1) RETURNS "
               "text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 = 0 THEN lower(_sfemu.raw($1)) "
               "ELSE _sfemu.raw($1) END $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.hex_encode(bytea, int DEFAULT 1) RETURNS text "
               "LANGUAGE sql IMMUTABLE AS $$ SELECT _sfemu.hex_encode(_sfemu.sfbinary_from($1), $2) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.hex_encode(text, int DEFAULT 1) RETURNS text "
               "LANGUAGE sql IMMUTABLE AS $$ SELECT _sfemu.hex_encode(convert_to($1, 'UTF8'), $2) $$")
    # MD5_NUMBER_LOWER64(<msg>) (https://docs.snowflake.com/en/sql-reference/functions/md5_number_lower64):
    # "Calculates the 128-bit MD5 message digest, interprets it as a signed 128-bit big endian
    # number, and returns the lower 64 bits of the number as an unsigned integer": the digest's
    # last 8 bytes ('Snowflake' -> 9203306159527282910, the documented example).
    out.append("CREATE OR REPLACE FUNCTION _sfemu.md5_number_lower64(text) RETURNS numeric LANGUAGE sql "
               "IMMUTABLE AS $$ SELECT CASE WHEN h < 0 THEN h + 18446744073709551616 ELSE h END FROM "
               "(SELECT ('x' || right(md5($1), 16))::bit(64)::bigint::numeric AS h) d $$")
    # TO_JSON(VARIANT) (https://docs.snowflake.com/en/sql-reference/functions/to_json): the JSON
    # text of the value, a string in quotes.
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_json(jsonb) RETURNS text LANGUAGE sql IMMUTABLE "
               "AS $$ SELECT _sfemu.json_compact($1) $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.parse_json(text) RETURNS jsonb LANGUAGE sql "
               "IMMUTABLE AS $$ SELECT $1::jsonb $$")
    # TO_BINARY(<string> [, <format>]): HEX (default), BASE64, UTF-8.
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_binary(text, text DEFAULT 'HEX') RETURNS "
               "_sfemu.sfbinary LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN "
               "CASE upper(replace($2, '-', '')) WHEN 'HEX' THEN RETURN _sfemu.sfbinary_from($1); "
               "WHEN 'BASE64' THEN RETURN _sfemu.sfbinary_from(decode($1, 'base64')); "
               "WHEN 'UTF8' THEN RETURN _sfemu.sfbinary_from(convert_to($1, 'UTF8')); "
               "ELSE PERFORM _sfemu.fail('0A000', 'Unsupported feature: binary format ' || $2); "
               "END CASE; RETURN NULL; END $$")
    # TO_DATE / TO_TIME / TO_TIMESTAMP_* of one argument: conversions as the casts.
    for fn, t in (("to_timestamp_ntz", "sfntz"), ("to_timestamp", "sfntz"),
                  ("to_timestamp_ltz", "sfltz"), ("to_timestamp_tz", "sftz")):
        for src in ("text", "date", "timestamp", "timestamptz"):
            out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{fn}({src}) RETURNS _sfemu.{t} LANGUAGE "
                       f"sql STABLE AS $$ SELECT _sfemu.{t}_from($1) $$")
        for other in ("sfntz", "sfltz", "sftz"):
            out.append(f"CREATE OR REPLACE FUNCTION _sfemu.{fn}(_sfemu.{other}) RETURNS _sfemu.{t} "
                       f"LANGUAGE sql STABLE AS $$ SELECT $1::_sfemu.{t} $$")
    for src in ("text", "date", "timestamp", "timestamptz", "_sfemu.sfntz", "_sfemu.sfltz",
                "_sfemu.sftz"):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.to_date({src}) RETURNS date LANGUAGE sql "
                   f"STABLE AS $$ SELECT $1::date $$")
    out.append("CREATE OR REPLACE FUNCTION _sfemu.to_time(text) RETURNS _sfemu.sftime LANGUAGE sql "
               "STABLE AS $$ SELECT _sfemu.sftime_from($1) $$")
    # AT(TIMESTAMP => ...): the instant (https://docs.snowflake.com/en/sql-reference/constructs/at-before:
    # "If no explicit cast is specified, the timestamp in the AT clause is treated as a timestamp
    # with the UTC time zone (equivalent to TIMESTAMP_NTZ)").
    for src, expr in (("text", "_sfemu.sfntz_from($1)::timestamp AT TIME ZONE 'UTC'"),
                      ("_sfemu.sfntz", "$1::timestamp AT TIME ZONE 'UTC'"),
                      ("timestamp", "$1 AT TIME ZONE 'UTC'"), ("date", "$1::timestamp AT TIME ZONE 'UTC'"),
                      ("_sfemu.sfltz", "$1::timestamptz"), ("_sfemu.sftz", "$1::timestamptz"),
                      ("timestamptz", "$1")):
        out.append(f"CREATE OR REPLACE FUNCTION _sfemu.tt_instant({src}) RETURNS timestamptz "
                   f"LANGUAGE sql STABLE AS $$ SELECT {expr} $$")
    return out


def install_statements() -> list:
    """The statements that install the PostgreSQL side, in order. Each may fail with "already
    exists" when an earlier emulator installed it (the caller skips those)."""
    out = ["CREATE SCHEMA IF NOT EXISTS _sfemu"]
    for t in _BASE_TYPES:
        out += _type_sql(t)
    out += _CORE_SQL
    for t in _BASE_TYPES:
        out += _ordering_sql(t, KIND_OF_BASE[t])
    out += _conversion_sql()
    out += _functions_sql()
    return out


# Bumped when install_statements() changes: a database prepared by an older emulator is updated.
INSTALL_VERSION = "5"

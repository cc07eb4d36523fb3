"""Result sets in the SQL API's jsonv2 shape: rowType entries as Snowflake describes columns
(lower-case type names, precision/scale/length/byteLength/nullable), and every cell as a JSON string
(NULL as null), as https://docs.snowflake.com/en/developer-guide/sql-api/handling-responses lists
them: NUMBER as plain decimal text; FLOAT "Integer or float in a string"; BINARY "Hexadecimal number
in a string"; BOOLEAN "false" or "true"; DATE "Integer value (in a string) of the number of days
since the epoch"; TIME, TIMESTAMP_LTZ, TIMESTAMP_NTZ "Float value (with 9 decimal places) of the
number of seconds since the epoch" (TIME: since midnight); TIMESTAMP_TZ "... followed by a space and
the timezone offset in minutes ... timezone_in_minutes = offset - 1440"; VARIANT/OBJECT/ARRAY
pretty-printed JSON.

Values of the emulator's own types (sf_types.py: TIME, TIMESTAMP_*, BINARY stored in a canonical
text) arrive from psycopg2 as str and are decoded here, nanoseconds and offsets included."""

import datetime
import decimal
import math

import sf_types

EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_TZ = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# PostgreSQL type OIDs -> Snowflake rowType type
_PG_TYPES = {
    16: "boolean", 17: "binary", 20: "fixed", 21: "fixed", 23: "fixed", 26: "fixed",
    700: "real", 701: "real", 1700: "fixed",
    25: "text", 1042: "text", 1043: "text", 19: "text", 18: "text",
    1082: "date", 1083: "time", 1114: "timestamp_ntz", 1184: "timestamp_ltz",
    1266: "time", 114: "variant", 3802: "variant",
}
MAX_TEXT = sf_types.MAX_VARCHAR
_KIND_TYPES = {"time": "time", "ntz": "timestamp_ntz", "ltz": "timestamp_ltz", "tz": "timestamp_tz",
               "bin": "binary"}
_DATETIME_TYPES = {"time", "timestamp_ntz", "timestamp_ltz", "timestamp_tz"}


def column(name, type_, *, precision=None, scale=None, length=None, nullable=True, database="",
           schema="", table=""):
    byte_length = None
    if type_ == "text":
        length = length or MAX_TEXT
        # 4 bytes per character (UTF-8) up to the default maximum, as Snowflake reports a VARCHAR(n)
        byte_length = min(length * 4, MAX_TEXT) if length <= MAX_TEXT else length
    elif type_ == "binary":
        length = length or sf_types.MAX_BINARY
        byte_length = length
    if type_ == "fixed" and precision is None:
        precision, scale = 38, 0
    if type_ in _DATETIME_TYPES:
        # the handling-responses example: a TIMESTAMP_NTZ(3) column has "precision":0, "scale":3
        precision, scale = 0, 9 if scale is None else scale
    return {"name": name, "database": database, "schema": schema, "table": table,
            "type": type_, "precision": precision, "scale": scale, "length": length,
            "byteLength": byte_length, "nullable": nullable, "collation": None}


def snowflake_name(pg_name: str) -> str:
    """PostgreSQL folds unquoted names to lower case, Snowflake to upper case."""
    return pg_name.upper() if pg_name == pg_name.lower() else pg_name


def type_of_sftype(t: sf_types.SfType):
    """(rowType type, precision, scale, length) of a declared Snowflake type."""
    k = t.kind
    if k == "NUMBER":
        return "fixed", t.precision, t.scale, None
    if k == "FLOAT":
        return "real", None, None, None
    if k == "TEXT":
        return "text", None, None, t.length
    if k == "BINARY":
        return "binary", None, None, t.length
    if k in sf_types.DATETIME_KINDS:
        return k.lower(), 0, t.scale, None
    return k.lower(), None, None, None


def row_type_from_cursor(description, attribute_info, own_types=None) -> list:
    """rowType for a psycopg2 cursor.description. attribute_info(table_oid, column_number) ->
    (nullable, schema, table, SfType or None) or None; own_types: {oid: kind} of the emulator's
    base types (sf_types.KIND_OF_BASE)."""
    own_types = own_types or {}
    out = []
    for col in description:
        type_ = _PG_TYPES.get(col.type_code, "text")
        if col.type_code in own_types:
            type_ = _KIND_TYPES[own_types[col.type_code]]
        precision = scale = length = None
        if col.type_code == 1700 and col.precision is not None and col.precision > 0:
            precision, scale = col.precision, col.scale or 0
        elif col.type_code in (20, 21, 23):
            precision, scale = 38, 0
        if col.type_code in (1043, 1042) and col.internal_size and col.internal_size > 0:
            length = col.internal_size
        nullable, schema, table, declared = True, "", "", None
        info = attribute_info(col.table_oid, col.table_column) if col.table_oid else None
        if info:
            nullable, schema, table, declared = info
        if declared is not None:
            type_, precision, scale, length = type_of_sftype(declared)
        out.append(column(snowflake_name(col.name), type_, precision=precision, scale=scale,
                          length=length, nullable=nullable, schema=snowflake_name(schema),
                          table=snowflake_name(table)))
    return out


def _seconds(delta: datetime.timedelta) -> str:
    total_us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return sf_types.seconds9(total_us * 1000)


def encode(value, type_: str, normalize=None):
    """One cell as jsonv2 text (None stays None). normalize(text, kind) -> canonical text, for a
    date/time value of the emulator's types that reached the result without being normalized (a
    bare literal)."""
    if value is None:
        return None
    if type_ == "boolean":
        return "true" if value else "false"
    if type_ == "fixed":
        if isinstance(value, decimal.Decimal):
            return format(value, "f")
        return str(int(value))
    if type_ == "real":
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if type_ == "date":
        return str((value - EPOCH_DATE).days)
    if isinstance(value, str) and type_ in _DATETIME_TYPES:
        kind = {"time": "time", "timestamp_ntz": "ntz", "timestamp_ltz": "ltz",
                "timestamp_tz": "tz"}[type_]
        try:
            ns, off = sf_types.parts(value, kind)
        except sf_types.NotCanonical:
            if normalize is None:
                raise
            ns, off = sf_types.parts(normalize(value, kind), kind)
        if kind == "tz":
            return f"{sf_types.seconds9(ns)} {off + 1440}"
        return sf_types.seconds9(ns)
    if type_ == "time":
        t = value
        return _seconds(datetime.timedelta(hours=t.hour, minutes=t.minute, seconds=t.second,
                                           microseconds=t.microsecond))
    if type_ == "timestamp_ntz":
        return _seconds(value - EPOCH)
    if type_ == "timestamp_ltz":
        return _seconds(value - EPOCH_TZ)
    if type_ == "timestamp_tz":
        offset = value.utcoffset() or datetime.timedelta(0)
        return f"{_seconds(value - EPOCH_TZ)} {int(offset.total_seconds() // 60) + 1440}"
    if type_ == "binary":
        if isinstance(value, str):
            return value.upper()
        return bytes(value).hex().upper()
    if type_ in ("variant", "object", "array"):
        return sf_types.dump_json(value, indent=2)
    return str(value)


def encode_rows(rows, row_type, normalize=None) -> list:
    types = [c["type"] for c in row_type]
    return [[encode(v, t, normalize) for v, t in zip(row, types)] for row in rows]

"""Result sets in the SQL API's jsonv2 shape: rowType entries as Snowflake describes columns
(lower-case type names, precision/scale/length/byteLength/nullable), and every cell as a JSON string
(NULL as null): NUMBER as plain decimal text, DATE as days since 1970-01-01, TIME and TIMESTAMP_NTZ/LTZ
as seconds with a 9-digit fraction, TIMESTAMP_TZ as "<seconds> <offset minutes + 1440>", BOOLEAN
"true"/"false", BINARY upper-case hex, VARIANT pretty-printed JSON."""

import datetime
import decimal
import json
import math

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
MAX_TEXT = 16777216


def column(name, type_, *, precision=None, scale=None, length=None, nullable=True, database="",
           schema="", table=""):
    byte_length = None
    if type_ == "text":
        length = length or MAX_TEXT
        byte_length = min(length * 4, MAX_TEXT)
    elif type_ == "binary":
        length = length or 8388608
        byte_length = length
    if type_ == "fixed" and precision is None:
        precision, scale = 38, 0
    if type_ in ("time", "timestamp_ntz", "timestamp_ltz", "timestamp_tz"):
        precision, scale = 0, 9
    return {"name": name, "database": database, "schema": schema, "table": table,
            "type": type_, "precision": precision, "scale": scale, "length": length,
            "byteLength": byte_length, "nullable": nullable, "collation": None}


def snowflake_name(pg_name: str) -> str:
    """PostgreSQL folds unquoted names to lower case, Snowflake to upper case."""
    return pg_name.upper() if pg_name == pg_name.lower() else pg_name


def row_type_from_cursor(description, attribute_info) -> list:
    """rowType for a psycopg2 cursor.description. attribute_info(table_oid, column_number) ->
    (nullable, schema, table) or None."""
    out = []
    for col in description:
        type_ = _PG_TYPES.get(col.type_code, "text")
        precision = scale = length = None
        if col.type_code == 1700 and col.precision is not None and col.precision > 0:
            precision, scale = col.precision, col.scale or 0
        elif col.type_code in (20, 21, 23):
            precision, scale = 38, 0
        if col.type_code in (1043, 1042) and col.internal_size and col.internal_size > 0:
            length = col.internal_size
        nullable, schema, table = True, "", ""
        info = attribute_info(col.table_oid, col.table_column) if col.table_oid else None
        if info:
            nullable, schema, table = info
        out.append(column(snowflake_name(col.name), type_, precision=precision, scale=scale,
                          length=length, nullable=nullable, schema=snowflake_name(schema),
                          table=snowflake_name(table)))
    return out


def _seconds(delta: datetime.timedelta) -> str:
    total_us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    return f"{sign}{total_us // 1_000_000}.{total_us % 1_000_000:06d}000"


def encode(value, type_: str):
    """One cell as jsonv2 text (None stays None)."""
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
        return bytes(value).hex().upper()
    if type_ == "variant":
        return json.dumps(value, indent=2)
    return str(value)


def encode_rows(rows, row_type) -> list:
    types = [c["type"] for c in row_type]
    return [[encode(v, t) for v, t in zip(row, types)] for row in rows]

"""Snowflake SQL text, as far as the SQL API emulator needs it: splitting a multi-statement request,
telling statement kinds apart, translating the Snowflake dialect sluice sends into PostgreSQL, and
parsing COPY INTO <table> ... FROM @stage (the copy itself is in sf_copy.py).

The translation is deliberately small: data types, a few functions, string escapes and bind
placeholders. Anything the emulator does not understand fails loudly (an error naming the
construct), so a test never passes on a silently different meaning."""

import re

import sf_types


class SqlError(Exception):
    """A statement failure as Snowflake reports it."""

    def __init__(self, code: str, sql_state: str, message: str, http_status: int = 422):
        super().__init__(message)
        self.code, self.sql_state, self.message, self.http_status = code, sql_state, message, http_status


def unsupported(what: str) -> SqlError:
    return SqlError("001003", "42000", f"SQL compilation error:\n{what} is not supported by the "
                                       f"sluice Snowflake emulator")


# --- lexing ---------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<line_comment>--[^\n]*|//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<string>'(?:[^'\\]|\\.|'')*')
  | (?P<dollar>\$\$.*?\$\$)
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<stage>@(?:"(?:[^"]|"")*"|[A-Za-z0-9_$.~%])(?:"(?:[^"]|"")*"|[A-Za-z0-9_$./~%=+-])*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<param>\?)
  | (?P<punct>::|<>|!=|<=|>=|\|\||[(),;=.*+\-/<>%:\[\]{}])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


class Token:
    __slots__ = ("kind", "text")

    def __init__(self, kind, text):
        self.kind, self.text = kind, text

    def upper(self):
        return self.text.upper() if self.kind == "word" else None

    def __repr__(self):
        return f"{self.kind}:{self.text}"


def tokenize(sql: str) -> list:
    return [Token(m.lastgroup, m.group()) for m in _TOKEN_RE.finditer(sql)]


def significant(tokens):
    return [t for t in tokens if t.kind not in ("ws", "line_comment", "block_comment")]


def split_statements(sql: str) -> list:
    """Statements of a request, without the separating ';' and without empty ones."""
    out, current = [], []
    for t in tokenize(sql):
        if t.kind == "punct" and t.text == ";":
            out.append(current)
            current = []
        else:
            current.append(t)
    out.append(current)
    return ["".join(t.text for t in stmt).strip() for stmt in out if significant(stmt)]


# --- Snowflake string literals --------------------------------------------------------------

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "'": "'", '"': '"',
            "\\": "\\"}


def string_value(literal: str) -> str:
    """The value of a Snowflake single-quoted literal: '' and backslash escapes."""
    body = literal[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "'" and i + 1 < len(body) and body[i + 1] == "'":
            out.append("'")
            i += 2
        elif c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n in _ESCAPES:
                out.append(_ESCAPES[n])
                i += 2
            elif n == "x" and re.match(r"[0-9a-fA-F]{2}", body[i + 2:i + 4]):
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
            elif n == "u" and re.match(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
            elif re.match(r"[0-7]{3}", body[i + 1:i + 4]):
                out.append(chr(int(body[i + 1:i + 4], 8)))
                i += 4
            else:  # an unknown escape keeps the character
                out.append(n)
                i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def pg_string(value: str) -> str:
    """A PostgreSQL literal holding exactly `value`."""
    if "\\" in value or any(ord(c) < 32 for c in value):
        esc = "".join("\\\\" if c == "\\" else "''" if c == "'" else
                      f"\\x{ord(c):02x}" if ord(c) < 32 else c for c in value)
        return f"E'{esc}'"
    return "'" + value.replace("'", "''") + "'"


def ident_value(tok: Token) -> str:
    """How Snowflake resolves an identifier: quoted as written, unquoted upper-cased."""
    if tok.kind == "qident":
        return tok.text[1:-1].replace('""', '"')
    return tok.text.upper()


# --- statement kinds ------------------------------------------------------------------------

def kind_of(sql: str):
    """(kind, detail): kind in query, dml, copy, ddl, create_stage, drop_stage, list, remove,
    refused (detail = the command name Snowflake reports)."""
    toks = [t for t in significant(tokenize(sql)) if not (t.kind == "punct" and t.text == "(")]
    words = [t.upper() or "" for t in toks[:4]]
    first = words[0] if words else ""
    if first in ("SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "VALUES", "EXPLAIN"):
        return "query", first
    if first in ("INSERT", "UPDATE", "DELETE", "MERGE"):
        return "dml", first
    if first == "COPY":
        return "copy", first
    if first in ("BEGIN", "START"):
        return "refused", "TRANSACTION_BEGIN"
    if first == "COMMIT":
        return "refused", "TRANSACTION_COMMIT"
    if first == "ROLLBACK":
        return "refused", "TRANSACTION_ROLLBACK"
    if first in ("PUT", "GET", "USE", "SET", "UNSET"):
        return "refused", first
    if first == "ALTER" and len(words) > 1 and words[1] == "SESSION":
        return "refused", "ALTER_SESSION"
    if first in ("LIST", "LS"):
        return "list", first
    if first in ("REMOVE", "RM"):
        return "remove", first
    if first in ("CREATE", "DROP") and "STAGE" in words[1:4]:
        return ("create_stage" if first == "CREATE" else "drop_stage"), first
    if first in ("CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE", "COMMENT"):
        return "ddl", first
    return "ddl", first


def transaction_control(sql: str):
    """BEGIN / COMMIT / ROLLBACK inside a multi-statement request, else None."""
    k, detail = kind_of(sql)
    if k == "refused" and detail.startswith("TRANSACTION_"):
        return detail[len("TRANSACTION_"):]
    return None


# --- translation to PostgreSQL --------------------------------------------------------------

_FUNCTION_RULES = {"CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
                   # SYSDATE: "Returns the current timestamp for the system in the UTC time zone"
                   # (https://docs.snowflake.com/en/sql-reference/functions/sysdate), a TIMESTAMP_NTZ
                   "SYSDATE": "_sfemu.sfntz_from(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')",
                   "CURRENT_DATE": "CURRENT_DATE", "CURRENT_TIME": "CURRENT_TIME",
                   "LOCALTIMESTAMP": "LOCALTIMESTAMP", "CURRENT_USER": "CURRENT_USER"}

# Snowflake functions the emulator implements in _sfemu (sf_types.py) under the same name.
_SNOWFLAKE_FUNCTIONS = {"TO_VARCHAR": "to_varchar", "TO_CHAR": "to_varchar",
                        "HEX_ENCODE": "hex_encode", "MD5_NUMBER_LOWER64": "md5_number_lower64",
                        "TO_JSON": "to_json", "PARSE_JSON": "parse_json",
                        "TO_BINARY": "to_binary", "TO_DATE": "to_date", "TO_TIME": "to_time",
                        "TO_TIMESTAMP": "to_timestamp", "TO_TIMESTAMP_NTZ": "to_timestamp_ntz",
                        "TO_TIMESTAMP_LTZ": "to_timestamp_ltz", "TO_TIMESTAMP_TZ": "to_timestamp_tz"}

# INFORMATION_SCHEMA views the emulator answers (from views in _sfemu that fold PostgreSQL's
# lower-case names to Snowflake's upper case, see snowflake_emulator.py); any other fails loudly.
_INFORMATION_SCHEMA = {"COLUMNS": "_sfemu.information_schema_columns",
                       "TABLES": "_sfemu.information_schema_tables"}

# An AUTOINCREMENT / IDENTITY column: PostgreSQL needs an integer type for an identity.
_IDENTITY_RE = re.compile(r"\b(?:NUMBER\s*\(\s*\d+\s*,\s*0\s*\)|NUMBER|INTEGER|INT|BIGINT)\s+"
                          r"(?:AUTOINCREMENT|IDENTITY)(?:\s*\(\s*\d+\s*,\s*\d+\s*\)|"
                          r"\s+START\s+\d+\s+INCREMENT\s+\d+)?", re.IGNORECASE)
_IDENTITY_MARK = "SFEMU_IDENTITY_COLUMN"

# Types whose values PostgreSQL's own input would not read as Snowflake does (sf_types.py): a
# literal cast to one goes through text, whose cast normalizes.
_SPECIAL_KINDS = ("TIME", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "BINARY")
_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "LIKE"}


def _read_type(toks, i):
    """The Snowflake type spelled at toks[i]: (SfType, index just after its last token), or
    (None, i) when no type starts there."""
    def nxt(k):
        k += 1
        while k < len(toks) and toks[k].kind in ("ws", "line_comment", "block_comment"):
            k += 1
        return k
    t = toks[i]
    if t.kind != "word" or not sf_types.is_type_word(t.text.upper()):
        return None, i
    words, end = [t.text.upper()], i + 1
    first = words[0]
    follow = {"DOUBLE": [["PRECISION"]], "CHAR": [["VARYING"]], "CHARACTER": [["VARYING"]],
              "NCHAR": [["VARYING"]],
              "TIMESTAMP": [["WITH", "LOCAL", "TIME", "ZONE"], ["WITH", "TIME", "ZONE"],
                            ["WITHOUT", "TIME", "ZONE"]]}.get(first, [])
    for seq in follow:
        j, ok, got, last = nxt(end - 1), True, [], end
        for w in seq:
            if j < len(toks) and toks[j].kind == "word" and toks[j].text.upper() == w:
                got.append(w)
                last = j + 1
                j = nxt(j)
            else:
                ok = False
                break
        if ok:
            words += got
            end = last
            break
    args = []
    k = nxt(end - 1)
    if k < len(toks) and toks[k].text == "(":
        j = nxt(k)
        while j < len(toks) and toks[j].kind == "number" and toks[j].text.isdigit():
            args.append(int(toks[j].text))
            j = nxt(j)
            if j < len(toks) and toks[j].text == ",":
                j = nxt(j)
        if j < len(toks) and toks[j].text == ")" and args:
            end = j + 1
        else:
            args = []
    try:
        return sf_types.parse_type(words, args), end
    except sf_types.TypeError_ as e:
        raise SqlError("002040", "42601", f"SQL compilation error:\nUnsupported data type '{e}'.")


def _special_cast_follows(toks, i, cast_depths, depth) -> bool:
    """After toks[i] (a literal or a bound value): a cast to a type of _SPECIAL_KINDS, by '::' or
    as CAST's AS. Such a value is sent as text, so the normalizing cast from text applies rather
    than the type's raw input."""
    rest = [(k, x) for k, x in enumerate(toks[i + 1:], start=i + 1)
            if x.kind not in ("ws", "line_comment", "block_comment")][:2]
    if len(rest) < 2:
        return False
    (_, op), (k, word) = rest
    if not (op.text == "::" or (op.kind == "word" and op.text.upper() == "AS" and cast_depths
                                and cast_depths[-1] == depth)):
        return False
    sft, _ = _read_type(toks, k)
    return sft is not None and sft.kind in _SPECIAL_KINDS


def to_postgres(sql: str, with_params: bool = False, domains: list = None) -> str:
    """The statement in PostgreSQL's dialect. with_params: '?' become %s and '%' is doubled
    (psycopg2's parameter syntax). domains: the column types (sf_types.SfType) the statement
    defines columns with are appended (the caller makes sure their domains exist).

    A Snowflake type name is translated where it names a type: after '::', in CAST(... AS <type>),
    where a column is defined (CREATE TABLE (...), ALTER TABLE ... ADD / SET DATA TYPE) and in a
    typed literal (TIMESTAMP '...'); elsewhere the word is a name."""
    toks = tokenize(_IDENTITY_RE.sub(_IDENTITY_MARK, sql))
    sig = [k for k, t in enumerate(toks) if t.kind not in ("ws", "line_comment", "block_comment")]
    pos = {k: n for n, k in enumerate(sig)}
    words = [toks[k].text.upper() if toks[k].kind == "word" else toks[k].text for k in sig]
    create_table = False
    if words[:1] == ["CREATE"]:
        w = [x for x in words[1:7] if x not in ("OR", "REPLACE", "TRANSIENT", "TEMPORARY", "TEMP",
                                                 "LOCAL", "GLOBAL", "VOLATILE")]
        create_table = bool(w) and w[0] == "TABLE"
    alter_table = words[:2] == ["ALTER", "TABLE"]

    def prev(k, back=1):
        n = pos.get(k)
        if n is None or n - back < 0:
            return None
        return toks[sig[n - back]]

    out = []
    depth = 0
    cast_depths = []      # paren depths opened by CAST( / TRY_CAST(
    table_paren = None    # depth of CREATE TABLE's column list
    expect = None         # "name" or "type" inside the column list
    ctas = False          # CREATE TABLE ... AS / LIKE / CLONE: no column list
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = next((x for x in toks[i + 1:] if x.kind not in ("ws", "line_comment",
                                                             "block_comment")), None)
        if t.kind == "word":
            u = t.text.upper()
            if u == _IDENTITY_MARK:
                out.append("BIGINT GENERATED BY DEFAULT AS IDENTITY")
                expect = None if expect == "type" else expect
                i += 1
                continue
            if u == "INFORMATION_SCHEMA" and nxt and nxt.text == ".":
                rest = [x for x in toks[toks.index(nxt, i + 1) + 1:] if x.kind != "ws"]
                view = rest[0].upper() if rest and rest[0].kind in ("word", "qident") else None
                if rest and rest[0].kind == "qident":
                    view = ident_value(rest[0])
                if view not in _INFORMATION_SCHEMA:
                    raise unsupported(f"INFORMATION_SCHEMA.{view}")
                out.append(_INFORMATION_SCHEMA[view])
                i = toks.index(rest[0], i + 1) + 1
                continue
            if u in ("TRANSIENT", "TEMPORARY", "TEMP") and nxt and nxt.upper() == "TABLE":
                # TRANSIENT: no Fail-safe, which PostgreSQL has not either. TEMPORARY: both
                # vanish with the session, which is the request in the SQL API.
                if u != "TRANSIENT":
                    out.append("TEMPORARY")
                i += 1
                continue
            before = prev(i)
            in_type_position = (
                (before is not None and before.kind == "punct" and before.text == "::")
                or (before is not None and before.upper() == "AS" and cast_depths
                    and cast_depths[-1] == depth)
                or (expect == "type" and depth == table_paren)
                or (alter_table and before is not None and (
                    before.upper() == "TYPE" or
                    (prev(i, 2) is not None and prev(i, 2).upper() in ("ADD", "COLUMN", "EXISTS")
                     and before.kind in ("word", "qident")
                     and before.upper() not in ("COLUMN", "CONSTRAINT")))))
            typed_literal = (nxt is not None and nxt.kind == "string" and sf_types.is_type_word(u)
                             and u in ("DATE", "TIME", "TIMESTAMP", "DATETIME", "TIMESTAMP_NTZ",
                                       "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "TIMESTAMPNTZ",
                                       "TIMESTAMPLTZ"))
            if (in_type_position or typed_literal) and sf_types.is_type_word(u):
                sft, end = _read_type(toks, i)
                if typed_literal and not in_type_position:
                    if sft.kind == "DATE":
                        out.append("DATE")
                        i += 1
                        continue
                    j = toks.index(nxt, i + 1)
                    s_ = pg_string(string_value(nxt.text))
                    out.append("(" + (s_.replace("%", "%%") if with_params else s_) + "::text::" +
                               sft.cast_target() + ")")
                    i = j + 1
                    continue
                if expect == "type" and depth == table_paren or (
                        alter_table and not (before.kind == "punct" and before.text == "::")):
                    if domains is not None:
                        domains.append(sft)
                    out.append(sft.domain())
                    expect = None
                else:
                    out.append(sft.cast_target())
                i = end
                continue
            if expect == "name" and depth == table_paren:
                expect = None if u in _CONSTRAINT_WORDS else "type"
                out.append(t.text)
                i += 1
                continue
            if u in _FUNCTION_RULES and nxt and nxt.text == "(":
                j = toks.index(nxt, i + 1)
                after = [x for x in toks[j + 1:] if x.kind != "ws"]
                if after and after[0].text == ")":
                    out.append(_FUNCTION_RULES[u])
                    i = toks.index(after[0], j + 1) + 1
                    continue
            if u == "MINUS":
                out.append("EXCEPT")  # Snowflake's MINUS is EXCEPT
                i += 1
                continue
            if u in _SNOWFLAKE_FUNCTIONS and nxt and nxt.text == "(" and \
                    not (before is not None and before.text == "."):
                out.append("_sfemu." + _SNOWFLAKE_FUNCTIONS[u])
                i += 1
                continue
            if create_table and depth == 0 and u in ("AS", "LIKE", "CLONE"):
                ctas = True
            if u in ("CAST", "TRY_CAST") and nxt and nxt.text == "(":
                cast_depths.append(depth + 1)
            out.append(t.text)
        elif t.kind == "qident":
            if expect == "name" and depth == table_paren:
                expect = "type"
            out.append(t.text)
        elif t.kind == "string":
            s = pg_string(string_value(t.text))
            out.append(s.replace("%", "%%") if with_params else s)
            if _special_cast_follows(toks, i, cast_depths, depth):
                out.append("::text")
        elif t.kind == "dollar":
            out.append(pg_string(t.text[2:-2]).replace("%", "%%") if with_params else
                       pg_string(t.text[2:-2]))
        elif t.kind == "punct" and t.text == ":" and i + 1 < len(toks) and \
                toks[i + 1].kind == "number" and toks[i + 1].text.isdigit():
            # a numbered placeholder :n (its value's position is in placeholder_order())
            if not with_params:
                raise SqlError("002049", "42601", "SQL compilation error: error line 1 at "
                               f"position 0\nBind variable :{toks[i + 1].text} not set.")
            out.append("%s")
            if _special_cast_follows(toks, i + 1, cast_depths, depth):
                out.append("::text")
            i += 2
            continue
        elif t.kind == "param":
            if not with_params:
                raise SqlError("002049", "42601", "SQL compilation error: error line 1 at "
                               "position 0\nBind variable ? not set.")
            out.append("%s")
            if _special_cast_follows(toks, i, cast_depths, depth):
                out.append("::text")
        elif t.kind == "line_comment" and t.text.startswith("//"):
            out.append("--" + t.text[2:])
        elif t.kind == "punct" and t.text == "%" and with_params:
            out.append("%%")
        elif t.kind == "punct" and t.text == "(":
            depth += 1
            if create_table and table_paren is None and depth == 1 and not ctas:
                table_paren, expect = 1, "name"
            out.append(t.text)
        elif t.kind == "punct" and t.text == ")":
            if cast_depths and cast_depths[-1] == depth:
                cast_depths.pop()
            if depth == table_paren:
                expect = None
            depth -= 1
            out.append(t.text)
        elif t.kind == "punct" and t.text == "," and depth == table_paren and table_paren:
            expect = "name"
            out.append(t.text)
        else:
            out.append(t.text)
        i += 1
    return "".join(out)


def placeholder_order(sql: str) -> list:
    """The binding number each placeholder of the statement takes, in text order: `?` count 1, 2,
    ... and `:n` takes binding n (which may repeat). Mixing the two styles fails."""
    toks = tokenize(sql)
    order, seq, styles = [], 0, set()
    for i, t in enumerate(toks):
        if t.kind == "param":
            seq += 1
            order.append(seq)
            styles.add("?")
        elif t.kind == "punct" and t.text == ":" and i + 1 < len(toks) and \
                toks[i + 1].kind == "number" and toks[i + 1].text.isdigit():
            order.append(int(toks[i + 1].text))
            styles.add(":n")
    if len(styles) > 1:
        raise SqlError("001003", "42000", "SQL compilation error:\nbind variables ? and :n mixed")
    return order


# --- stage references -----------------------------------------------------------------------

def parse_stage_ref(text: str):
    """'@"DB"."SCH"."STAGE"/a/b' -> ('STAGE', 'a/b'): the stage's name (Snowflake resolution)
    and the path under it."""
    assert text.startswith("@")
    rest = text[1:]
    parts, i, name_end = [], 0, len(rest)
    while i < len(rest):
        if rest[i] == '"':
            j = i + 1
            while j < len(rest):
                if rest[j] == '"' and (j + 1 >= len(rest) or rest[j + 1] != '"'):
                    break
                j += 2 if rest[j] == '"' else 1
            parts.append(rest[i + 1:j].replace('""', '"'))
            i = j + 1
        else:
            m = re.match(r"[A-Za-z0-9_$~%]+", rest[i:])
            if not m:
                raise SqlError("001003", "42000", f"SQL compilation error:\nbad stage reference {text}")
            parts.append(m.group().upper() if not m.group().startswith("~") else m.group())
            i += m.end()
        if i < len(rest) and rest[i] == ".":
            i += 1
            continue
        name_end = i
        break
    path = rest[name_end:].lstrip("/")
    return parts[-1], path


# --- COPY INTO <table> ----------------------------------------------------------------------

class CopyStatement:
    def __init__(self):
        self.table_tokens = []   # as written, for PostgreSQL
        self.table_name = ""     # Snowflake-resolved name of the table (for messages)
        self.columns = None      # explicit column list (PostgreSQL spelling) or None
        self.source = None       # ("stage", name, path) or ("url", "s3://...")
        self.files = None        # FILES = (...)
        self.pattern = None
        self.file_format = {}    # upper-case option -> value (str | list | bool | int)
        self.options = {}        # copy options, same shape


def _value(toks, i):
    """An option value at toks[i]: returns (value, next index)."""
    t = toks[i]
    if t.kind == "punct" and t.text == "(":
        items, j = [], i + 1
        while not (toks[j].kind == "punct" and toks[j].text == ")"):
            if toks[j].kind == "punct" and toks[j].text == ",":
                j += 1
                continue
            if toks[j].kind == "word" and j + 1 < len(toks) and toks[j + 1].text == "=":
                # nested option list: FILE_FORMAT = (TYPE = CSV ...)
                opts = {}
                while not (toks[j].kind == "punct" and toks[j].text == ")"):
                    if toks[j].text == ",":
                        j += 1
                        continue
                    name = toks[j].text.upper()
                    if toks[j + 1].text != "=":
                        raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error "
                                       f"near {toks[j + 1].text}")
                    val, j = _value(toks, j + 2)
                    opts[name] = val
                return opts, j + 1
            val, j = _value(toks, j)
            items.append(val)
        return items, j + 1
    if t.kind == "string":
        return string_value(t.text), i + 1
    if t.kind == "number":
        return int(t.text) if t.text.isdigit() else float(t.text), i + 1
    if t.kind == "word":
        u = t.text.upper()
        if u == "TRUE":
            return True, i + 1
        if u == "FALSE":
            return False, i + 1
        return u, i + 1
    if t.kind == "qident":
        return ident_value(t), i + 1
    raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error line 1 unexpected "
                                      f"'{t.text}'.")


def parse_copy(sql: str) -> CopyStatement:
    toks = significant(tokenize(sql))
    c = CopyStatement()
    if len(toks) < 4 or toks[0].upper() != "COPY" or toks[1].upper() != "INTO":
        raise unsupported("This form of COPY")
    i = 2
    if toks[i].kind == "stage":
        raise unsupported("COPY INTO <location> (unloading)")
    while True:  # table reference
        if toks[i].kind not in ("word", "qident"):
            raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error line 1 at "
                                              f"position 10 unexpected '{toks[i].text}'.")
        c.table_tokens.append(toks[i].text)
        c.table_name = ident_value(toks[i])
        i += 1
        if toks[i].kind == "punct" and toks[i].text == ".":
            c.table_tokens.append(".")
            i += 1
            continue
        break
    if toks[i].kind == "punct" and toks[i].text == "(":
        cols, i = [], i + 1
        while toks[i].text != ")":
            if toks[i].text != ",":
                cols.append(toks[i].text)
            i += 1
        c.columns, i = cols, i + 1
    if toks[i].upper() != "FROM":
        raise SqlError("001003", "42000", "SQL compilation error:\nsyntax error: FROM expected")
    i += 1
    src = toks[i]
    if src.kind == "stage":
        name, path = parse_stage_ref(src.text)
        c.source = ("stage", name, path)
    elif src.kind == "string" and string_value(src.text).startswith("@"):
        name, path = parse_stage_ref(string_value(src.text))
        c.source = ("stage", name, path)
    elif src.kind == "string" and string_value(src.text).lower().startswith("s3://"):
        c.source = ("url", string_value(src.text))
    elif src.kind == "punct" and src.text == "(":
        raise unsupported("COPY with a transformation (FROM (SELECT ...))")
    else:
        raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error near '{src.text}'")
    i += 1
    while i < len(toks):
        t = toks[i]
        if t.kind == "punct" and t.text == ";":
            break
        if t.kind != "word" or i + 1 >= len(toks) or toks[i + 1].text != "=":
            raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error line 1 "
                                              f"unexpected '{t.text}'.")
        name = t.text.upper()
        value, i = _value(toks, i + 2)
        if name == "FILES":
            c.files = value if isinstance(value, list) else [value]
        elif name == "PATTERN":
            c.pattern = value
        elif name == "FILE_FORMAT":
            if not isinstance(value, dict):
                raise unsupported("FILE_FORMAT other than an inline (TYPE = ...) list")
            c.file_format = value
        else:
            c.options[name] = value
    return c


# --- statement parts the emulator handles itself ----------------------------------------------

def _name_tokens(toks, i):
    """The tokens of a (possibly qualified) object name starting at toks[i] (significant tokens):
    returns (tokens, next index)."""
    name = []
    while i < len(toks) and toks[i].kind in ("word", "qident"):
        name.append(toks[i])
        if i + 1 < len(toks) and toks[i + 1].text == ".":
            name.append(toks[i + 1])
            i += 2
            continue
        i += 1
        break
    return name, i


def delete_target(sql: str):
    """DELETE FROM <name> ...: the name as written (Snowflake spelling), or None."""
    toks = significant(tokenize(sql))
    if len(toks) < 3 or toks[0].upper() != "DELETE" or toks[1].upper() != "FROM":
        return None
    name, _ = _name_tokens(toks, 2)
    return "".join(t.text for t in name) or None


def create_or_replace_table(sql: str):
    """CREATE OR REPLACE [TRANSIENT|TEMPORARY] TABLE <name> ...: the name (Snowflake spelling) the
    emulator drops first (PostgreSQL has no CREATE OR REPLACE TABLE), else None."""
    toks = significant(tokenize(sql))
    words = [t.upper() for t in toks[:6]]
    if words[:3] != ["CREATE", "OR", "REPLACE"]:
        return None
    i = 3
    if words[i] in ("TRANSIENT", "TEMPORARY", "TEMP"):
        i += 1
    if words[i] != "TABLE":
        return None
    name, _ = _name_tokens(toks, i + 1)
    return "".join(t.text for t in name)


def ddl_table(sql: str):
    """CREATE [OR REPLACE] [TRANSIENT|TEMPORARY] TABLE [IF NOT EXISTS] <name> ... or ALTER TABLE
    [IF EXISTS] <name> ...: (verb, name as written, or_replace, as_select), else None."""
    toks = significant(tokenize(sql))
    words = [t.upper() for t in toks]
    if not words:
        return None
    if words[0] == "ALTER" and len(words) > 2 and words[1] == "TABLE":
        i = 2
        if words[i:i + 2] == ["IF", "EXISTS"]:
            i += 2
        name, _ = _name_tokens(toks, i)
        return ("ALTER", "".join(t.text for t in name), False, False) if name else None
    if words[0] != "CREATE":
        return None
    i, or_replace = 1, False
    if words[1:3] == ["OR", "REPLACE"]:
        i, or_replace = 3, True
    while i < len(words) and words[i] in ("TRANSIENT", "TEMPORARY", "TEMP", "LOCAL", "GLOBAL",
                                          "VOLATILE"):
        i += 1
    if i >= len(words) or words[i] != "TABLE":
        return None
    i += 1
    if words[i:i + 3] == ["IF", "NOT", "EXISTS"]:
        i += 3
    name, j = _name_tokens(toks, i)
    depth, as_select = 0, False
    for t in toks[j:]:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        elif depth == 0 and t.upper() == "AS":
            as_select = True
            break
    return ("CREATE", "".join(t.text for t in name), or_replace, as_select) if name else None


def strip_or_replace(sql: str) -> str:
    return re.sub(r"^(\s*CREATE)\s+OR\s+REPLACE\b", r"\1", sql, count=1, flags=re.IGNORECASE)


_NOT_ALIASES = {"WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON",
                "USING", "GROUP", "ORDER", "LIMIT", "UNION", "MINUS", "EXCEPT", "INTERSECT",
                "QUALIFY", "HAVING", "WINDOW", "FETCH", "OFFSET", "SAMPLE", "TABLESAMPLE",
                "CHANGES", "PIVOT", "UNPIVOT", "LATERAL", "MATCH_RECOGNIZE", "AT", "BEFORE"}


def rewrite_time_travel(sql: str, bindings, resolve):
    """Replaces each `<table> {AT | BEFORE}(<param> => <value>) [[AS] alias]` with what
    resolve(table_text, table_name, clause, param, value, alias) returns (a parenthesised relation
    with that alias; alias defaults to the table's name). param is STATEMENT, TIMESTAMP or OFFSET
    (https://docs.snowflake.com/en/sql-reference/constructs/at-before); a STATEMENT's value is the
    query id (a literal, a `:n` placeholder whose binding stays, unused, or a `?` placeholder whose
    binding is removed and the later ones renumbered); a TIMESTAMP's or OFFSET's value is the
    expression's text (bindings in it are refused). STREAM fails loudly. Returns (sql, bindings)."""
    toks = tokenize(sql)
    sig = [k for k, t in enumerate(toks) if t.kind not in ("ws", "line_comment", "block_comment")]
    bind = dict(bindings or {})
    out, last, placeholders_seen, removed = [], 0, 0, []

    def token(n):
        return toks[sig[n]] if n < len(sig) else Token("other", "")

    def bound(key, shown):
        if key not in bind or bind[key].get("value") is None:
            raise SqlError("002049", "42601", f"SQL compilation error:\nBind variable {shown} not set.")
        return str(bind[key]["value"])

    j = 0
    while j < len(sig):
        t = token(j)
        if t.kind == "param":
            placeholders_seen += 1
        clause = t.upper()
        if not (clause in ("BEFORE", "AT") and token(j + 1).text == "(" and j > 0 and
                token(j - 1).kind in ("word", "qident")):
            j += 1
            continue
        k = j - 1  # the (possibly qualified) table name before the clause
        while k >= 2 and token(k - 1).text == "." and token(k - 2).kind in ("word", "qident"):
            k -= 2
        if k == 0 or not (token(k - 1).upper() in ("FROM", "JOIN") or token(k - 1).text in (",", "(")):
            j += 1
            continue
        what = token(j + 2).upper() or token(j + 2).text
        if what not in ("STATEMENT", "TIMESTAMP", "OFFSET"):
            raise unsupported(f"Time Travel {clause}({what} => ...)")
        if token(j + 3).text != "=" or token(j + 4).text != ">":
            raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error near {what}")
        if what == "STATEMENT":
            value, close = token(j + 5), j + 6
            if value.kind == "punct" and value.text == ":" and token(j + 6).kind == "number":
                value_text = bound(token(j + 6).text, ":" + token(j + 6).text)
                close = j + 7
            elif value.kind == "param":
                placeholders_seen += 1
                value_text = bound(str(placeholders_seen), "?")
                removed.append(placeholders_seen)
            elif value.kind == "string":
                value_text = string_value(value.text)
            else:
                raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error near "
                                                  f"'{value.text}'")
        else:
            # the expression up to the clause's closing parenthesis
            depth, close = 0, j + 5
            while close < len(sig):
                x = token(close)
                if x.kind in ("param",) or (x.text == ":" and token(close + 1).kind == "number"):
                    raise unsupported(f"A bound value in {clause}({what} => ...)")
                if x.text == "(":
                    depth += 1
                elif x.text == ")":
                    if depth == 0:
                        break
                    depth -= 1
                close += 1
            value_text = "".join(x.text for x in toks[sig[j + 5]:sig[close]]) if close > j + 5 \
                else ""
        if token(close).text != ")":
            raise SqlError("001003", "42000", "SQL compilation error: syntax error: ')' expected")
        name_toks = [token(x) for x in range(k, j)]
        # an alias after the clause
        end, alias = close, None
        a = token(close + 1)
        if a.upper() == "AS" and token(close + 2).kind in ("word", "qident"):
            alias, end = token(close + 2), close + 2
        elif a.kind == "qident" or (a.kind == "word" and a.upper() not in _NOT_ALIASES):
            alias, end = a, close + 1
        out.append("".join(x.text for x in toks[last:sig[k]]))
        out.append(resolve("".join(x.text for x in name_toks), ident_value(name_toks[-1]), clause,
                           what, value_text, alias.text if alias is not None else None))
        last = sig[end] + 1
        j = end + 1
    out.append("".join(x.text for x in toks[last:]))
    if removed:
        kept = [bind[str(n)] for n in range(1, len(bind) + 1) if n not in removed and str(n) in bind]
        bind = {str(n): b for n, b in enumerate(kept, start=1)}
    return "".join(out), (bind if bindings is not None else None)

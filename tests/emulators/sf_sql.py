"""Snowflake SQL text, as far as the SQL API emulator needs it: splitting a multi-statement request,
telling statement kinds apart, translating the Snowflake dialect sluice sends into PostgreSQL, and
parsing COPY INTO <table> ... FROM @stage (the copy itself is in sf_copy.py).

The translation is deliberately small: data types, a few functions, string escapes and bind
placeholders. Anything the emulator does not understand fails loudly (an error naming the
construct), so a test never passes on a silently different meaning."""

import re


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

_TYPE_RULES = [
    (re.compile(r"^(NUMBER|DECIMAL|NUMERIC)$"), "NUMERIC"),
    (re.compile(r"^(INT|INTEGER|BIGINT|SMALLINT|TINYINT|BYTEINT)$"), "NUMERIC(38,0)"),
    (re.compile(r"^(FLOAT|FLOAT4|FLOAT8|DOUBLE|REAL)$"), "DOUBLE PRECISION"),
    (re.compile(r"^(STRING|TEXT|NVARCHAR|NVARCHAR2|CHAR_VARYING|NCHAR_VARYING)$"), "TEXT"),
    (re.compile(r"^(TIMESTAMP_NTZ|DATETIME)$"), "TIMESTAMP"),
    (re.compile(r"^(TIMESTAMP_LTZ|TIMESTAMP_TZ)$"), "TIMESTAMPTZ"),
    (re.compile(r"^(BINARY|VARBINARY)$"), "BYTEA"),
    (re.compile(r"^(VARIANT|OBJECT|ARRAY)$"), "JSONB"),
]

_FUNCTION_RULES = {"CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP", "SYSDATE": "LOCALTIMESTAMP",
                   "CURRENT_DATE": "CURRENT_DATE", "CURRENT_TIME": "CURRENT_TIME",
                   "LOCALTIMESTAMP": "LOCALTIMESTAMP", "CURRENT_USER": "CURRENT_USER"}

# INFORMATION_SCHEMA views the emulator answers (from views in _sfemu that fold PostgreSQL's
# lower-case names to Snowflake's upper case, see snowflake_emulator.py); any other fails loudly.
_INFORMATION_SCHEMA = {"COLUMNS": "_sfemu.information_schema_columns",
                       "TABLES": "_sfemu.information_schema_tables"}

# An AUTOINCREMENT / IDENTITY column: PostgreSQL needs an integer type for an identity.
_IDENTITY_RE = re.compile(r"\b(?:NUMBER\s*\(\s*\d+\s*,\s*0\s*\)|NUMBER|INTEGER|INT|BIGINT)\s+"
                          r"(?:AUTOINCREMENT|IDENTITY)(?:\s*\(\s*\d+\s*,\s*\d+\s*\)|"
                          r"\s+START\s+\d+\s+INCREMENT\s+\d+)?", re.IGNORECASE)
_IDENTITY_MARK = "SFEMU_IDENTITY_COLUMN"


def to_postgres(sql: str, with_params: bool = False) -> str:
    """The statement in PostgreSQL's dialect. with_params: '?' become %s and '%' is doubled
    (psycopg2's parameter syntax)."""
    toks = tokenize(_IDENTITY_RE.sub(_IDENTITY_MARK, sql))
    out = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = next((x for x in toks[i + 1:] if x.kind != "ws"), None)
        if t.kind == "word":
            u = t.text.upper()
            replaced = None
            if u == _IDENTITY_MARK:
                out.append("BIGINT GENERATED BY DEFAULT AS IDENTITY")
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
            for rule, pg in _TYPE_RULES:
                if rule.match(u):
                    replaced = pg
                    break
            if replaced and replaced in ("DOUBLE PRECISION",) and u == "DOUBLE" and nxt and \
                    nxt.upper() == "PRECISION":
                replaced = None
            if u in ("VARCHAR", "CHAR", "CHARACTER") and nxt and nxt.text == "(":
                # VARCHAR(16777216) is Snowflake's default; PostgreSQL caps at 10485760.
                j = toks.index(nxt, i + 1)
                m = [x for x in toks[j + 1:j + 4] if x.kind != "ws"]
                if m and m[0].kind == "number" and int(float(m[0].text)) > 10485760:
                    close = next(k for k in range(j, len(toks)) if toks[k].text == ")")
                    out.append("TEXT")
                    i = close + 1
                    continue
            if u in _FUNCTION_RULES and nxt and nxt.text == "(":
                j = toks.index(nxt, i + 1)
                after = [x for x in toks[j + 1:] if x.kind != "ws"]
                if after and after[0].text == ")":
                    out.append(_FUNCTION_RULES[u])
                    i = toks.index(after[0], j + 1) + 1
                    continue
            if replaced and not (replaced == "NUMERIC" and u in ("NUMERIC", "DECIMAL")):
                out.append(replaced)
            else:
                out.append(t.text)
        elif t.kind == "string":
            s = pg_string(string_value(t.text))
            out.append(s.replace("%", "%%") if with_params else s)
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
            i += 2
            continue
        elif t.kind == "param":
            if not with_params:
                raise SqlError("002049", "42601", "SQL compilation error: error line 1 at "
                               "position 0\nBind variable ? not set.")
            out.append("%s")
        elif t.kind == "line_comment" and t.text.startswith("//"):
            out.append("--" + t.text[2:])
        elif t.kind == "punct" and t.text == "%" and with_params:
            out.append("%%")
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


def strip_or_replace(sql: str) -> str:
    return re.sub(r"^(\s*CREATE)\s+OR\s+REPLACE\b", r"\1", sql, count=1, flags=re.IGNORECASE)


def rewrite_time_travel(sql: str, bindings, resolve):
    """Replaces each `<table> BEFORE(STATEMENT => <id>)` (or AT) with what resolve(table_text,
    table_name, clause, statement_id) returns (a parenthesised relation with an alias). The id may
    be a literal, a `:n` placeholder (its binding stays, unused) or a `?` placeholder (its binding
    is removed and the later ones renumbered). Returns (sql, bindings). Other Time Travel forms
    (TIMESTAMP, OFFSET) fail loudly."""
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
        what = token(j + 2).upper() or token(j + 2).text
        if what != "STATEMENT":
            raise unsupported(f"Time Travel {clause}({what} => ...)")
        if token(j + 3).text != "=" or token(j + 4).text != ">":
            raise SqlError("001003", "42000", "SQL compilation error:\nsyntax error near STATEMENT")
        value, close = token(j + 5), j + 6
        if value.kind == "punct" and value.text == ":" and token(j + 6).kind == "number":
            statement_id = bound(token(j + 6).text, ":" + token(j + 6).text)
            close = j + 7
        elif value.kind == "param":
            placeholders_seen += 1
            statement_id = bound(str(placeholders_seen), "?")
            removed.append(placeholders_seen)
        elif value.kind == "string":
            statement_id = string_value(value.text)
        else:
            raise SqlError("001003", "42000", f"SQL compilation error:\nsyntax error near '{value.text}'")
        if token(close).text != ")":
            raise SqlError("001003", "42000", "SQL compilation error:\nsyntax error: ')' expected")
        # the (possibly qualified) table name before the clause
        k = j - 1
        while k >= 2 and token(k - 1).text == "." and token(k - 2).kind in ("word", "qident"):
            k -= 2
        name_toks = [token(x) for x in range(k, j)]
        out.append("".join(x.text for x in toks[last:sig[k]]))
        out.append(resolve("".join(x.text for x in name_toks), ident_value(name_toks[-1]), clause,
                           statement_id))
        last = sig[close] + 1
        j = close + 1
    out.append("".join(x.text for x in toks[last:]))
    if removed:
        kept = [bind[str(n)] for n in range(1, len(bind) + 1) if n not in removed and str(n) in bind]
        bind = {str(n): b for n, b in enumerate(kept, start=1)}
    return "".join(out), (bind if bindings is not None else None)

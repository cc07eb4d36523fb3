"""Time Travel for the SQL API emulator by PostgreSQL snapshots
(https://docs.snowflake.com/en/sql-reference/constructs/at-before).

When a statement of a single-statement request succeeds, its session opens a REPEATABLE READ
transaction, calls pg_export_snapshot() and is kept open: that is the table data "AT(STATEMENT =>
<its handle>)" ("inclusive of any changes made by a statement"). Before a DML statement (INSERT,
UPDATE, DELETE, MERGE, COPY INTO <table>) another session exports the snapshot "BEFORE(STATEMENT =>
<handle>)" stands for ("a point immediately preceding"). A later statement that reads a table AT or
BEFORE such a point runs in a transaction that imported the snapshot (SET TRANSACTION SNAPSHOT),
when every table it reads is read at that one point; otherwise each such table is copied from its
snapshot into a temporary table first. So the rows are the real rows of that moment, whatever
changed since.

Only `limit` snapshots are kept (each holds a PostgreSQL session), the least recently used ones
forgotten first; a forgotten one is gone as Time Travel data past retention is: the statement fails
with 000707. Limits: the point is taken
when the emulator's statement commits, so another client's changes committed in between count as
before it; PostgreSQL's TRUNCATE is not MVCC-safe (a snapshot older than a TRUNCATE sees an empty
table), and a table dropped since is gone.
"""

import collections
import threading

import psycopg2


class Snapshot:
    __slots__ = ("handle", "which", "conn", "snapshot_id", "at")

    def __init__(self, handle, which, conn, snapshot_id, at):
        self.handle, self.which, self.conn = handle, which, conn
        self.snapshot_id, self.at = snapshot_id, at


def export(conn):
    """Opens the snapshot transaction on conn (autocommit, no transaction open): (id, at)."""
    with conn.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cur.execute("SELECT pg_export_snapshot(), clock_timestamp()")
        return cur.fetchone()


class Registry:
    def __init__(self, limit: int):
        self.limit = max(0, int(limit))
        self.lock = threading.Lock()
        self.items = collections.OrderedDict()  # (handle, which) -> Snapshot

    def add(self, handle, which, conn, snapshot_id, at):
        evicted = []
        with self.lock:
            self.items[(handle, which)] = Snapshot(handle, which, conn, snapshot_id, at)
            while len(self.items) > self.limit:
                evicted.append(self.items.popitem(last=False)[1])
        for s in evicted:
            _close(s.conn)

    def get(self, handle, which):
        """The point, counted as used (the least recently used ones are forgotten first)."""
        with self.lock:
            s = self.items.get((handle, which))
            if s is not None:
                self.items.move_to_end((handle, which))
            return s

    def latest(self, instant, strict=False):
        """The newest AT point at or (strict) before an instant."""
        with self.lock:
            found = [s for s in self.items.values() if s.which == "after" and
                     (s.at < instant if strict else s.at <= instant)]
        if not found:
            return None
        best = max(found, key=lambda s: s.at)
        return self.get(best.handle, best.which)

    def close(self):
        with self.lock:
            items, self.items = list(self.items.values()), collections.OrderedDict()
        for s in items:
            _close(s.conn)


def _close(conn):
    try:
        conn.rollback()
    except psycopg2.Error:
        pass
    try:
        conn.close()
    except psycopg2.Error:
        pass

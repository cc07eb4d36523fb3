#!/usr/bin/env bash
# Benchmarks `sluice migrate run` from a SQLite file into PostgreSQL against pgloader (Debian's)
# on the same file and server, and against psql's \copy of the same rows from a TSV file into a
# table of the same shape (the server's own limit). Prints times, rows/s, ratios and sluice's RSS.
#
#   bench/migrate_sqlite_vs_pgloader.sh [ROWS]     (default 400000; needs build/sluice, sqlite3, pgloader)
#
# Everything lives in a temp dir (the SQLite file, a private PostgreSQL cluster, state) removed at the end.
set -euo pipefail
rows=${1:-400000}
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 2; }
command -v pgloader >/dev/null || { echo "needs pgloader (apt-get install pgloader)" >&2; exit 2; }
source "$(dirname "$0")/lib.sh"

db=$work/legacy.db
# A typical application table: integer key, text, a real, an integer, an ISO timestamp, a note.
sqlite3 "$db" <<SQL
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL, qty INTEGER, placed DATETIME, note TEXT);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $rows)
INSERT INTO orders SELECT n, printf('customer %d', n % 50000), (n % 100000) * 0.37, n % 17,
  strftime('%Y-%m-%d %H:%M:%S', 1600000000 + n * 37, 'unixepoch'),
  CASE WHEN n % 4 = 0 THEN NULL ELSE printf('order note number %d with some words in it', n) END FROM g;
SQL
tsv=$work/orders.tsv
sqlite3 -separator $'\t' -nullvalue '\N' "$db" "SELECT * FROM orders" > "$tsv"
chmod 644 "$db" "$tsv"

"$sluice" db start >/dev/null
url=$("$sluice" db url)
host=$(sed -E 's/.*host=([^ ]+).*/\1/' <<<"$url")
port=$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$url")
cat > "$work/sluice.yaml" <<YAML
connections:
  legacy: { type: sqlite, path: "$db" }
migrations:
  - { name: bench, source: legacy, schema: bench, chunk_rows: 100000, tables: [orders] }
YAML
cfg=(--config "$work/sluice.yaml" -q --batch)


sluice_runs=() psql_runs=() pgl_runs=()
for i in 1 2; do
  psql -X -q "$url" -c "CHECKPOINT"
  t0=$(now)
  /usr/bin/time -v -o "$work/time.txt" "$sluice" "${cfg[@]}" migrate run --restart >/dev/null
  sluice_runs+=("$(elapsed "$t0" "$(now)")")

  # psql \copy of the same rows into a table of the same shape (sluice's DDL), with the same key
  # built after the data, as sluice does.
  psql -X -q "$url" -c "DROP TABLE IF EXISTS bench.orders_psql" -c "CREATE TABLE bench.orders_psql (LIKE bench.orders)" -c "CHECKPOINT"
  t0=$(now)
  psql -X -q "$url" -c "\\copy bench.orders_psql FROM '$tsv'" -c "ALTER TABLE bench.orders_psql ADD PRIMARY KEY (id)"
  psql_runs+=("$(elapsed "$t0" "$(now)")")

  psql -X -q "$url" -c "DROP DATABASE IF EXISTS pgl" -c "CREATE DATABASE pgl" -c "CHECKPOINT"
  t0=$(now)
  pgloader --quiet "sqlite://$db" "postgresql://sluice@unix:$host:$port/pgl" > "$work/pgloader.log" 2>&1 ||
    { cat "$work/pgloader.log" >&2; exit 1; }
  pgl_runs+=("$(elapsed "$t0" "$(now)")")
done
got=$(psql -X -qAt "$url" -c "SELECT count(*) FROM bench.orders")
[ "$got" = "$rows" ] || { echo "sluice copied $got rows, not $rows" >&2; exit 1; }
pgl=$(psql -X -qAt "host=$host port=$port dbname=pgl user=sluice" -c "SELECT count(*) FROM orders")
[ "$pgl" = "$rows" ] || { echo "pgloader copied $pgl rows, not $rows" >&2; exit 1; }
"$sluice" "${cfg[@]}" migrate verify >/dev/null || { echo "sluice migrate verify found differences" >&2; exit 1; }

s=$(best "${sluice_runs[@]}"); p=$(best "${psql_runs[@]}"); g=$(best "${pgl_runs[@]}")
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/time.txt")
mb=$(echo "$(stat -c %s "$db") / 1000000" | bc -l)
printf 'SQLite file: %.0f MB, %s rows, %s cores\n' "$mb" "$rows" "$(nproc)"
printf 'psql \\copy (TSV file)  %7.2f s  %9.0f rows/s\n' "$p" "$(echo "$rows / $p" | bc -l)"
printf 'pgloader               %7.2f s  %9.0f rows/s\n' "$g" "$(echo "$rows / $g" | bc -l)"
printf 'sluice migrate run     %7.2f s  %9.0f rows/s  pgloader/sluice %.2f  sluice/psql %.2f  (peak RSS %s KB)\n' \
  "$s" "$(echo "$rows / $s" | bc -l)" "$(echo "$g / $s" | bc -l)" "$(echo "$s / $p" | bc -l)" "$rss"

#!/usr/bin/env bash
# Benchmarks sluice's PostgreSQL load against psql's \copy on the same file, server and table
# shape, and sluice's QC scan against `wc -l` on the same file from page cache. Prints ratios.
#
#   bench/load_vs_psql.sh [SIZE_MB]      (default 1000; needs build/sluice, run scripts/build first)
#
# Everything lives in a temp dir (data, a private PostgreSQL cluster, state) removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size_mb=${1:-1000}
sluice=$root/build/sluice
[ -x "$sluice" ] || { echo "build sluice first: scripts/build" >&2; exit 2; }

work=$(mktemp -d /tmp/sluice-bench-XXXXXX)
chmod 755 "$work"
export SLUICE_PG_DIR=$work/pg XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
cleanup() { "$sluice" db stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

file=$work/factLending_20240101-20240131.tsv
"$sluice" -q generate --size-mb "$size_mb" --out "$file" --config-out "$work/sluice.yaml" --table FACT >/dev/null
"$sluice" db start >/dev/null
url=$("$sluice" db url)
cfg=(--config "$work/sluice.yaml" -q --batch)
bytes=$(stat -c %s "$file")
rows=$(wc -l < "$file")

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -n1; }

# Tables: sluice creates `fact` (then emptied); psql gets `fact_psql` of the same shape. Both are
# existing tables for the timed runs, so both write WAL the same way.
"$sluice" "${cfg[@]}" load --files "$file" --create >/dev/null
psql -X -q "$url" -c "TRUNCATE fact" -c "CREATE TABLE fact_psql (LIKE fact)"

psql_runs=() sluice_runs=()
for i in 1 2; do
  psql -X -q "$url" -c "TRUNCATE fact_psql" -c "CHECKPOINT"
  t0=$(now)
  psql -X -q "$url" -c "\\copy fact_psql FROM '$file' WITH (FORMAT csv, DELIMITER E'\\t', NULL '')"
  psql_runs+=("$(elapsed "$t0" "$(now)")")

  psql -X -q "$url" -c "TRUNCATE fact" -c "CHECKPOINT"
  t0=$(now)
  /usr/bin/time -v -o "$work/time.txt" "$sluice" "${cfg[@]}" load --files "$file" --replace >/dev/null
  sluice_runs+=("$(elapsed "$t0" "$(now)")")
done
[ "$(psql -X -qAt "$url" -c 'SELECT count(*) FROM fact')" = "$rows" ] || { echo "row count mismatch" >&2; exit 1; }
p=$(best "${psql_runs[@]}"); s=$(best "${sluice_runs[@]}")
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/time.txt")

# QC scan (no load) against wc -l, both from page cache (each run twice, best kept).
wc_runs=() qc_runs=()
for i in 1 2; do
  t0=$(now); wc -l "$file" >/dev/null; wc_runs+=("$(elapsed "$t0" "$(now)")")
  t0=$(now); "$sluice" "${cfg[@]}" load --files "$file" --dry-run >/dev/null; qc_runs+=("$(elapsed "$t0" "$(now)")")
done
w=$(best "${wc_runs[@]}"); q=$(best "${qc_runs[@]}")

mb=$(echo "$bytes / 1000000" | bc -l)
printf 'file: %.0f MB, %s rows, %s cores\n' "$mb" "$rows" "$(nproc)"
printf 'load  psql \\copy        %7.2f s  %7.1f MB/s\n' "$p" "$(echo "$mb / $p" | bc -l)"
printf 'load  sluice (file QC)  %7.2f s  %7.1f MB/s  ratio psql/sluice %.2f  (peak RSS %s KB)\n' \
  "$s" "$(echo "$mb / $s" | bc -l)" "$(echo "$p / $s" | bc -l)" "$rss"
printf 'scan  wc -l             %7.2f s  %7.1f MB/s\n' "$w" "$(echo "$mb / $w" | bc -l)"
printf 'scan  sluice QC only    %7.2f s  %7.1f MB/s  ratio sluice/wc %.2f\n' "$q" "$(echo "$mb / $q" | bc -l)" "$(echo "$w / $q" | bc -l)"

#!/usr/bin/env bash
# Times the warehouse operations on a loaded month of SIZE_MB against one sequential scan of the
# same table by psql (SELECT count(*)), the cheapest thing any check of every row can cost. Prints
# each operation's time in "table scans".
#
#   bench/warehouse_ops_big_table.sh [SIZE_MB]      (default 1000; needs build/sluice)
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
"$sluice" "${cfg[@]}" load --files "$file" --create >/dev/null
psql -X -q "$url" -c "VACUUM ANALYZE fact"
rows=$(psql -X -qAt "$url" -c 'SELECT count(*) FROM fact')

now() { date +%s.%N; }
# best of 2 wall times of a command
timed() {
  local best=
  for _ in 1 2; do
    local t0; t0=$(now)
    "$@" >/dev/null || [ $? -eq 3 ]
    local t; t=$(echo "$(now) - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

scan=$(timed psql -X -qAt "$url" -c 'SELECT count(*) FROM fact')
validate=$(timed "$sluice" "${cfg[@]}" validate --month 2024-01 --no-record)
report=$(timed "$sluice" "${cfg[@]}" report)
compare=$(timed "$sluice" "${cfg[@]}" compare "$file")
preview=$(timed "$sluice" "${cfg[@]}" delete --month 2024-01 --dry-run)

printf 'table: %s rows (%s MB file), %s cores, load average %s\n' "$rows" "$size_mb" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-28s %8.2f s  %5.2f scans\n' "psql SELECT count(*)" "$scan" 1
for op in validate report compare preview; do
  t=${!op}
  printf '%-28s %8.2f s  %5.2f scans\n' "sluice $op" "$t" "$(echo "$t / $scan" | bc -l)"
done

#!/usr/bin/env bash
# Peak memory of a full file-QC scan (every row, every type, duplicate keys over the whole file) for
# growing files: it must not grow with the file. Runs the real `sluice load --dry-run` under
# /usr/bin/time -v on narrow generated files (~90-byte rows, so a 10 GB file has ~111M distinct
# keys, a repeat planted every 10M rows) and checks sluice's duplicate count against the generator's.
#
#   bench/memory_vs_file_size.sh [SIZE_GB ...]     (default: 1 5 10)
#   SLUICE=build/sluice DRIVER=build/bench/duplicate_keys_driver (defaults; scripts/build builds both)
#
# Needs SIZE_GB of free disk under $TMPDIR (default /tmp) plus ~1 GB of key spill for the largest.
# Everything is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sluice=${SLUICE:-$root/build/sluice}
driver=${DRIVER:-$root/build/bench/duplicate_keys_driver}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 5 10)
for b in "$sluice" "$driver"; do [ -x "$b" ] || { echo "missing $b (run scripts/build first)" >&2; exit 2; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-memory-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state TMPDIR=$work

cat > "$work/sluice.yaml" <<'YAML'
target: local
connections:
  local: { type: postgres, embedded: true }
tables:
  - table: NARROW
    file_pattern: "narrow_{month}.tsv"
    format: tsv
    date_column: DAY
    duplicate_key: [DAY, ASSET]
    columns:
      - { name: ID, type: bigint, required: true }
      - { name: DAY, type: integer, required: true }
      - { name: ASSET, type: bigint, required: true }
      - { name: NOTE, type: "varchar(80)" }
YAML

printf 'machine: %s cores, load average %s\n\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| file | rows | distinct keys | duplicate keys found | peak RSS | wall | CPU (user+sys) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for gb in "${sizes[@]}"; do
  file=$work/narrow_2024-01.tsv
  rows=$((gb * 1000000000 / 90))
  answer=$("$driver" narrow "$file" --rows "$rows" --dup-every 10000000)
  expected=$(sed -n 's/.*, \([0-9]*\) duplicate keys.*/\1/p' <<<"$answer")
  distinct=$(sed -n 's/.*: \([0-9]*\) distinct keys.*/\1/p' <<<"$answer")
  bytes=$(stat -c %s "$file")
  cat "$file" > /dev/null  # from page cache, as the other benchmarks
  set +e
  /usr/bin/time -v -o "$work/time.txt" "$sluice" --config "$work/sluice.yaml" -q --batch load --files "$file" \
    --table NARROW --dry-run --json > "$work/out.json"
  rc=$?
  set -e
  found=$(/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
n = 0
for f in j["files"]:
    for x in f.get("qc_findings", []):
        if x["check"] == "duplicate_key": n = int(x["message"].split()[0])
print(n)' "$work/out.json" 2>/dev/null || echo "?")
  if [ "$found" != "$expected" ]; then
    echo "duplicate keys: sluice found $found, the file has $expected (exit $rc)" >&2
    exit 1
  fi
  read -r wall cpu rss < <(awk -F': ' '/Elapsed \(wall/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; w = s}
    /User time/ {u = $2} /System time/ {y = $2} /Maximum resident/ {r = $2 / 1024}
    END {printf "%.1f %.1f %.0f\n", w, u + y, r}' "$work/time.txt")
  printf '| %.1f GB | %s | %s | %s | %s MB | %s s | %s s |\n' "$(echo "$bytes / 1000000000" | bc -l)" "$rows" \
    "$distinct" "$found" "$rss" "$wall" "$cpu"
  rm -f "$file"
done

#!/usr/bin/env bash
# The row walk on TSV and CSV: the Splitter's cuts and the chunk scanner (structure only, full QC,
# and writing PostgreSQL's COPY text or Snowflake's staged CSV), alone on one core with the file in
# memory (bench/scan_walk_driver.cpp), plus `sluice load --dry-run` end to end.
#
#   bench/csv_walk.sh [SIZE_MB] [RUNS]        (default 200 MB, best of 5)
#   INSTR=20 bench/csv_walk.sh                instructions (callgrind) on the first 20 MB instead
#   DRIVER=... SLUICE=...                     the binaries to measure (default build/)
#
# One generated 40-column month (`sluice generate`) is written three ways:
#   tsv           as generated (tab-separated, no quotes)
#   csv-plain     Python's csv module, QUOTE_MINIMAL: commas, and quotes only where a value needs them
#                 (none here)
#   csv-quoted    every non-empty value that is not a number quoted, as many exporters write it; one
#                 row in 50 has a doubled quote and a comma in its DESCRIPTION, one in 500 a line
#                 break
# Each line printed ends with a digest of the rows, lines and COPY bytes: two binaries that read the
# files alike print the same digests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
driver=${DRIVER:-$root/build/bench/scan_walk_driver}
sluice=${SLUICE:-$root/build/sluice}
size_mb=${1:-200}
runs=${2:-5}
instr=${INSTR:-}
[ -x "$driver" ] || { echo "missing $driver (cmake --build build --target scan_walk_driver)" >&2; exit 2; }

work=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-csv-walk-XXXXXX")}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state
if [ ! -e "$work/fact_20240101-20240131.csv-quoted.csv" ]; then
  "$sluice" -q generate --size-mb "${instr:-$size_mb}" --header --out "$work/fact_20240101-20240131.tsv" \
    --config-out "$work/tsv.yaml" --table FACT >/dev/null
  /usr/bin/python3 - "$work" <<'EOF'
import csv, re, sys
work = sys.argv[1]
src = f"{work}/fact_20240101-20240131.tsv"
number = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
with open(src, newline="", encoding="utf-8") as f, \
     open(f"{work}/fact_20240101-20240131.csv-plain.csv", "w", newline="", encoding="utf-8") as plain, \
     open(f"{work}/fact_20240101-20240131.csv-quoted.csv", "w", newline="", encoding="utf-8") as quoted:
    w = csv.writer(plain, lineterminator="\n")
    desc = None
    for i, line in enumerate(f):
        row = line.rstrip("\n").split("\t")
        if i == 0:
            desc = row.index("DESCRIPTION")
        elif i % 50 == 0:
            row[desc] += ' "fixed", 5y'
        elif i % 500 == 1:
            row[desc] += "\nsecond line"
        w.writerow(row)
        out = []
        for v in row:
            out.append(v if v == "" or number.match(v) else '"' + v.replace('"', '""') + '"')
        quoted.write(",".join(out) + "\n")
EOF
  for v in csv-plain csv-quoted; do
    sed -e "s/format: tsv/format: csv\n    delimiter: \",\"/" -e "s/file_pattern: .*/file_pattern: \"fact_{date_range}.$v.csv\"/" \
      "$work/tsv.yaml" > "$work/$v.yaml"
  done
  sed -i 's/file_pattern: .*/file_pattern: "fact_{date_range}.tsv"/' "$work/tsv.yaml"
fi

file_of() { [ "$1" = tsv ] && echo "$work/fact_20240101-20240131.tsv" || echo "$work/fact_20240101-20240131.$1.csv"; }

# measure WHAT ARGS...: the driver's line, or with INSTR its instructions inside the function named
# by WHAT (the Splitter, or scan_chunk).
measure() {
  local fn=$1; shift
  if [ -n "$instr" ]; then
    local ir
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$fn" "$driver" "$@" --runs 1 2>&1 |
      sed -n 's/.*Collected : *//p')
    printf '%s | %s | %.1fM\n' "$*" "$("$driver" "$@" --runs 1 | sed 's/.*digest \([0-9a-f]*\).*/\1/')" \
      "$(echo "$ir / 1000000" | bc -l)"
  else
    "$driver" "$@" --runs "$runs"
  fi
}

printf 'load average %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for v in tsv csv-plain csv-quoted; do
  f=$(file_of "$v")
  measure 'sluice::Splitter::next*' "$work/$v.yaml" FACT "$f" split
  for q in none full; do
    measure 'sluice::scan_chunk*' "$work/$v.yaml" FACT "$f" scan --qc "$q" --encode none
  done
  for e in postgres snowflake; do
    measure 'sluice::scan_chunk*' "$work/$v.yaml" FACT "$f" scan --qc none --encode "$e"
  done
done
[ -z "$instr" ] || exit 0

# End to end, one worker: the reader thread's Splitter, the scan, QC. Best wall of $runs with its CPU.
for v in tsv csv-plain csv-quoted; do
  best=999999 cpu=0
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f '%e %U %S' -o "$work/t" "$sluice" --config "$work/$v.yaml" -q --batch load \
      --files "$(file_of "$v")" --dry-run --workers 1 >/dev/null 2>&1 || true
    read -r w u s < "$work/t"
    if (($(echo "$w < $best" | bc -l))); then best=$w cpu=$(echo "$u + $s" | bc -l); fi
  done
  printf 'sluice load --dry-run --workers 1, %s: best wall %.2f s, CPU %.2f s\n' "$v" "$best" "$cpu"
done

#!/usr/bin/env bash
# Benchmarks the exact duplicate-key check (validators/file_qc/duplicate_keys.h,
# loaders/scan/duplicate_confirm.h) over whole files: the scan with and without key hashing, the
# CPU of DuplicateKeyIndex::add() on the sink thread, candidates() and the confirmation pass, and
# the process's peak RSS (/usr/bin/time -v), for:
#   - generated fact files of each size (sluice generate; key = fields 2,3; one duplicated key, so
#     the confirmation pass runs and its cost shows),
#   - a 10 GB file of 110M distinct keys (narrow rows), the case the memory budget is sized for,
#   - the worst case: a 1 GB file loaded twice (every key duplicated, every row a candidate).
# Each run is made twice and the faster kept; CPU time (user + sys) is printed too, because wall
# time on a shared machine says more about the neighbours than about the code.
#
#   bench/duplicate_keys_bench.sh [SIZE_GB ...]      (default: 1 5 10)
#   SLUICE=build/sluice DRIVER=build/bench/duplicate_keys_driver BUDGET_MIB=512 (defaults)
#
# Data and spill files live in a temp dir under /tmp, removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sluice=${SLUICE:-$root/build/sluice}
driver=${DRIVER:-$root/build/bench/duplicate_keys_driver}
budget=${BUDGET_MIB:-512}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 5 10)
for b in "$sluice" "$driver"; do [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 2; }; done

work=$(mktemp -d /tmp/sluice-dups-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

# best NAME ARGS...: runs the driver twice, prints the faster run's report with its peak RSS, wall
# and CPU seconds, and leaves "wall cpu" in $work/NAME.best.
best() {
  local name=$1; shift
  local i
  for i in 1 2; do
    /usr/bin/time -v -o "$work/$name.$i.time" "$driver" "$@" > "$work/$name.$i.out"
    awk -F': ' '/Elapsed \(wall/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; w = s}
                /User time/ {u = $2} /System time/ {y = $2}
                /Maximum resident/ {r = $2 / 1024}
                END {printf "%.2f %.2f %.0f\n", w, u + y, r}' "$work/$name.$i.time" > "$work/$name.$i.sum"
  done
  local pick=1
  if awk '{print $1}' "$work/$name.2.sum" | awk -v a="$(awk '{print $1}' "$work/$name.1.sum")" '{exit !($1 < a)}'; then
    pick=2
  fi
  sed 's/^/    /' "$work/$name.$pick.out"
  read -r wall cpu rss < "$work/$name.$pick.sum"
  echo "    peak RSS ${rss} MB, wall ${wall} s, CPU ${cpu} s (best of 2)"
  echo "$wall $cpu" > "$work/$name.best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.0f%%", (a / b - 1) * 100}'; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), budget ${budget} MiB"
for gb in "${sizes[@]}"; do
  file=$work/fact_${gb}g.tsv
  "$sluice" -q generate --size-mb $((gb * 1000)) --duplicate-line 1000 --out "$file" >/dev/null
  echo "== generated ${gb} GB: $(stat -c %s "$file") bytes"
  cat "$file" > /dev/null  # both variants start from page cache
  echo "  scan without key hashing:"
  best base scan "$file" --baseline
  echo "  scan with a do-nothing FieldObserver (the test/bench hook the key hashing rides on):"
  best null scan "$file" --null-observer
  echo "  scan + duplicate keys:"
  best dups scan "$file" --key 2,3 --budget-mib "$budget" --spill "$work"
  read -r bw bc < "$work/base.best"
  read -r nw nc < "$work/null.best"
  read -r dw dc < "$work/dups.best"
  echo "  => vs no hashing: wall $(ratio "$dw" "$bw"), CPU $(ratio "$dc" "$bc");" \
       "vs the bare observer (hash + index + confirm only): wall $(ratio "$dw" "$nw"), CPU $(ratio "$dc" "$nc")"
  rm -f "$file"
done

echo "== 10 GB, 110M distinct keys (narrow rows), one repeat every 10M rows"
file=$work/narrow.tsv
"$driver" narrow "$file" --rows 110000000 --dup-every 10000000 | sed 's/^/  /'
best narrow scan "$file" --key 2,3 --budget-mib "$budget" --spill "$work"
rm -f "$file"

echo "== worst case: a 1 GB file concatenated with itself (every key twice)"
"$sluice" -q generate --size-mb 1000 --out "$work/one.tsv" >/dev/null
cat "$work/one.tsv" "$work/one.tsv" > "$work/twice.tsv"
rm -f "$work/one.tsv"
best twice scan "$work/twice.tsv" --key 2,3 --budget-mib "$budget" --spill "$work"

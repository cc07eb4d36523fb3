#!/usr/bin/env bash
# Full file QC (every row: field count, UTF-8, every value against its declared type, required
# fields, dates, duplicate keys over the whole file) against `wc -l` on the same file from page
# cache. Issue 3's target: on one core, at least 0.2x the throughput of `wc -l`.
#
#   bench/qc_scan_vs_wc.sh [SIZE_MB] [RUNS]       (default 1000 MB, best of 3)
#   SLUICE=build/sluice (default)
#
# Prints wall and CPU seconds per run (the CPU column is what to compare on a busy machine) for:
# wc -l; sluice with 1 and 2 scan workers; and on 1 worker, structure only (--qc none) and full QC
# without the duplicate-key check, so the cost of each part shows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sluice=${SLUICE:-$root/build/sluice}
size_mb=${1:-1000}
runs=${2:-3}
[ -x "$sluice" ] || { echo "missing $sluice (run scripts/build first)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-scan-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state
file=$work/fact_20240101-20240131.tsv
"$sluice" -q generate --size-mb "$size_mb" --out "$file" --config-out "$work/full.yaml" --table FACT >/dev/null
sed 's/^    duplicate_key:.*//' "$work/full.yaml" > "$work/nodup.yaml"
bytes=$(stat -c %s "$file")
cat "$file" > /dev/null

# run NAME CMD...: best wall of $runs, with the CPU (user+sys) of that run.
results=()
run() {
  local name=$1; shift
  local best_w=999999 best_c=0 i w c
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >/dev/null 2>&1 || true
    read -r w u s < "$work/t"
    c=$(echo "$u + $s" | bc -l)
    if (($(echo "$w < $best_w" | bc -l))); then best_w=$w best_c=$c; fi
  done
  results+=("$name|$best_w|$best_c")
}

q=(--config "$work/full.yaml" -q --batch load --files "$file" --dry-run)
run "wc -l" wc -l "$file"
run "sluice full QC, 1 worker" "$sluice" "${q[@]}" --workers 1
run "sluice full QC, 2 workers" "$sluice" "${q[@]}" --workers 2
run "sluice --qc none, 1 worker" "$sluice" "${q[@]}" --workers 1 --qc none
run "sluice full QC without duplicate keys, 1 worker" "$sluice" --config "$work/nodup.yaml" -q --batch load \
  --files "$file" --dry-run --workers 1

mb=$(echo "$bytes / 1000000" | bc -l)
IFS='|' read -r _ wc_w wc_c <<<"${results[0]}"
printf 'file: %.0f MB, %s rows, %s cores, load average %s\n\n' "$mb" "$(wc -l < "$file")" "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| run | wall | MB/s (wall) | CPU | MB/s per CPU second | vs wc -l (wall) | vs wc -l (CPU) |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for r in "${results[@]}"; do
  IFS='|' read -r name w c <<<"$r"
  printf '| %s | %.2f s | %.0f | %.2f s | %.0f | %.3f | %.3f |\n' "$name" "$w" "$(echo "$mb / $w" | bc -l)" "$c" \
    "$(echo "$mb / $c" | bc -l)" "$(echo "$wc_w / $w" | bc -l)" "$(echo "$wc_c / $c" | bc -l)"
done

#!/usr/bin/env bash
# The scan of a file where most rows fail: five text columns of the generated table are declared
# integer, so every row has five values its type does not accept. Only the first ten of each kind
# (per chunk) become examples; what is measured is that the other failing values cost no more
# than counting them. Counted in instructions (callgrind), which do not depend on what else the
# shared machine runs.
#
#   bench/failing_values_scan.sh [SIZE_MB] [SLUICE...]     (default 20 MB, build/sluice)
#
# For each binary: instructions of `load --dry-run --workers 1` on the failing file, and on the
# passing file for reference. (A dry run ignores --on-error skip, whose reject reasons are made for
# at most --max-errors + 1 rows a chunk.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size_mb=${1:-20}
shift || true
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=("$root/build/sluice")
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-failing-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state
file=$work/fact_20240101-20240131.tsv
"${binaries[0]}" -q generate --size-mb "$size_mb" --out "$file" --config-out "$work/pass.yaml" --table FACT >/dev/null
sed -E 's/(name: "(LEGALENTITY|COUNTRY|CURRENCYCODE|DESCRIPTION|BRANCHNAME)", type: )"[^"]*"/\1"integer"/' \
  "$work/pass.yaml" > "$work/fail.yaml"
[ "$(grep -c '"integer"' "$work/fail.yaml")" -gt "$(grep -c '"integer"' "$work/pass.yaml")" ] || {
  echo "the failing config did not change" >&2; exit 2; }

# instructions CONFIG ARGS...: the total instruction count callgrind reports for one run.
instructions() {
  local config=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" --config "$config" -q --batch load \
    --files "$file" --dry-run --workers 1 "$@" >/dev/null 2>"$work/cg.err" || true
  grep -o 'Collected : [0-9]*' "$work/cg.err" | grep -o '[0-9]*$'
}

printf 'file: %s MB, %s rows; load average %s\n\n' "$size_mb" "$(wc -l < "$file")" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| binary | passing file | failing file | more per failing value |\n| --- | --- | --- | --- |\n'
for bin in "${binaries[@]}"; do
  pass=$(instructions "$work/pass.yaml")
  fail=$(instructions "$work/fail.yaml")
  values=$("$bin" --config "$work/fail.yaml" -q --batch load --files "$file" --dry-run --json 2>/dev/null |
    grep -o '"count": *[0-9]*' | head -1 | grep -o '[0-9][0-9]*' || true)
  printf '| %s | %.1fM | %.1fM | %s |\n' "$bin" "$(echo "$pass / 1000000" | bc -l)" "$(echo "$fail / 1000000" | bc -l)" \
    "$(if [ -n "$values" ]; then printf '%.0f (%s values)' "$(echo "($fail - $pass) / $values" | bc -l)" "$values"; else echo "?"; fi)"
done

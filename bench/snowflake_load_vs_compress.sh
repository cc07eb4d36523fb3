#!/usr/bin/env bash
# The Snowflake load path end to end against the emulators, compared with `sluice compress` of the
# same file with the same QC (the scan + zstd step alone). Target: the end-to-end load within 1.3x
# of scan+compress, because the parts are uploaded while the scan goes on.
#
# Starts its own stack (tests/emulators/run_stack.py: a throw-away PostgreSQL, the S3 emulator and
# the SQL API emulator on it) and stops it on exit, whatever happens. Prints:
#   - scan+compress: `sluice compress F --table FACT` (full file QC, level 1, 2 workers)
#   - load: `sluice --batch load --files F --create` into the emulated Snowflake, split into the
#     time until the COPY INTO was submitted (scan, QC, staging: what sluice does) and the COPY's
#     execution in the emulator (PostgreSQL's single COPY backend loading the staged text; a real
#     warehouse loads the files in parallel)
#   - psql's own \copy of the file into the same PostgreSQL: the floor of the emulator's COPY
#   - the ratios: honest total / compress, up-to-COPY / compress, emulator COPY / psql \copy
# Wall and CPU (user + sys of sluice; the emulators' CPU separately), /usr/bin/time -v.
#
#   bench/snowflake_load_vs_compress.sh [size_mb=1000] [runs=1]
#   SLUICE=build-rel/sluice bench/snowflake_load_vs_compress.sh 1000 2
set -euo pipefail

SIZE_MB=${1:-1000}
RUNS=${2:-1}
SLUICE=$(realpath "${SLUICE:-build/sluice}")
HERE=$(cd "$(dirname "$0")/.." && pwd)

# shellcheck source=bench/emulated_stack.sh
source "$HERE/bench/emulated_stack.sh"
generate_month "$SIZE_MB"
BYTES=$(stat -c %s "$F")

echo "starting PostgreSQL and the emulators ..."
stack_start
# The generated table, loaded through the emulated Snowflake connection.
{ cat "$WORK/stack/connection.yaml"; sed -n '/^tables:/,$p' "$WORK/gen.yaml"; } >"$WORK/sluice.yaml"
cat "$F" >/dev/null  # page cache

best_c= best_l= best_split=
for run in $(seq "$RUNS"); do
  c=$(timed "$SLUICE" --progress none --config "$WORK/sluice.yaml" compress "$F" --table FACT --level 1 --workers 2 \
        -o "$WORK/out.zst" --force)
  rm -f "$WORK/out.zst"
  psql -X -q "$PG_DSN" -c 'DROP TABLE IF EXISTS "BENCH"."FACT", "BENCH"."SLUICE_LOAD_HISTORY"' >/dev/null
  ctl POST "$SQL_URL/_emulator/reset" >/dev/null
  ctl POST "$S3_URL/_emulator/reset" >/dev/null
  s0=$(emu_cpu s3_emulator); q0=$(emu_cpu snowflake_emulator)
  start=$(date +%s.%N)
  l=$(timed "$SLUICE" --progress none --config "$WORK/sluice.yaml" --batch load --files "$F" --create)
  s1=$(emu_cpu s3_emulator); q1=$(emu_cpu snowflake_emulator)
  rows=$(psql -X -At "$PG_DSN" -c 'SELECT count(*) FROM "BENCH"."FACT"')
  # From the SQL API emulator's log: when the COPY INTO request arrived, and when a status poll
  # first found it done (sluice polls at most 2 s apart, so this is up to 2 s late).
  split=$(ctl GET "$SQL_URL/_emulator/requests" | "$PY" -c '
import json, sys
start, log = float(sys.argv[1]), json.load(sys.stdin)["requests"]
copy = next(r for r in log if r.get("op") == "submit" and "COPY INTO" in (r.get("statement") or ""))
done = min((r["end"] for r in log if r.get("handle") == copy.get("handle") and r.get("op") == "status"
            and r.get("status") == 200), default=copy["end"])
print("%.2f %.2f" % (copy["time"] - start, done - copy["time"]))
' "$start")
  echo "run $run: compress ${c%% *} s wall; load ${l%% *} s wall, $rows rows, COPY submitted at ${split% *} s"
  if [[ -n ${TIMELINE:-} ]]; then  # every request to both emulators, seconds from the start
    for url in "$SQL_URL" "$S3_URL"; do ctl GET "$url/_emulator/requests"; done | "$PY" -c '
import json, sys
start = float(sys.argv[1])
rows = []
for doc in sys.stdin.read().replace("}{", "}\n{").splitlines():
    for r in json.loads(doc)["requests"]:
        what = r.get("op", "") + " " + (r.get("key") or (r.get("statement") or "")[:60].replace("\n", " "))
        rows.append((r["time"] - start, r.get("end", r["time"]) - start, r.get("bytes", ""), what))
for t0, t1, b, what in sorted(rows):
    print("  %7.2f .. %7.2f  %10s  %s" % (t0, t1, b, what))
' "$start"
  fi
  if [[ -z $best_l ]] || (( $(echo "${l%% *} < ${best_l%% *}" | bc -l) )); then
    best_l=$l; best_split=$split; best_s3=$(echo "$s1 - $s0" | bc -l); best_sql=$(echo "$q1 - $q0" | bc -l)
  fi
  if [[ -z $best_c ]] || (( $(echo "${c%% *} < ${best_c%% *}" | bc -l) )); then best_c=$c; fi
done
[[ $rows -gt 0 ]] || { echo "the load loaded nothing"; exit 1; }

# The floor of the emulated warehouse's COPY: PostgreSQL's own \copy of the same file into an empty
# table of the same shape on the same server (the emulator's COPY hands the staged text to
# PostgreSQL as it is, so it cannot be quicker than this).
psql -X -q "$PG_DSN" -c 'DROP TABLE IF EXISTS "BENCH"."FACT_PSQL"' -c 'CREATE TABLE "BENCH"."FACT_PSQL" (LIKE "BENCH"."FACT")' 2>/dev/null
p=$(timed psql -X -q "$PG_DSN" -c "\\copy \"BENCH\".\"FACT_PSQL\" FROM '$F' WITH (FORMAT csv, DELIMITER E'\\t', NULL '')")
psql_rows=$(psql -X -At "$PG_DSN" -c 'SELECT count(*) FROM "BENCH"."FACT_PSQL"')
[[ $psql_rows == "$rows" ]] || { echo "psql \\copy loaded $psql_rows rows, the load $rows"; exit 1; }
read -r pw _ _ <<<"$p"

read -r cw cc cm <<<"$best_c"
read -r lw lc lm <<<"$best_l"
read -r submitted copy_wait <<<"$best_split"
mbps() { echo "scale=1; $BYTES / 1000000 / $1" | bc -l; }
echo
echo "$(echo "scale=1; $BYTES / 1000000" | bc -l) MB, $rows rows, best of $RUNS; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| step | wall | throughput | CPU (sluice) | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
printf "| sluice compress --table (scan + QC + zstd) | %.2f s | %s MB/s | %.2f s | %d MB |\n" "$cw" "$(mbps "$cw")" "$cc" $((cm / 1024))
printf "| sluice load, end to end | %.2f s | %s MB/s | %.2f s | %d MB |\n" "$lw" "$(mbps "$lw")" "$lc" $((lm / 1024))
printf "| - until COPY INTO submitted (scan, QC, zstd, uploads) | %.2f s | %s MB/s | | |\n" "$submitted" "$(mbps "$submitted")"
printf "| - COPY INTO in the emulator (PostgreSQL's COPY of the staged text) | %.2f s | | | |\n" "$copy_wait"
printf "| - after the COPY (reconcile, clean-up, exit) | %.2f s | | | |\n" "$(echo "$lw - $submitted - $copy_wait" | bc -l)"
printf "| psql \\\\copy of the file into the emulator's PostgreSQL (the COPY's floor) | %.2f s | %s MB/s | | |\n" "$pw" "$(mbps "$pw")"
echo
printf "CPU during the load: sluice %.1f s, S3 emulator %.1f s (SigV4 check, SHA-256 and MD5 of every body, disk),\n" "$lc" "$best_s3"
printf "  SQL API emulator %.1f s (reading, decompressing and checking the staged files), PostgreSQL not counted\n" "$best_sql"
printf "CPU ratio sluice load/compress: %.2f\n" "$(echo "$lc / $cc" | bc -l)"
printf "ratio load/compress, honest total:         %.2f\n" "$(echo "$lw / $cw" | bc -l)"
printf "ratio load/compress, scan+upload (to COPY): %.2f  (target <= 1.3)\n" "$(echo "$submitted / $cw" | bc -l)"
printf "ratio emulator COPY / psql \\\\copy:            %.2f\n" "$(echo "$copy_wait / $pw" | bc -l)"

#!/usr/bin/env bash
# `sluice migrate run` from the emulated Snowflake into PostgreSQL, against `sluice load` of the
# same rows from a local file into the same PostgreSQL. Target: migrate within 1.3x of the load
# for sluice's own part, the emulator's time reported apart.
#
# One generated month (sluice generate, 40 columns) is the file for the load and, \copy'd into the
# emulator's PostgreSQL, the Snowflake table FACT: NUMBER(4|9|18,0) for the file's smallint,
# integer and bigint columns (so the migrated table has the load's types), NUMBER(p,s), TEXT,
# DATE, BOOLEAN, TIMESTAMP_NTZ. The migration unloads it (small_table_rows: 0) in two chunks of
# RECORDDATEID with one worker, so the statements and the reads take turns: the emulator's part is
# the time sluice waited on its statements (submit to the status poll that found each done; their
# own durations, created_on .. finished_on in its log, are printed too: running the query in
# Python and writing the zstd files), sluice's own part the rest of the wall time (reading the
# files back over S3, decoding, checking, COPY into PostgreSQL, the swap), and of that, ANALYZE
# (which migrate runs and the load does not) is timed apart on the same table.
# The load is `sluice --batch load --qc none` (the copy alone: migrate has no file QC); both write
# through one COPY connection. Then `sluice migrate verify` is timed once (digests in SQL on both
# engines: no range unloaded again).
#
#   bench/migrate_snowflake_vs_load.sh [size_mb=200] [runs=2]     (SKIP_VERIFY=1: no verify at the end)
set -euo pipefail

SIZE_MB=${1:-200}
RUNS=${2:-2}
SLUICE=$(realpath "${SLUICE:-build/sluice}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/emulated_stack.sh
source "$HERE/bench/emulated_stack.sh"
generate_month "$SIZE_MB"
ROWS=$(wc -l <"$F")
echo "starting PostgreSQL and the emulators ..."
stack_start

# The Snowflake table: the file's columns with PostgreSQL types the emulator reports as Snowflake's.
cols=$(sed -n 's/^ *- { name: "\([A-Z0-9]*\)", type: "\([^"]*\)".*/"\1" \2/p' "$WORK/gen.yaml" |
  sed 's/ smallint$/ numeric(4,0)/; s/ integer$/ numeric(9,0)/; s/ bigint$/ numeric(18,0)/' | paste -sd, -)
psql -X -q -v ON_ERROR_STOP=1 "$PG_DSN" -c "CREATE TABLE \"BENCH\".\"FACT\" ($cols)" \
  -c "\\copy \"BENCH\".\"FACT\" FROM '$F' WITH (FORMAT csv, DELIMITER E'\\t', NULL '')" -c 'ANALYZE "BENCH"."FACT"'

{ sed -n '/^target:/,/^connections:/p' "$WORK/stack/connection.yaml" | sed 's/^target: snow/target: pg/'
  echo "  pg: { type: postgres, dsn: \"$PG_DSN\" }"
  sed -n '/^  snow:/,$p' "$WORK/stack/connection.yaml"
  sed -n '/^tables:/,$p' "$WORK/gen.yaml"
  echo "migrations:"
  echo "  - { name: bench, source: snow, target: pg, schema: mig, workers: 1, chunk_rows: $(( (ROWS + 1) / 2 )), small_table_rows: 0,"
  echo "      tables: [{ table: fact, chunk_by: recorddateid }] }"
} >"$WORK/sluice.yaml"
cat "$F" >/dev/null  # page cache

# The emulator's part since $1 (epoch seconds) two ways: its statements' own durations, and the
# time sluice waited on them (from the submit to the status poll that found the statement done, as
# snowflake_load_vs_compress.sh counts it: the poll's lateness is the price of not holding a
# connection open, not work of sluice's).
emulator_times() {
  { ctl GET "$SQL_URL/_emulator/statements"; ctl GET "$SQL_URL/_emulator/requests"; } >"$WORK/logs.json"
  "$PY" -c '
import json, sys
docs = open(sys.argv[1]).read().replace("}{", "}\n{").splitlines()
statements, log = json.loads(docs[0])["statements"], json.loads(docs[1])["requests"]
own = sum((s["finished_on"] - s["created_on"]) / 1000 for s in statements
          if s.get("finished_on") and s["created_on"] / 1000 >= float(sys.argv[2]))
waited = 0.0
for r in log:
    if r.get("op") != "submit" or not r.get("handle"):
        continue
    done = min((x["end"] for x in log if x.get("handle") == r["handle"] and x.get("op") == "status"
                and x.get("status") == 200), default=r["end"])
    waited += done - r["time"]
print("%.2f %.2f" % (own, waited))
' "$WORK/logs.json" "$1"
}

best_load= best_mig= best_emu= best_waited= best_s3= best_analyze=
for run in $(seq "$RUNS"); do
  psql -X -q "$PG_DSN" -c 'DROP TABLE IF EXISTS public.fact, public.sluice_load_history' -c CHECKPOINT >/dev/null 2>&1 || true
  l=$(timed "$SLUICE" --progress none --config "$WORK/sluice.yaml" --batch load --files "$F" --create --qc none)
  loaded=$(psql -X -At "$PG_DSN" -c 'SELECT count(*) FROM public.fact')
  [[ $loaded == "$ROWS" ]] || { echo "the load loaded $loaded rows of $ROWS"; exit 1; }

  psql -X -q "$PG_DSN" -c CHECKPOINT >/dev/null
  ctl POST "$SQL_URL/_emulator/reset" >/dev/null
  ctl POST "$S3_URL/_emulator/reset" >/dev/null
  s0=$(emu_cpu s3_emulator)
  started=$(date +%s.%N)
  m=$(timed "$SLUICE" --progress none --config "$WORK/sluice.yaml" --batch migrate run --restart)
  s1=$(emu_cpu s3_emulator)
  copied=$(psql -X -At "$PG_DSN" -c 'SELECT count(*) FROM mig.fact')
  [[ $copied == "$ROWS" ]] || { echo "the migration copied $copied rows of $ROWS"; exit 1; }
  { ctl GET "$SQL_URL/_emulator/statements"; ctl GET "$SQL_URL/_emulator/requests"; } >"$WORK/logs.json"
  # The emulator's part two ways: its statements' own durations, and the time sluice waited on
  # them (from the submit to the status poll that found the statement done, as
  # snowflake_load_vs_compress.sh counts it: the poll's lateness is the price of not holding a
  # connection open, not work of sluice's).
  read -r emu waited <<<"$(emulator_times "$started")"
  a0=$(date +%s.%N); psql -X -q "$PG_DSN" -c 'ANALYZE mig.fact'; analyze=$(echo "$(date +%s.%N) - $a0" | bc -l)
  echo "run $run: load ${l%% *} s, migrate ${m%% *} s: the emulator's statements $emu s, waited on $waited s"
  if [[ -n ${TIMELINE:-} ]]; then  # every request to both emulators, seconds from the first
    for url in "$SQL_URL" "$S3_URL"; do ctl GET "$url/_emulator/requests"; done | "$PY" -c '
import json, sys
rows = []
for doc in sys.stdin.read().replace("}{", "}\n{").splitlines():
    for r in json.loads(doc)["requests"]:
        what = r.get("op", "") + " " + (r.get("key") or (r.get("statement") or "")[:70].replace("\n", " "))
        rows.append((r["time"], r.get("end", r["time"]), r.get("bytes", ""), what))
t0 = min(r[0] for r in rows)
for a, b, n, what in sorted(rows):
    print("  %7.2f .. %7.2f  %10s  %s" % (a - t0, b - t0, n, what))
'
  fi
  if [[ -z $best_mig ]] || (( $(echo "${m%% *} - $waited < ${best_mig%% *} - $best_waited" | bc -l) )); then
    best_mig=$m; best_emu=$emu; best_waited=$waited; best_s3=$(echo "$s1 - $s0" | bc -l); best_analyze=$analyze
  fi
  if [[ -z $best_load ]] || (( $(echo "${l%% *} < ${best_load%% *}" | bc -l) )); then best_load=$l; fi
done

read -r lw lc lm <<<"$best_load"
read -r mw mc mm <<<"$best_mig"
own=$(echo "$mw - $best_waited" | bc -l)
echo
echo "$ROWS rows, $(echo "scale=1; $(stat -c %s "$F") / 1000000" | bc -l) MB as TSV, best of $RUNS, $(nproc) cores"
echo "| step | wall | rows/s | CPU (sluice) | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
printf "| sluice load --qc none of the file | %.2f s | %.0f | %.2f s | %d MB |\n" "$lw" "$(echo "$ROWS / $lw" | bc -l)" "$lc" $((lm / 1024))
printf "| sluice migrate run, end to end | %.2f s | %.0f | %.2f s | %d MB |\n" "$mw" "$(echo "$ROWS / $mw" | bc -l)" "$mc" $((mm / 1024))
printf "| - waiting on the emulator's statements (submit to the poll that saw them done) | %.2f s | | | |\n" "$best_waited"
printf "|   (the statements' own time in the emulator: unload queries, zstd files, counts) | %.2f s | | | |\n" "$best_emu"
printf "| - sluice's own part (GetObject, decode, checks, COPY, swap, ANALYZE) | %.2f s | %.0f | | |\n" "$own" "$(echo "$ROWS / $own" | bc -l)"
printf "| - of which ANALYZE (timed again on the copied table; the load runs none) | %.2f s | | | |\n" "$best_analyze"
printf "S3 emulator CPU while sluice read the files: %.1f s\n" "$best_s3"
printf "ratio migrate (sluice's own part) / load: %.2f; without ANALYZE: %.2f  (target <= 1.3)\n" \
  "$(echo "$own / $lw" | bc -l)" "$(echo "($own - $best_analyze) / $lw" | bc -l)"
printf "ratio counting the polls' lateness as sluice's: %.2f\n" "$(echo "($mw - $best_emu) / $lw" | bc -l)"

[[ -n ${SKIP_VERIFY:-} ]] && exit 0  # (the emulator digests about 3,500 rows/s: a large table's verify takes long)

# verify: both engines digest each range in SQL, so no range is unloaded again. The emulator runs
# Snowflake's TO_VARCHAR as PL/pgSQL per value, so its part is reported apart, as above.
ctl POST "$SQL_URL/_emulator/reset" >/dev/null
started=$(date +%s.%N)
v=$(timed "$SLUICE" --progress none --config "$WORK/sluice.yaml" --batch migrate verify --json)
read -r by_digest ranges <<<"$("$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["tables"][0]; print(t["ranges_by_fingerprint"], t["ranges"])' "$WORK/out")"
read -r v_emu v_waited <<<"$(emulator_times "$started")"
unloads=$("$PY" -c '
import json, sys
st = json.loads(open(sys.argv[1]).read().replace("}{", "}\n{").splitlines()[0])["statements"]
print(sum(1 for s in st if "COPY INTO @" in s["sql"] and s["created_on"] / 1000 >= float(sys.argv[2])))' "$WORK/logs.json" "$started")
printf "sluice migrate verify: %.2f s (%s of %s ranges by digest; %s unloads), waited on the emulator %.2f s, " \
  "${v%% *}" "$by_digest" "$ranges" "$unloads" "$v_waited"
printf "the rest (the target's digests, sluice) %.2f s, peak RSS %d MB\n" "$(echo "${v%% *} - $v_waited" | bc -l)" $(( $(echo "$v" | cut -d' ' -f3) / 1024 ))

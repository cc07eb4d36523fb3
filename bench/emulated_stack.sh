# Shared by the benchmarks against the emulated Snowflake: sourced after `set -euo pipefail` with
# HERE (the repository) and SLUICE (the binary) set. Makes WORK (a temp dir, removed on exit with
# the stack stopped) and points sluice's state into it. generate_month MB writes a sample month
# (sluice generate, table FACT) to $F with its config in $WORK/gen.yaml. stack_start runs
# tests/emulators/run_stack.py (a throw-away PostgreSQL, the S3 emulator and the SQL API emulator
# on it) and sets STACK_PID, SQL_URL, S3_URL, PG_DSN and the AWS_* variables of the stage;
# stack_stop stops it (call it from the caller's EXIT trap). emu_cpu NAME is the CPU seconds
# (user + sys) an emulator used so far; ctl METHOD URL is a control call.
PY=/usr/bin/python3
STACK_PID=
WORK=$(mktemp -d /tmp/sluice-bench-sf.XXXXXX)
bench_cleanup() { stack_stop; rm -rf "$WORK"; }
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
export XDG_STATE_HOME="$WORK/state" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config"

generate_month() {  # MB
  F="$WORK/fact_2024-01.tsv"
  echo "generating $1 MB ..."
  "$SLUICE" --progress none generate --size-mb "$1" --out "$F" --config-out "$WORK/gen.yaml" --table FACT >/dev/null
}

stack_start() {
  mkfifo "$WORK/stack.in"
  "$PY" "$HERE/tests/emulators/run_stack.py" "$WORK/stack" <"$WORK/stack.in" >"$WORK/stack.out" 2>"$WORK/stack.err" &
  STACK_PID=$!
  exec 9>"$WORK/stack.in"
  for _ in $(seq 600); do
    grep -q ready "$WORK/stack.out" 2>/dev/null && break
    kill -0 "$STACK_PID" 2>/dev/null || { cat "$WORK/stack.err"; exit 1; }
    sleep 0.1
  done
  grep -q ready "$WORK/stack.out" || { echo "the stack did not start"; cat "$WORK/stack.err"; exit 1; }
  # shellcheck disable=SC1091
  source "$WORK/stack/env"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  SQL_URL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sql"])' "$WORK/stack/stack.json")
  S3_URL=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["s3"])' "$WORK/stack/stack.json")
  PG_DSN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pg_dsn"])' "$WORK/stack/stack.json")
}

stack_stop() {
  if [[ -n $STACK_PID ]]; then
    exec 9>&- 2>/dev/null || true  # closing its stdin stops the stack
    kill -TERM "$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
    STACK_PID=
  fi
}

# The emulators are the stack's child processes: their CPU from /proc.
emu_cpu() {  # s3_emulator | snowflake_emulator
  local total=0 p
  for p in $(pgrep -P "$STACK_PID" -f "$1" 2>/dev/null || true); do
    [[ -r /proc/$p/stat ]] || continue
    total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{print t + ($14 + $15) / hz}' "/proc/$p/stat")
  done
  echo "$total"
}

ctl() {  # METHOD URL: an emulator control call (python, so curl is not needed)
  "$PY" -c 'import sys, urllib.request as u
print(u.urlopen(u.Request(sys.argv[2], method=sys.argv[1], data=b"{}" if sys.argv[1] == "POST" else None)).read().decode())' "$1" "$2"
}

timed() {  # cmd...: "wall cpu maxrss_kb" of the command (its output in $WORK/out, $WORK/err)
  /usr/bin/time -v -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/out" "$WORK/err"; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + a[i]}
              /User time/ {u = $2} /System time/ {s = $2} /Maximum resident/ {m = $2}
              END {printf "%.2f %.2f %d\n", w, u + s, m}' "$WORK/time"
}

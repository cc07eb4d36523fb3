#!/usr/bin/env bash
# sluice compress against the zstd CLI on the same file, from page cache, both writing a real
# file in the same directory (so both pay for the write). Prints the throughput ratio
# sluice/zstd (target >= 0.9) for plain compression and for compression with full file QC in the
# same pass, and checks that sluice's output decompresses with `zstd -d` to the input.
#
#   bench/compress_vs_zstd.sh [size_mb=1000] [runs=3]
#   SLUICE=build-zst/sluice bench/compress_vs_zstd.sh 1000 3
set -euo pipefail

SIZE_MB=${1:-1000}
RUNS=${2:-3}
LEVEL=${LEVEL:-1}
WORKERS=${WORKERS:-2}
SLUICE=${SLUICE:-build/sluice}
SLUICE=$(realpath "$SLUICE")

WORK=$(mktemp -d /tmp/sluice-bench-zst.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export XDG_STATE_HOME="$WORK/state" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config"

F="$WORK/fact_2024-01.tsv"
echo "generating $SIZE_MB MB ..."
"$SLUICE" --progress none generate --size-mb "$SIZE_MB" --out "$F" --config-out "$WORK/sluice.yaml" \
  --table FACT >/dev/null
BYTES=$(stat -c %s "$F")
cat "$F" >/dev/null  # into page cache

# Best wall time of $RUNS runs of "$@", in seconds.
best_of() {
  local best="" t0 t1 t
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}

zstd_run() { zstd -q -f "-$LEVEL" "-T$WORKERS" "$F" -o "$WORK/zstd.zst"; }
sluice_run() {
  "$SLUICE" --progress none compress "$F" --level "$LEVEL" --workers "$WORKERS" -o "$WORK/sluice.zst" --force
}
sluice_qc_run() {
  "$SLUICE" --progress none --config "$WORK/sluice.yaml" compress "$F" --table FACT --level "$LEVEL" \
    --workers "$WORKERS" -o "$WORK/sluice-qc.zst" --force
}

T_ZSTD=$(best_of zstd_run)
T_SLUICE=$(best_of sluice_run)
T_QC=$(best_of sluice_qc_run)

zstd -q -d -c "$WORK/sluice.zst" | cmp - "$F" && echo "round trip: sluice.zst decompresses to the input (zstd -d | cmp)"
zstd -q -d -c "$WORK/sluice-qc.zst" | cmp - "$F"

mbps() { echo "scale=1; $BYTES / 1000000 / $1" | bc -l; }
row() { printf "| %-32s | %8.2f s | %7s MB/s | %8s MB | %s |\n" "$1" "$2" "$(mbps "$2")" \
  "$(echo "scale=1; $(stat -c %s "$3") / 1000000" | bc -l)" "$4"; }
echo
echo "$(echo "scale=0; $BYTES / 1000000" | bc) MB, level $LEVEL, $WORKERS workers, best of $RUNS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | time | throughput | output | sluice/zstd |"
echo "| --- | --- | --- | --- | --- |"
row "zstd -$LEVEL -T$WORKERS" "$T_ZSTD" "$WORK/zstd.zst" ""
row "sluice compress" "$T_SLUICE" "$WORK/sluice.zst" "$(echo "scale=2; $T_ZSTD / $T_SLUICE" | bc -l)"
row "sluice compress --table (full QC)" "$T_QC" "$WORK/sluice-qc.zst" "$(echo "scale=2; $T_ZSTD / $T_QC" | bc -l)"

#!/usr/bin/env bash
# sluice compress against the zstd CLI on the same file, from page cache, both writing a real
# file in the same directory (so both pay for the write). Prints the throughput ratio
# sluice/zstd (target >= 0.9) for plain compression and for compression with full file QC in the
# same pass, and checks that sluice's output decompresses with `zstd -d` to the input. Needs zstd,
# bc and GNU time (/usr/bin/time).
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

# One run of "$@": "wall cpu" in seconds (cpu = user + sys). CPU time is shown because it hardly
# depends on what else the machine is doing; wall time does.
timed() {
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$WORK/time"
}

ZSTD_CMD=(zstd -q -f "-$LEVEL" "-T$WORKERS" "$F" -o "$WORK/zstd.zst")
SLUICE_CMD=("$SLUICE" --progress none compress "$F" --level "$LEVEL" --workers "$WORKERS" -o "$WORK/sluice.zst" --force)
FIELDS_CMD=("${SLUICE_CMD[@]}" --check-fields)
QC_CMD=("$SLUICE" --progress none --config "$WORK/sluice.yaml" compress "$F" --table FACT --level "$LEVEL"
        --workers "$WORKERS" -o "$WORK/sluice-qc.zst" --force)

# Best of $RUNS, interleaved, so a burst of load from elsewhere hits every contender alike.
declare -A WALL CPU
for _ in $(seq "$RUNS"); do
  for name in zstd sluice fields qc; do
    case $name in
      zstd) r=$(timed "${ZSTD_CMD[@]}") ;;
      sluice) r=$(timed "${SLUICE_CMD[@]}") ;;
      fields) r=$(timed "${FIELDS_CMD[@]}") ;;
      qc) r=$(timed "${QC_CMD[@]}") ;;
    esac
    w=${r% *}
    if [[ -z ${WALL[$name]:-} ]] || (( $(echo "$w < ${WALL[$name]}" | bc -l) )); then WALL[$name]=$w; CPU[$name]=${r#* }; fi
  done
done

zstd -q -d -c "$WORK/sluice.zst" | cmp - "$F" && echo "round trip: sluice.zst decompresses to the input (zstd -d | cmp)"
zstd -q -d -c "$WORK/sluice-qc.zst" | cmp - "$F"

mb() { echo "scale=1; $1 / 1000000" | bc -l; }
row() {  # label name output
  printf "| %-36s | %6.2f s | %7.1f MB/s | %6.2f s | %7s MB | %5.2f | %5.2f |\n" "$1" "${WALL[$2]}" \
    "$(echo "$BYTES / 1000000 / ${WALL[$2]}" | bc -l)" "${CPU[$2]}" "$(mb "$(stat -c %s "$3")")" \
    "$(echo "${WALL[zstd]} / ${WALL[$2]}" | bc -l)" "$(echo "${CPU[zstd]} / ${CPU[$2]}" | bc -l)"
}
echo
echo "$(mb "$BYTES") MB, level $LEVEL, $WORKERS workers, best of $RUNS (interleaved), load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | wall | throughput | CPU | output | sluice/zstd (wall) | sluice/zstd (CPU) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "zstd -$LEVEL -T$WORKERS" zstd "$WORK/zstd.zst"
row "sluice compress" sluice "$WORK/sluice.zst"
row "sluice compress --check-fields" fields "$WORK/sluice.zst"
row "sluice compress --table (full QC)" qc "$WORK/sluice-qc.zst"

# Shared by the benchmarks that run a private cluster: sourced after `set -euo pipefail`.
# Sets root, sluice and work (a temp dir, with the embedded server's and sluice's state in it),
# removes everything on exit, and defines now / elapsed / best (the fastest of several runs).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sluice=$root/build/sluice
[ -x "$sluice" ] || { echo "build sluice first: scripts/build" >&2; exit 2; }
work=$(mktemp -d /tmp/sluice-bench-XXXXXX)
chmod 755 "$work"
export SLUICE_PG_DIR=$work/pg XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
bench_cleanup() { "$sluice" db stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap bench_cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -n1; }

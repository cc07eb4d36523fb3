#!/usr/bin/env bash
# Benchmarks `sluice migrate run` from PostgreSQL to PostgreSQL against the psql pipe a person
# would type: psql -c "\copy (select ...) to stdout" | psql -c "\copy t from stdin", plus the same
# primary key built after the data. Source and target are schemas of one private cluster (the
# machine's cores serve both sides, as they would for two servers on one host).
#
#   bench/migrate_postgres_vs_psql_pipe.sh [ROWS] [WORKERS]   (default 2000000 rows, 2 workers)
set -euo pipefail
rows=${1:-2000000}
workers=${2:-2}
source "$(dirname "$0")/lib.sh"

"$sluice" db start >/dev/null
url=$("$sluice" db url)
psql -X -q "$url" <<SQL
CREATE SCHEMA src;
CREATE TABLE src.facts (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(14,2), at timestamptz, doc jsonb);
INSERT INTO src.facts SELECT g, 'customer ' || (g % 50000), (g % 100000) * 0.37,
  timestamptz '2024-01-01' + g * interval '7 seconds', jsonb_build_object('n', g, 'tag', 't' || (g % 13))
FROM generate_series(1, $rows) g;
VACUUM ANALYZE src.facts;
SQL
cat > "$work/sluice.yaml" <<YAML
connections:
  pg: { type: postgres, dsn: "$url" }
migrations:
  - { name: bench, source: pg, source_schema: src, schema: dst, workers: $workers, chunk_rows: 1000000, tables: [facts] }
YAML
cfg=(--config "$work/sluice.yaml" -q --batch)


sluice_runs=() pipe_runs=()
for i in 1 2; do
  psql -X -q "$url" -c "CHECKPOINT"
  t0=$(now)
  /usr/bin/time -v -o "$work/time.txt" "$sluice" "${cfg[@]}" migrate run --restart >/dev/null
  sluice_runs+=("$(elapsed "$t0" "$(now)")")

  psql -X -q "$url" -c "DROP SCHEMA IF EXISTS pipe CASCADE" -c "CREATE SCHEMA pipe" \
    -c "CREATE TABLE pipe.facts (LIKE src.facts)" -c "CHECKPOINT"
  t0=$(now)
  psql -X -q "$url" -c "\\copy (SELECT * FROM src.facts) TO STDOUT" | psql -X -q "$url" -c "\\copy pipe.facts FROM STDIN"
  psql -X -q "$url" -c "ALTER TABLE pipe.facts ADD PRIMARY KEY (id)"
  pipe_runs+=("$(elapsed "$t0" "$(now)")")
done
got=$(psql -X -qAt "$url" -c "SELECT count(*) FROM dst.facts")
[ "$got" = "$rows" ] || { echo "sluice copied $got rows, not $rows" >&2; exit 1; }

s=$(best "${sluice_runs[@]}"); p=$(best "${pipe_runs[@]}")
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/time.txt")
printf 'rows: %s, %s cores, %s workers\n' "$rows" "$(nproc)" "$workers"
printf 'psql \\copy pipe     %7.2f s  %9.0f rows/s\n' "$p" "$(echo "$rows / $p" | bc -l)"
printf 'sluice migrate run  %7.2f s  %9.0f rows/s  pipe/sluice %.2f  (peak RSS %s KB)\n' \
  "$s" "$(echo "$rows / $s" | bc -l)" "$(echo "$p / $s" | bc -l)" "$rss"

#!/usr/bin/env bash
# An incremental sync against the full migration of the same table: a PostgreSQL source of ROWS
# rows (bigint key, text, numeric, timestamptz watermark with an index, as a source synced by
# watermark has), copied whole once (mode: incremental's first run: the table built apart, keys,
# ANALYZE); then PERCENT of the rows changed, half of them updated (amount, and the watermark to a
# random time of an hour, so a watermark read meets them out of key order) and half
# added, and `sluice migrate run` times the sync. Target: the sync at most 5% of
# the full run's time. Source and target are schemas of one private cluster.
#
#   bench/migrate_incremental.sh [ROWS] [PERCENT]   (default 10000000 rows, 1 percent)
set -euo pipefail
rows=${1:-10000000}
percent=${2:-1}
source "$(dirname "$0")/lib.sh"

"$sluice" db start >/dev/null
url=$("$sluice" db url)
psql -X -q "$url" <<SQL
CREATE SCHEMA src;
CREATE TABLE src.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(14,2), updated_at timestamptz NOT NULL);
INSERT INTO src.orders SELECT g, 'customer ' || (g % 50000), (g % 100000) * 0.37,
  timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, $rows) g;
CREATE INDEX ON src.orders (updated_at);
VACUUM ANALYZE src.orders;
SQL
cat > "$work/sluice.yaml" <<YAML
connections:
  pg: { type: postgres, dsn: "$url" }
migrations:
  - { name: bench, source: pg, source_schema: src, schema: dst, workers: 2, chunk_rows: 1000000,
      tables: [{ table: orders, mode: incremental, watermark: [updated_at] }] }
YAML
cfg=(--config "$work/sluice.yaml" -q --batch)

psql -X -q "$url" -c CHECKPOINT
t0=$(now)
/usr/bin/time -v -o "$work/full.txt" "$sluice" "${cfg[@]}" migrate run >/dev/null
full=$(elapsed "$t0" "$(now)")

changed=$(( rows * percent / 200 ))  # updated, and as many added
psql -X -q "$url" <<SQL
UPDATE src.orders SET amount = amount + 1, updated_at = timestamptz '2030-01-01' + random() * interval '1 hour'
  WHERE id % $(( 200 / percent )) = 0;
INSERT INTO src.orders SELECT g, 'new customer', 1, timestamptz '2030-01-02' FROM generate_series($rows + 1, $rows + $changed) g;
VACUUM ANALYZE src.orders;
CHECKPOINT;
SQL
t0=$(now)
/usr/bin/time -v -o "$work/sync.txt" "$sluice" "${cfg[@]}" migrate run --json >"$work/sync.json"
sync=$(elapsed "$t0" "$(now)")

read -r read_rows inserted updated < <(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tables"][0]; print(t["copied_rows"], t["inserted_rows"], t["updated_rows"])' "$work/sync.json")
[ "$inserted" = "$changed" ] && [ "$updated" = "$changed" ] || { echo "the sync inserted $inserted and updated $updated, not $changed each" >&2; exit 1; }
same=$(psql -X -qAt "$url" -c "SELECT (SELECT count(*) || ' ' || sum(amount) FROM src.orders) = (SELECT count(*) || ' ' || sum(amount) FROM dst.orders)")
[ "$same" = t ] || { echo "the target differs from the source after the sync" >&2; exit 1; }

rss() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
printf 'rows: %s, changed: %s%% (%s updated, %s added), %s cores\n' "$rows" "$percent" "$changed" "$changed" "$(nproc)"
printf 'full migration (first run)   %7.2f s  peak RSS %s KB\n' "$full" "$(rss "$work/full.txt")"
printf 'incremental sync             %7.2f s  peak RSS %s KB  (%s rows read, %s inserted, %s updated)\n' \
  "$sync" "$(rss "$work/sync.txt")" "$read_rows" "$inserted" "$updated"
printf 'sync / full: %.1f%%  (target <= 5%%)\n' "$(echo "100 * $sync / $full" | bc -l)"

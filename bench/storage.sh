#!/usr/bin/env bash
# Storage figures (issue 5): a realistic data set (10 M events over 90 days, 50 sites, power-law
# pages and referrers; Sources/store-bench/Dataset.swift) loaded into SQLite, PostgreSQL 15 and
# ClickHouse the way one tracker node delivers (one batch after another, the node's batch size),
# then bytes on disk per event and three report queries on site0 (the busiest) over 30 days:
# unique visitors per day, top 10 pages, top 10 referrers (median of 3 runs).
#   bench/storage.sh [events]      (needs root, postgresql-15, clickhouse-server, sqlite3)
#   STORES="postgres" bench/storage.sh 1000000    (only some of sqlite, postgres, clickhouse)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-10000000}
STORES=${STORES:-sqlite postgres clickhouse}
want() { [[ " $STORES " == *" $1 "* ]]; }
CHPORT=18133
source scripts/services.sh
swift build -c release --product store-bench >/dev/null
BENCH=$(swift build -c release --show-bin-path)/store-bench

want postgres && start_postgres 18432 -c max_wal_size=4GB -c shared_buffers=512MB
want clickhouse && start_clickhouse "$SERVICES/ch" "$CHPORT" "$((CHPORT + 1))"
PG="postgres://postgres@127.0.0.1:18432/postgres"
CH="http://127.0.0.1:$CHPORT"
ch() { curl -sf "$CH/" --data-binary "$1"; }

echo "== load ($EVENTS events)"
want sqlite && echo "sqlite:     $("$BENCH" sqlite "$SERVICES/bench.sqlite" "$EVENTS")"
want postgres && echo "postgres:   $("$BENCH" postgres "$PG" "$EVENTS")"
want clickhouse && echo "clickhouse: $("$BENCH" clickhouse "$CH/bench" "$EVENTS")"

echo "== bytes on disk per event"
want sqlite && sqlite_bytes=$(( $(stat -c %s "$SERVICES/bench.sqlite") + $(stat -c %s "$SERVICES/bench.sqlite-wal" 2>/dev/null || echo 0) ))
want sqlite && { sqlite3 "$SERVICES/bench.sqlite" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6" 2>/dev/null \
  | sed 's/^/    sqlite  /' || true; }
want postgres && pg_bytes=$(psql "$PG" -Atc "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'events'::regclass")
want postgres && psql "$PG" -Atc "SELECT 'postgres heap ' || round(sum(pg_relation_size(inhrelid)) / $EVENTS.0, 1) || ' B/event, indexes '
  || round(sum(pg_indexes_size(inhrelid)) / $EVENTS.0, 1) || ' B/event' FROM pg_inherits WHERE inhparent = 'events'::regclass" | sed 's/^/    /'
want clickhouse && { ch "OPTIMIZE TABLE bench.events FINAL" || true; }
want clickhouse && ch_bytes=$(ch "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'bench' AND table = 'events'" \
  || ch "SELECT sum(bytes) FROM system.parts WHERE active AND database = 'bench' AND table = 'events'")
want clickhouse && { ch "SELECT name, round(data_compressed_bytes / $EVENTS, 1) FROM system.columns
  WHERE database = 'bench' AND table = 'events' ORDER BY data_compressed_bytes DESC LIMIT 8 FORMAT TSV" 2>/dev/null \
  | awk '{printf "    clickhouse column %-10s %6s B/event\n", $1, $2}' || true; }
for store in sqlite pg ch; do
  bytes_var=${store}_bytes
  [ -n "${!bytes_var:-}" ] || continue
  printf '%-10s %12s bytes  %6.1f B/event\n' "$store" "${!bytes_var}" "$(echo "${!bytes_var} / $EVENTS" | bc -l)"
done

echo "== report queries on site0, the last 30 days (median of 3, ms)"
TO=$(date -u +%Y-%m-%dT%H:%M:%S)
FROM=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%S)
FROM_MS=$(( $(date -u -d '30 days ago' +%s) * 1000 )); TO_MS=$(( $(date -u +%s) * 1000 ))
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
time3() { for _ in 1 2 3; do ms "$@"; done | median; }
SITE="hhash = 'site0' AND created >= '$FROM' AND created < '$TO'"
PGSITE="hhash = 'site0' AND created >= '${FROM}Z' AND created < '${TO}Z'"
CHSITE="site = 'site0' AND ts >= $FROM_MS AND ts < $TO_MS"
declare -A Q
Q[sqlite_uv]="SELECT substr(created, 1, 10) AS d, count(DISTINCT vid) FROM events WHERE $SITE GROUP BY d"
Q[sqlite_pages]="SELECT url, count(*) AS c FROM events WHERE $SITE GROUP BY url ORDER BY c DESC LIMIT 10"
Q[sqlite_refs]="SELECT last, count(*) AS c FROM events WHERE $SITE AND last IS NOT NULL GROUP BY last ORDER BY c DESC LIMIT 10"
Q[pg_uv]="SELECT date_trunc('day', created) AS d, count(DISTINCT vid) FROM events WHERE $PGSITE GROUP BY d"
Q[pg_pages]="SELECT url, count(*) AS c FROM events WHERE $PGSITE GROUP BY url ORDER BY c DESC LIMIT 10"
Q[pg_refs]="SELECT last, count(*) AS c FROM events WHERE $PGSITE AND last IS NOT NULL GROUP BY last ORDER BY c DESC LIMIT 10"
Q[ch_uv]="SELECT day, uniqExact(vid) FROM bench.events WHERE $CHSITE GROUP BY day FORMAT Null"
Q[ch_pages]="SELECT url, count() AS c FROM bench.events WHERE $CHSITE GROUP BY url ORDER BY c DESC LIMIT 10 FORMAT Null"
Q[ch_refs]="SELECT last, count() AS c FROM bench.events WHERE $CHSITE AND last IS NOT NULL GROUP BY last ORDER BY c DESC LIMIT 10 FORMAT Null"
printf '%-10s %14s %10s %14s\n' store visitors/day top-pages top-referrers
want sqlite && printf '%-10s %14s %10s %14s\n' sqlite "$(time3 sqlite3 "$SERVICES/bench.sqlite" "${Q[sqlite_uv]}")" \
  "$(time3 sqlite3 "$SERVICES/bench.sqlite" "${Q[sqlite_pages]}")" "$(time3 sqlite3 "$SERVICES/bench.sqlite" "${Q[sqlite_refs]}")"
want postgres && printf '%-10s %14s %10s %14s\n' postgres "$(time3 psql "$PG" -Atc "${Q[pg_uv]}")" "$(time3 psql "$PG" -Atc "${Q[pg_pages]}")" \
  "$(time3 psql "$PG" -Atc "${Q[pg_refs]}")"
want clickhouse && printf '%-10s %14s %10s %14s\n' clickhouse "$(time3 ch "${Q[ch_uv]}")" "$(time3 ch "${Q[ch_pages]}")" "$(time3 ch "${Q[ch_refs]}")"
if want sqlite; then echo "(site0 holds $(sqlite3 "$SERVICES/bench.sqlite" "SELECT count(*) FROM events WHERE $SITE") events in the window)"; fi

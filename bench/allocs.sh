#!/usr/bin/env bash
# Heap allocations per tracking request on each of tracker's threads: a count of libc's malloc
# calls (a perf uprobe) over a wrk run, divided by the events stored meanwhile. Unlike a rate or
# CPU time it hardly varies from run to run, so a change that should save allocations shows
# exactly what it saved. Needs root and perf (apt-get install linux-perf).
#
#   bench/allocs.sh GET|POST [BIN...]     (no BIN: this tree's release build)
KIND=${1:-POST}
shift $(( $# < 1 ? $# : 1 ))
BINS=("$@")
source "$(dirname "$0")/lib.sh"
need_perf
PORT=18084
request_target "$KIND" "$PORT"
LIBC=$(ldd "${BINS[0]}" | awk '/libc\.so/ {print $3}')
perf probe -l 2>/dev/null | grep -q 'probe_libc:malloc' || perf probe -q -x "$LIBC" malloc
accepted() { curl -s "http://127.0.0.1:$PORT/status" | grep -o '"accepted_events":[0-9]*' | cut -d: -f2; }
for bin in "${BINS[@]}"; do
  start_tracker "$bin" "$PORT"
  taskset -c 1 wrk -t1 -c64 -d2s "${ARGS[@]}" "$URL" > /dev/null
  # Counted over 4 s around a 3 s run: the server does nothing else meanwhile.
  perf stat --per-thread -e probe_libc:malloc -p "$TRACKER_PID" -o "$WORK/mallocs" -- sleep 4 > /dev/null 2> "$WORK/perf.err" &
  counter=$!
  sleep 0.3
  first=$(accepted)
  taskset -c 1 wrk -t1 -c64 -d3s "${ARGS[@]}" "$URL" > /dev/null
  last=$(accepted)
  wait "$counter" || { cat "$WORK/perf.err" >&2; exit 1; }
  awk -v n=$((last - first)) -v b="$(basename "$bin")" '
    $2 ~ /^[0-9,]+$/ { gsub(",", "", $2); if ($2 / n >= 0.2) parts = parts sprintf(" %s %.1f", $1, $2 / n) }
    END { printf "%-12s mallocs per request:%s\n", b, parts }' "$WORK/mallocs"
  kill "$TRACKER_PID"; wait "$TRACKER_PID" 2>/dev/null || true
  rm -rf "$WORK/data-$PORT"
done

#!/usr/bin/env bash
# Where a tracking request's CPU goes: each of tracker's threads' CPU per request (from /proc;
# the request thread (tracker-http-N, a direct lane; NIO's event loop with DirectHTTP off), the
# commit thread (tracker-ingest), the fsync thread (tracker-sync), the checkpointer (a Dispatch
# worker)), for one or more builds
# run in turn. This machine's rates vary by 10-20 % from run to run: alternate the builds, use
# several rounds and compare medians. The commit thread runs at nice 19 (StorageNice).
# "core busy": the rate times the CPU per request; below 100 % the core idled, every connection
# waiting for the same fsync (docs/storage.md). "log": the bytes the commit thread wrote per
# request, the write-ahead log (pages a commit rewrote count again: Sources/SQLite3/README.md).
# "rss": tracker's resident memory once the run is over (every pixel is a new visitor).
#
#   bench/threads.sh GET|POST|BROWSER [seconds] [rounds] [BIN...]     (no BIN: this tree's release build)
KIND=${1:-POST}; DURATION=${2:-6}; ROUNDS=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
BINS=("$@")
source "$(dirname "$0")/lib.sh"
PORT=18083
request_target "$KIND" "$PORT"
# tid name/nice cpu-ticks bytes-written, one line per thread
threads() {
  for t in /proc/"$1"/task/*; do
    echo "$(basename "$t") $(tr ' ' _ < "$t/comm")/n$(awk '{print $19}' "$t/stat") $(awk '{print $14+$15}' "$t/stat") $(awk '/^wchar/ {print $2}' "$t/io")"
  done | sort
}
for round in $(seq "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    start_tracker "$bin" "$PORT"
    taskset -c 1 wrk -t1 -c64 -d2s "${ARGS[@]}" "$URL" > /dev/null
    before=$(threads "$TRACKER_PID")
    out=$(taskset -c 1 wrk -t1 -c64 -d"${DURATION}s" "${ARGS[@]}" "$URL")
    after=$(threads "$TRACKER_PID")
    rss=$(awk '/^VmRSS/ {print int($2 / 1024)}' /proc/"$TRACKER_PID"/status)
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    rate=$(echo "$out" | awk '/Requests\/sec/ {print int($2)}')
    # "log": what the threads at nice 19 (the commit thread) wrote per request, the write-ahead log.
    join <(echo "$before") <(echo "$after") | awk -v n="$n" -v r="$rate" -v b="$(basename "$bin")" -v round="$round" -v rss="$rss" '
      { d = $6 - $3; total += d; if (d * 10000 / n >= 0.3) parts = parts sprintf(" %s %.1f", $2, d * 10000 / n)
        if ($2 ~ /\/n19$/) log_bytes += $7 - $4 }
      END { printf "%s %-12s %6d req/s | total %.1f us/req, core busy %d %%, log %d B/req, rss %d MB |%s\n", round, b, r, total * 10000 / n, r * total / n, log_bytes / n, rss, parts }'
    kill "$TRACKER_PID"; wait "$TRACKER_PID" 2>/dev/null || true
    rm -rf "$WORK/data-$PORT"
  done
done

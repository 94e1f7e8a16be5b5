#!/usr/bin/env bash
# Tracking hot path vs nginx, same machine, same run. nginx serves `empty_gif` (GET) and
# `return 200` (POST, it does not parse JSON) with its access log on; tracker parses, runs the
# pipeline and acknowledges only after the event is committed (fsync) to SQLite. Both servers
# are pinned to CPU 0, wrk to CPU 1. Prints both rates and tracker/nginx.
#
#   bench/run.sh [seconds-per-run] [rounds]        (needs nginx-light and wrk: apt-get install)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-64}
WORK=$(mktemp -d)
NGINX_PORT=18081
TRACKER_PORT=18082
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk (apt-get install nginx-light wrk)"; exit 1; }
swift build -c release --product tracker >/dev/null
BIN=$(swift build -c release --show-bin-path)/tracker

mkdir -p "$WORK/nginx/logs" "$WORK/data"
cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 4096; }
http {
    access_log $WORK/nginx/logs/access.log;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location /img/v1/ { empty_gif; }
        location /tr/v1/ { return 200; }
    }
}
NGINX
taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & PIDS+=($!)
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --listen 127.0.0.1:$TRACKER_PORT --data "$WORK/data" \
  2> "$WORK/tracker.log" & PIDS+=($!)
for i in $(seq 100); do
  curl -sf "http://127.0.0.1:$NGINX_PORT/img/v1/" >/dev/null && curl -sf "http://127.0.0.1:$TRACKER_PORT/ping" >/dev/null && break
  sleep 0.1
done

GET_PATH="/img/v1/?utm_source=newsletter&utm_medium=email&utm_content=opened&gu=1"
rate() { # url [script] -> requests/s
  local out
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency ${2:+-s "$2"} "$1")
  echo "$out" | awk '/Requests\/sec/ {print int($2)}'
  echo "$out" | awk '/Non-2xx|Socket errors/ {print "  warning: " $0 > "/dev/stderr"}'
}
warm() { taskset -c 1 wrk -t1 -c"$CONNS" -d2s ${2:+-s "$2"} "$1" >/dev/null; }

printf '%-6s %-5s %12s %12s %8s\n' round kind nginx tracker ratio
for round in $(seq "$ROUNDS"); do
  for kind in GET POST; do
    script=""; [ "$kind" = POST ] && script=bench/post.lua
    path="$GET_PATH"; [ "$kind" = POST ] && path="/tr/v1/"
    warm "http://127.0.0.1:$NGINX_PORT$path" $script; n=$(rate "http://127.0.0.1:$NGINX_PORT$path" $script)
    warm "http://127.0.0.1:$TRACKER_PORT$path" $script; t=$(rate "http://127.0.0.1:$TRACKER_PORT$path" $script)
    printf '%-6s %-5s %12s %12s %8.3f\n' "$round" "$kind" "$n" "$t" "$(echo "$t / $n" | bc -l)"
  done
done
stored=$(sqlite3 "$WORK/data/tracker.sqlite" "SELECT count(*) FROM events")
echo "events stored by tracker: $stored"
curl -s "http://127.0.0.1:$TRACKER_PORT/status"; echo

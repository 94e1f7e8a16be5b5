#!/usr/bin/env bash
# Tracking hot path vs nginx, same machine, same run. nginx serves `empty_gif` (GET) and
# `return 200` (POST, it does not parse JSON) with its access log on; tracker parses, runs the
# pipeline and acknowledges only after the event is committed (fsync) to SQLite. A bare SwiftNIO
# server (Sources/nio-pixel: NIO's HTTP/1 pipeline and a handler that answers the pixel, no other
# work) runs beside them as the issue's reference point: what the HTTP layer alone leaves of
# nginx's rate here. All servers are pinned to CPU 0, wrk to CPU 1. Prints the rates, latencies,
# server CPU per request and the ratios to nginx, per round and as medians (this machine is
# noisy: use several rounds).
#
#   bench/run.sh [seconds-per-run] [rounds]        (needs nginx-light and wrk: apt-get install)
DURATION=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-64}
NGINX_PORT=18081
NIO_PORT=18084
TRACKER_PORT=18082
source "$(dirname "$0")/lib.sh"

start_nginx "
    access_log $WORK/nginx/logs/access.log;
    client_body_temp_path $WORK/nginx;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location /img/v1/ { empty_gif; }
        location /tr/v1/ { return 200; }
    }"
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --listen 127.0.0.1:$TRACKER_PORT --data "$WORK/data" \
  2> "$WORK/tracker.log" & PIDS+=($!)
swift build -c release --product nio-pixel >/dev/null
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$(swift build -c release --show-bin-path)/nio-pixel" 127.0.0.1 $NIO_PORT \
  > /dev/null & PIDS+=($!)
wait_for "http://127.0.0.1:$NGINX_PORT/img/v1/" "http://127.0.0.1:$TRACKER_PORT/ping" "http://127.0.0.1:$NIO_PORT/"

NGINX_PID=$(pgrep -P "${PIDS[0]}" | head -1)  # the worker, which does the work
TRACKER_PID=${PIDS[1]}
NIO_PID=${PIDS[2]}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
# run PID URL [script] -> "req/s p50 p99 cpu-µs-per-request"
run() {
  local pid=$1 url=$2 script=${3:-} out c0 c1 n
  taskset -c 1 wrk -t1 -c"$CONNS" -d2s ${script:+-s "$script"} "$url" >/dev/null
  c0=$(cpu "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency ${script:+-s "$script"} "$url")
  c1=$(cpu "$pid")
  echo "$out" | grep -E "Non-2xx|Socket errors" >&2 || true
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$(echo "$out" | awk '/Requests\/sec/ {print int($2)}') $(echo "$out" | awk '$1 == "50%" {print $2}') \
$(echo "$out" | awk '$1 == "99%" {print $2}') $(awk -v c="$((c1 - c0))" -v n="$n" 'BEGIN {printf "%.1f", c * 10000 / n}')"
}

# ratio: tracker's rate over nginx's (the target); by-cpu: nginx's CPU per request over
# tracker's, steadier from run to run, and what the rate ratio would be if both servers used
# their core fully; nio: the bare NIO server's rate over nginx's.
printf '%-5s %-5s %9s %8s %8s %7s | %9s %8s %8s %7s | %8s %7s | %6s %6s %6s\n' round kind nginx p50 p99 cpu-us tracker p50 p99 cpu-us bare-nio cpu-us ratio by-cpu nio
RATIOS=$WORK/ratios
for round in $(seq "$ROUNDS"); do
  for kind in GET POST; do
    script=""; path="$GET_PATH"
    if [ "$kind" = POST ]; then script=bench/post.lua; path="/tr/v1/"; fi
    read -r nr np50 np99 ncpu < <(run "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT$path" $script)
    read -r tr tp50 tp99 tcpu < <(run "$TRACKER_PID" "http://127.0.0.1:$TRACKER_PORT$path" $script)
    read -r br _ _ bcpu < <(run "$NIO_PID" "http://127.0.0.1:$NIO_PORT$path" $script)
    ratio=$(printf '%.3f' "$(echo "$tr / $nr" | bc -l)")
    bycpu=$(printf '%.3f' "$(echo "$ncpu / $tcpu" | bc -l)")
    nio=$(printf '%.3f' "$(echo "$br / $nr" | bc -l)")
    echo "$kind $ratio $bycpu $nio $tr $nr" >> "$RATIOS"
    printf '%-5s %-5s %9s %8s %8s %7s | %9s %8s %8s %7s | %8s %7s | %6s %6s %6s\n' "$round" "$kind" "$nr" "$np50" "$np99" "$ncpu" "$tr" "$tp50" "$tp99" "$tcpu" "$br" "$bcpu" "$ratio" "$bycpu" "$nio"
  done
done
for kind in GET POST; do
  median() { awk -v k=$kind -v f="$1" '$1 == k {print $f}' "$RATIOS" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  echo "median tracker/nginx $kind: $(median 2) (by CPU per request: $(median 3)); bare NIO/nginx: $(median 4)"
  # nginx's rate here moves between two levels from round to round (about 118k and 97k req/s for
  # empty_gif): against its fastest round, the ratio does not depend on which level it was at.
  fastest=$(awk -v k=$kind '$1 == k {print $6}' "$RATIOS" | sort -n | tail -1)
  echo "median tracker $kind rate / fastest nginx round: $(median 5) / $fastest = $(printf '%.3f' "$(echo "$(median 5) / $fastest" | bc -l)")"
done
echo "tracker status: $(curl -s "http://127.0.0.1:$TRACKER_PORT/status")"
echo "events in the store: $(sqlite3 "$WORK/data/tracker.sqlite" "SELECT count(*) FROM events")"

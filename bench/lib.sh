# Shared by the benchmark scripts: a work folder removed on exit, the servers it started stopped,
# the release binary built, and a wait until URLs answer.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers run as nobody
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
# TRACKER_BIN=path runs that binary instead of building this tree's (to compare two builds). A
# script that compares builds sets BINS to the ones it was given before sourcing this: the first
# is then BIN, and with none BINS is this tree's build.
if [ -n "${TRACKER_BIN:-}" ]; then
  BIN=$TRACKER_BIN
elif [ -n "${BINS+set}" ] && [ ${#BINS[@]} -gt 0 ]; then
  BIN=${BINS[0]}
else
  swift build -c release --product tracker >/dev/null
  BIN=$(swift build -c release --show-bin-path)/tracker
fi
[ -n "${BINS+set}" ] && [ ${#BINS[@]} -gt 0 ] || BINS=("$BIN")
mkdir -p "$WORK/nginx/logs" "$WORK/data"

# need_perf: stops the script unless perf is installed (the scripts that count or trace with it).
need_perf() {
  command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)"; exit 1; }
}

# wait_for URL...: until every URL answers (10 s at most).
wait_for() {
  for _ in $(seq 100); do
    local ok=1
    for url in "$@"; do curl -sf "$url" >/dev/null || ok=0; done
    [ "$ok" = 1 ] && return 0
    sleep 0.1
  done
  echo "not ready: $*" >&2
  return 1
}

# start_nginx HTTP_BLOCK: nginx with one worker pinned to CPU 0 and the given http { } contents.
start_nginx() {
  command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx-light)"; exit 1; }
  cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 4096; }
http {
    keepalive_requests 1000000;
$1
}
NGINX
  taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & PIDS+=($!)
}

# The e-mail pixel of run.sh; its JSON POST is post.lua's. Sources/pipeline-bench/main.swift runs both.
GET_PATH="/img/v1/?utm_source=newsletter&utm_medium=email&utm_content=opened&gu=1"

# request_args KIND: wrk's arguments after the URL's host for KIND (GET: the pixel, POST: the
# browser tracker's JSON event, BROWSER: the same with a real browser's headers): the script
# option, if any, then the path.
request_args() {
  case "$1" in
    POST) echo "-s bench/post.lua /tr/v1/" ;;
    BROWSER) echo "-s bench/browser.lua /tr/v1/" ;;
    *) echo "$GET_PATH" ;;
  esac
}

# request_target KIND PORT: wrk's options for KIND in ARGS, and the tracker's URL on PORT in URL.
request_target() {
  read -r -a ARGS <<< "$(request_args "$1")"
  URL="http://127.0.0.1:$2${ARGS[-1]}"; unset 'ARGS[-1]'
}

# start_tracker BIN PORT: a tracker on the embedded default with its threads pinned to CPU 0 (as
# run.sh runs it), answering; its pid in TRACKER_PID.
start_tracker() {
  ! curl -s "http://127.0.0.1:$2/" > /dev/null || { echo "port $2 is taken (a tracker left running?)" >&2; exit 1; }
  mkdir -p "$WORK/data-$2"
  NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$1" serve --listen "127.0.0.1:$2" --data "$WORK/data-$2" \
    > /dev/null 2> "$WORK/tracker-$2.log" & PIDS+=($!)
  TRACKER_PID=$!
  wait_for "http://127.0.0.1:$2/ping"
}

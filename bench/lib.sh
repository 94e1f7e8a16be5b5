# Shared by the benchmark scripts: a work folder removed on exit, the servers it started stopped,
# the release binary built, and a wait until URLs answer.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers run as nobody
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk (apt-get install nginx-light wrk)"; exit 1; }
# TRACKER_BIN=path runs that binary instead of building this tree's (to compare two builds).
if [ -n "${TRACKER_BIN:-}" ]; then
  BIN=$TRACKER_BIN
else
  swift build -c release --product tracker >/dev/null
  BIN=$(swift build -c release --show-bin-path)/tracker
fi
mkdir -p "$WORK/nginx/logs" "$WORK/data"

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

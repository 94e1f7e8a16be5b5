#!/usr/bin/env bash
# Reverse proxy vs nginx proxy_pass, same machine, same run. One backend (nginx answering a small
# body, pinned to CPU 1 with wrk); nginx's proxy and tracker's proxy in turn on CPU 0, both with
# keep-alive pools to the backend and no access log. Then memory: the proxy's peak RSS after a
# 1 GiB download and a 1 GiB upload stream through it.
#   bench/proxy.sh [seconds-per-run] [rounds]        (needs nginx-light and wrk)
DURATION=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-64}
BACKEND_PORT=18090
NGINX_PORT=18091
TRACKER_PORT=18092
SINK_PORT=18093
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/backend/logs" "$WORK/www"
chmod 755 "$WORK/www"
truncate -s 1G "$WORK/www/big.bin"
cat > "$WORK/backend/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/backend/nginx.pid;
error_log $WORK/backend/logs/error.log;
events { worker_connections 4096; }
http {
    keepalive_requests 1000000;
    access_log off;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$BACKEND_PORT;
        root $WORK/www;
        location /api/ { default_type application/json; return 200 '{"ok":true,"items":[1,2,3]}'; }
    }
}
NGINX
taskset -c 1 nginx -p "$WORK/backend" -c "$WORK/backend/nginx.conf" & PIDS+=($!)
taskset -c 1 python3 bench/upload_sink.py $SINK_PORT & PIDS+=($!)
start_nginx "
    access_log off;
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
        location /upload { proxy_pass http://127.0.0.1:$SINK_PORT; proxy_http_version 1.1; }
    }"
NGINX_PID=${PIDS[-1]}
cat > "$WORK/tracker.json" <<JSON
{"DataDirectory": "$WORK/data",
 "Routes": [{"Name": "api", "PathPrefix": "/", "Upstreams": ["http://127.0.0.1:$BACKEND_PORT"]},
            {"Name": "upload", "PathPrefix": "/upload", "Upstreams": ["http://127.0.0.1:$SINK_PORT"]}]}
JSON
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --config "$WORK/tracker.json" --listen 127.0.0.1:$TRACKER_PORT \
  2> "$WORK/tracker.log" & PIDS+=($!)
TRACKER_PID=${PIDS[-1]}
wait_for "http://127.0.0.1:$NGINX_PORT/api/x" "http://127.0.0.1:$TRACKER_PORT/api/x"
for _ in $(seq 50); do curl -sf -T /dev/null "http://127.0.0.1:$SINK_PORT/upload" >/dev/null && break; sleep 0.1; done

rate() {
  taskset -c 1 wrk -t1 -c"$CONNS" -d2s "$1" >/dev/null
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$1" \
    | awk '/Requests\/sec/ {r=int($2)} $1 == "50%" {m=$2} $1 == "99%" {p=$2} END {print r, m, p}'
}
printf '%-5s %10s %8s %8s | %10s %8s %8s | %6s\n' round nginx p50 p99 tracker p50 p99 ratio
for round in $(seq "$ROUNDS"); do
  read -r n nm np < <(rate "http://127.0.0.1:$NGINX_PORT/api/items")
  read -r t tm tp < <(rate "http://127.0.0.1:$TRACKER_PORT/api/items")
  printf '%-5s %10s %8s %8s | %10s %8s %8s | %6.3f\n' "$round" "$n" "$nm" "$np" "$t" "$tm" "$tp" "$(echo "$t / $n" | bc -l)"
  echo "$t / $n" | bc -l >> "$WORK/ratios"
done
echo "median tracker/nginx: $(sort -n "$WORK/ratios" | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}')"

# Peak resident memory (VmHWM) of each proxy before and after 1 GiB each way.
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
stream() {
  curl -s -o /dev/null -w '%{size_download} ' "http://127.0.0.1:$1/big.bin"
  head -c 1073741824 /dev/zero | curl -s -T - "http://127.0.0.1:$1/upload"
}
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
for name in nginx tracker; do
  if [ "$name" = nginx ]; then pid=$NGINX_WORKER; port=$NGINX_PORT; else pid=$TRACKER_PID; port=$TRACKER_PORT; fi
  before=$(hwm "$pid")
  moved=$(stream "$port")
  echo "$name: peak RSS ${before} KiB before, $(hwm "$pid") KiB after streaming (bytes down/up: $moved)"
done

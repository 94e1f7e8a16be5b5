#!/usr/bin/env bash
# Static files vs nginx, same machine, same run: a small file (1 KiB, from tracker's memory cache)
# and a large one (1 MiB, sendfile), both servers pinned to CPU 0, wrk to CPU 1.
#   bench/files.sh [seconds-per-run] [rounds]        (needs nginx-light and wrk)
DURATION=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-64}
NGINX_PORT=18083
TRACKER_PORT=18084
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/www"
chmod 755 "$WORK/www"
head -c 1024 /dev/urandom > "$WORK/www/small.bin"
head -c 1048576 /dev/urandom > "$WORK/www/large.bin"
cat > "$WORK/tracker.json" <<JSON
{"Sites": [{"Hosts": ["*"], "Root": "$WORK/www"}], "DataDirectory": "$WORK/data"}
JSON
start_nginx "
    access_log off;
    sendfile on;
    open_file_cache max=1000;
    server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; etag on; }"
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --config "$WORK/tracker.json" --listen 127.0.0.1:$TRACKER_PORT \
  2> "$WORK/tracker.log" & PIDS+=($!)
wait_for "http://127.0.0.1:$NGINX_PORT/small.bin" "http://127.0.0.1:$TRACKER_PORT/small.bin"
rate() {
  taskset -c 1 wrk -t1 -c"$CONNS" -d2s "$1" >/dev/null
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$1" | awk '/Requests\/sec/ {r=int($2)} $1 == "99%" {p=$2} END {print r, p}'
}
printf '%-5s %-6s %10s %9s | %10s %9s | %6s\n' round file nginx p99 tracker p99 ratio
for round in $(seq "$ROUNDS"); do
  for file in small large; do
    read -r n np < <(rate "http://127.0.0.1:$NGINX_PORT/$file.bin")
    read -r t tp < <(rate "http://127.0.0.1:$TRACKER_PORT/$file.bin")
    printf '%-5s %-6s %10s %9s | %10s %9s | %6.3f\n' "$round" "$file" "$n" "$np" "$t" "$tp" "$(echo "$t / $n" | bc -l)"
  done
done

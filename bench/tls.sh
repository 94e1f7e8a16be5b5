#!/usr/bin/env bash
# HTTPS vs nginx, same machine, same run: requests on kept-alive TLS connections; full handshakes
# (one request per connection, wrk kept from resuming by bench/noresume.c); and new connections
# that may resume their session (session tickets, on by default in both).
# Both serve `/ping` with the same ECDSA P-256 certificate, TLS 1.3 by default, no access log,
# pinned to CPU 0 (tracker with one event loop); wrk on CPU 1.
#   bench/tls.sh [seconds-per-run] [rounds]        (needs nginx-light, wrk, openssl, bc)
DURATION=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-64}
NGINX_PORT=18443
TRACKER_PORT=18444
TRACKER_PLAIN=18445
source "$(dirname "$0")/lib.sh"
gcc -shared -fPIC -O2 -o "$WORK/noresume.so" bench/noresume.c -ldl

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -days 2 -subj "/CN=bench.test" -addext "subjectAltName=DNS:bench.test,IP:127.0.0.1" 2>/dev/null
chmod 644 "$WORK/key.pem"
start_nginx "
    access_log off;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl http2;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        location = /ping { default_type text/plain; return 200 'pong'; }
    }"
cat > "$WORK/tracker.json" <<JSON
{"DataDirectory": "$WORK/data", "Listen": "127.0.0.1:$TRACKER_PLAIN",
 "TLS": {"Listen": "127.0.0.1:$TRACKER_PORT", "Certificates": [{"Cert": "$WORK/cert.pem", "Key": "$WORK/key.pem"}], "RedirectHTTP": false}}
JSON
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --config "$WORK/tracker.json" 2> "$WORK/tracker.log" & PIDS+=($!)
wait_for "http://127.0.0.1:$TRACKER_PLAIN/ping"
for _ in $(seq 50); do curl -skf "https://127.0.0.1:$NGINX_PORT/ping" >/dev/null && curl -skf "https://127.0.0.1:$TRACKER_PORT/ping" >/dev/null && break; sleep 0.1; done

# rate PRELOAD URL [extra wrk args] -> "req/s p50 p99"
rate() {
  local preload=$1 url=$2; shift 2
  taskset -c 1 env LD_PRELOAD="$preload" wrk -t1 -c"$CONNS" -d2s "$@" "$url" >/dev/null 2>&1
  taskset -c 1 env LD_PRELOAD="$preload" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url" \
    | awk '/Requests\/sec/ {r=int($2)} $1 == "50%" {m=$2} $1 == "99%" {p=$2} END {print r, m, p}'
}
RATIOS=$WORK/ratios
printf '%-5s %-10s %9s %8s %8s | %9s %8s %8s | %6s\n' round kind nginx p50 p99 tracker p50 p99 ratio
for round in $(seq "$ROUNDS"); do
  for kind in keepalive handshake resumed; do
    args=()
    [ "$kind" != keepalive ] && args=(-H "Connection: close")
    preload=""
    [ "$kind" = handshake ] && preload="$WORK/noresume.so"
    read -r n nm np < <(rate "$preload" "https://127.0.0.1:$NGINX_PORT/ping" "${args[@]}")
    read -r t tm tp < <(rate "$preload" "https://127.0.0.1:$TRACKER_PORT/ping" "${args[@]}")
    ratio=$(printf '%.3f' "$(echo "$t / $n" | bc -l)")
    echo "$kind $ratio" >> "$RATIOS"
    printf '%-5s %-10s %9s %8s %8s | %9s %8s %8s | %6s\n' "$round" "$kind" "$n" "$nm" "$np" "$t" "$tm" "$tp" "$ratio"
  done
done
for kind in keepalive handshake resumed; do
  echo "median tracker/nginx $kind: $(awk -v k=$kind '$1 == k {print $2}' "$RATIOS" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done

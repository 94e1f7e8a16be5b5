#!/usr/bin/env bash
# NATS figures, same machine, same run, against Debian's nats-server (pinned to CPU 1):
#  1. core publish throughput of our client (nats-bench, CPU 0) vs nats-py, the reference client;
#  2. JetStream acknowledged publishes per second (file storage, 64 in flight);
#  3. the tracking hot path (POST /tr/v1, tracker on CPU 0 with one event loop, wrk on CPU 1)
#     without NATS and with every event published: the ratio, per round and as a median.
#   bench/nats.sh [seconds-per-run] [rounds]   (needs nats-server, wrk, nginx-light for lib.sh, nats-py)
DURATION=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-64}
NATS_PORT=18422
PLAIN_PORT=18423
PUB_PORT=18424
source "$(dirname "$0")/lib.sh"
swift build -c release --product nats-bench >/dev/null
NATS_BENCH=$(swift build -c release --show-bin-path)/nats-bench

mkdir -p "$WORK/js"
taskset -c 1 nats-server -a 127.0.0.1 -p $NATS_PORT -js -sd "$WORK/js" > "$WORK/nats.log" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT) 2>/dev/null && break; sleep 0.1; done
URL=nats://127.0.0.1:$NATS_PORT

echo "core publishes, 128-byte payloads:"
echo "  tracker's client: $(taskset -c 0 "$NATS_BENCH" "$URL" core 2000000 128)"
echo "  nats-py:          $(taskset -c 0 python3 bench/nats_py_bench.py "$URL" 2000000 128)"
echo "JetStream acknowledged publishes (file storage, 64 in flight):"
echo "  tracker's client: $(taskset -c 0 "$NATS_BENCH" "$URL" jetstream 20000 128 64)"

cat > "$WORK/with.json" <<JSON
{"DataDirectory": "$WORK/with", "Listen": "127.0.0.1:$PUB_PORT", "NATS": {"Servers": ["$URL"], "Consume": false}}
JSON
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --listen 127.0.0.1:$PLAIN_PORT --data "$WORK/without" 2> "$WORK/without.log" & PIDS+=($!)
WITHOUT_PID=${PIDS[-1]}
NIO_SINGLETON_GROUP_LOOP_COUNT=1 taskset -c 0 "$BIN" serve --config "$WORK/with.json" 2> "$WORK/with.log" & PIDS+=($!)
WITH_PID=${PIDS[-1]}
wait_for "http://127.0.0.1:$PLAIN_PORT/ping" "http://127.0.0.1:$PUB_PORT/ping"
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
# rate PID URL -> "events/s cpu-µs-per-event" (the tracker's own CPU: nats-server shares CPU 1 with
# wrk, so the rate alone also counts the broker's work against the tracker)
rate() {
  local pid=$1 url=$2 c0 c1 out n
  taskset -c 1 wrk -t1 -c"$CONNS" -d2s -s bench/post.lua "$url" >/dev/null
  c0=$(cpu "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" -s bench/post.lua "$url")
  c1=$(cpu "$pid")
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$(echo "$out" | awk '/Requests\/sec/ {print int($2)}') $(( (c1 - c0) * 10000000 / n / 1000 ))"
}
echo "tracking hot path, POST /tr/v1/:"
printf '%-5s %10s %7s | %10s %7s | %10s %9s\n' round without cpu-us with-nats cpu-us rate-ratio cpu-ratio
for round in $(seq "$ROUNDS"); do
  read -r without wcpu < <(rate "$WITHOUT_PID" "http://127.0.0.1:$PLAIN_PORT/tr/v1/")
  read -r with ncpu < <(rate "$WITH_PID" "http://127.0.0.1:$PUB_PORT/tr/v1/")
  ratio=$(printf '%.3f' "$(echo "$with / $without" | bc -l)")
  cpuratio=$(printf '%.3f' "$(echo "$wcpu / $ncpu" | bc -l)")
  echo "$ratio $cpuratio" >> "$WORK/ratios"
  printf '%-5s %10s %7s | %10s %7s | %10s %9s\n' "$round" "$without" "$wcpu" "$with" "$ncpu" "$ratio" "$cpuratio"
done
echo "median rate with/without: $(awk '{print $1}' "$WORK/ratios" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "median tracker CPU per event without/with (the rate one tracker core sustains): $(awk '{print $2}' "$WORK/ratios" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "published by the tracker: $(curl -s "http://127.0.0.1:$PUB_PORT/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["nats"])')"

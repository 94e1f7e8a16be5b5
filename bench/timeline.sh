#!/usr/bin/env bash
# Who holds the core, inside and outside the write-ahead log's fsyncs: the scheduler's switches
# on CPU 0 (perf, half a second of a wrk run) summed per thread, split by whether an fsync of the
# log was under way, with the time nothing ran (idle). threads.sh says how much CPU each thread
# uses; this says when, which is what decides the rate: with 64 connections on one core the
# request thread takes the whole burst, the commit thread then commits it, and every answer
# waits for the fsync, so only work done during the fsync (the rollups, cleanup) is free, and
# only the idle share is left to win without saving CPU (docs/storage.md). Also the fsyncs
# themselves: how many, how long, and how many also wrote the log's inode (its time changed
# since the last one; ext4 without a journal writes it then). Needs root and perf.
#
#   bench/timeline.sh GET|POST|BROWSER [BIN...]     (no BIN: this tree's release build)
KIND=${1:-POST}
shift $(( $# < 1 ? $# : 1 ))
BINS=("$@")
source "$(dirname "$0")/lib.sh"
need_perf
PORT=18085
request_target "$KIND" "$PORT"
EVENTS=(-e sched:sched_switch -e ext4:ext4_sync_file_enter -e ext4:ext4_sync_file_exit -e ext4:ext4_mark_inode_dirty)

for bin in "${BINS[@]}"; do
  start_tracker "$bin" "$PORT"
  taskset -c 1 wrk -t1 -c64 -d2s "${ARGS[@]}" "$URL" > /dev/null
  taskset -c 1 wrk -t1 -c64 -d4s "${ARGS[@]}" "$URL" > "$WORK/wrk" &
  load=$!
  sleep 2
  perf record "${EVENTS[@]}" -C 0 -o "$WORK/timeline.data" -- sleep 0.5 > /dev/null 2> "$WORK/perf.err" \
    || { cat "$WORK/perf.err" >&2; exit 1; }
  wait "$load"
  echo "$(basename "$bin"): $(awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk") req/s (perf's tracing slows it)"
  perf script -i "$WORK/timeline.data" -F tid,time,event,trace 2> /dev/null | python3 -c '
import re, statistics, sys
spent = {}           # (thread, in fsync) -> microseconds
running, since = None, None
syncing, sync_start, dirty = False, 0.0, set()
clean, dirtied = [], []
first = last = None
def charge(until):
    if running is not None and since is not None:
        spent[(running, syncing)] = spent.get((running, syncing), 0) + until - since
for line in sys.stdin:
    m = re.match(r"\s*\d+\s+([\d.]+):\s+(\S+):\s*(.*)", line)
    if not m:
        continue
    t, event, rest = float(m.group(1)) * 1e6, m.group(2), m.group(3)
    first = t if first is None else first
    last = t
    inode = re.search(r"ino (\d+)", rest)
    if event == "ext4:ext4_mark_inode_dirty":
        dirty.add(inode.group(1))
    elif event == "ext4:ext4_sync_file_enter":
        charge(t); since = t
        syncing, sync_start = True, t
    elif event == "ext4:ext4_sync_file_exit" and syncing:
        charge(t); since = t
        syncing = False
        (dirtied if inode.group(1) in dirty else clean).append(t - sync_start)
        dirty.discard(inode.group(1))
    elif event == "sched:sched_switch":
        charge(t); since = t
        n = re.search(r"next_comm=(.*?) next_pid=\d+ next_prio=(\d+)", rest)
        name = n.group(1)
        running = "idle" if name.startswith("swapper") else "%s/n%d" % (name, int(n.group(2)) - 120)
span = (last - first) or 1
syncs = len(clean) + len(dirtied)
print("  %d fsyncs (%d a second), median %s us; %d also wrote the inode (median %s us, the others %s us)" % (
    syncs, syncs * 1e6 / span, round(statistics.median(clean + dirtied)) if syncs else "-", len(dirtied),
    round(statistics.median(dirtied)) if dirtied else "-", round(statistics.median(clean)) if clean else "-"))
print("  %-28s %9s %9s" % ("share of the core", "outside", "in fsync"))
threads = sorted({k[0] for k in spent}, key=lambda n: -(spent.get((n, False), 0) + spent.get((n, True), 0)))
for name in threads:
    out, inside = spent.get((name, False), 0) / span * 100, spent.get((name, True), 0) / span * 100
    if out + inside >= 0.2:
        print("  %-28s %8.1f%% %8.1f%%" % (name, out, inside))
'
  kill "$TRACKER_PID"; wait "$TRACKER_PID" 2>/dev/null || true
  rm -rf "$WORK/data-$PORT"
done

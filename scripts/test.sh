#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (Debian, as root), starts the
# services they use (PostgreSQL) on throw-away data, and stops them afterwards. Tests of a service
# that is not running skip with a message naming it; run as root, this script makes sure none is.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libsqlite3-dev zlib1g-dev sqlite3 curl gzip postgresql-15; do
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

SERVICES=$(mktemp -d)
PIDS=()
stop_services() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  rm -rf "$SERVICES"
}
trap stop_services EXIT

# PostgreSQL refuses to run as root: its data belongs to the postgres user.
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=${TRACKER_TEST_POSTGRES_PORT:-55432}
if [ -z "${TRACKER_TEST_POSTGRES_URL:-}" ] && [ -x "$PGBIN/postgres" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
  mkdir -p "$SERVICES/pg" "$SERVICES/pgsock"
  chown postgres:postgres "$SERVICES/pg" "$SERVICES/pgsock"
  chmod 755 "$SERVICES"
  chmod 700 "$SERVICES/pg"
  runuser -u postgres -- "$PGBIN/initdb" -D "$SERVICES/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$SERVICES/initdb.log"
  setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$SERVICES/pg" \
    -c listen_addresses=127.0.0.1 -p "$PGPORT" -k "$SERVICES/pgsock" -c fsync=off -c max_connections=300 >"$SERVICES/pg.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
  if pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then
    export TRACKER_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
  else
    echo "PostgreSQL did not start:" >&2
    cat "$SERVICES/pg.log" >&2
    exit 1
  fi
fi

swift build --build-tests
swift test --skip-build "$@"

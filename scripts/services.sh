# Starting the servers tests and benchmarks use, on throw-away data under $SERVICES; every
# process started is in PIDS and stopped by stop_services (set as the EXIT trap).
SERVICES=$(mktemp -d)
PIDS=()
# SIGINT first (PostgreSQL's fast shutdown); what ignores it (chDB's engine takes SIGINT for itself)
# gets SIGTERM, then SIGKILL.
stop_services() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$SERVICES"
}
trap stop_services EXIT

# start_postgres PORT [postgres -c settings...]: PostgreSQL 15 as the postgres user (it refuses
# root); returns 1 when it is not installed or not root.
PGBIN=/usr/lib/postgresql/15/bin
start_postgres() {
  local port=$1; shift
  [ -x "$PGBIN/postgres" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 || return 1
  mkdir -p "$SERVICES/pg" "$SERVICES/pgsock"
  chown postgres:postgres "$SERVICES/pg" "$SERVICES/pgsock"
  chmod 755 "$SERVICES"
  chmod 700 "$SERVICES/pg"
  runuser -u postgres -- "$PGBIN/initdb" -D "$SERVICES/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$SERVICES/initdb.log"
  setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$SERVICES/pg" \
    -c listen_addresses=127.0.0.1 -p "$port" -k "$SERVICES/pgsock" "$@" >"$SERVICES/pg.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$port" && return 0; sleep 0.1; done
  echo "PostgreSQL did not start:" >&2
  cat "$SERVICES/pg.log" >&2
  exit 1
}

# ClickHouse: Debian's 18.16 (the one installable here). start_clickhouse DIR HTTP_PORT TCP_PORT;
# every server knows the cluster `tracker_test` of the two at CHPORT+1 and CHPORT+3.
# CH_COMPRESSION=zstd makes the server compress parts of 10 MB and more (merged ones: inserts
# stay fast with lz4) with zstd.
CHPORT=${CHPORT:-18123}
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
  ${CH_COMPRESSION:+<compression><case><min_part_size>10485760</min_part_size><method>$CH_COMPRESSION</method></case></compression>}
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

# start_chdb DIR PORT: a current ClickHouse engine (chDB, PyPI `chdb-core`) behind ClickHouse's
# HTTP interface (Tests/TrackerClickHouseTests/chdb_http.py); returns 1 when chDB is missing.
start_chdb() {
  python3 -c "import chdb" 2>/dev/null || return 1
  mkdir -p "$1"
  python3 "$(dirname "${BASH_SOURCE[0]}")/../Tests/TrackerClickHouseTests/chdb_http.py" "$1/db" "$2" >"$1/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$2/ping" >/dev/null && return 0; sleep 0.1; done
  echo "chDB did not start:" >&2
  cat "$1/log" >&2
  return 1
}

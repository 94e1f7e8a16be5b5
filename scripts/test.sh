#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (Debian, as root), starts the
# services they use, and stops them afterwards. Tests of a service that is not running skip with a
# message naming it; this script makes sure none is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libsqlite3-dev sqlite3 curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "missing packages: ${need[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
fi

swift build --build-tests
swift test --skip-build "$@"

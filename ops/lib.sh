# Shared helpers for ops/ scripts. Source it; do not run it.
set -euo pipefail

OPS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$OPS_DIR/.." && pwd)"
export PATH="$PATH:/opt/swift/usr/bin"

log() { printf '\033[1m[ops]\033[0m %s\n' "$*" >&2; }

# Installs the Debian packages that are missing (apt-get update once, only if needed).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_toolchain() {
  command -v swift >/dev/null || { echo "swift not found: install the Swift 6.3 toolchain (expected at /opt/swift)" >&2; exit 1; }
}

# Starts a throwaway PostgreSQL on 127.0.0.1 (and a socket in its folder) as a non-root user.
# Sets PG_DIR, PG_PORT and exports PRESIDIO_TEST_PG. Call pg_stop (e.g. from a trap) afterwards.
pg_start() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  PG_BIN="$bin"
  PG_DIR="$(mktemp -d /tmp/presidio-pg.XXXXXX)"
  PG_PORT="${PRESIDIO_PG_PORT:-$(( 20000 + RANDOM % 20000 ))}"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    chown postgres "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  PG_AS=("${as[@]}")
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" --username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR -c max_connections=100 -c fsync=on" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; exit 1; }
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres presidio_test
  export PRESIDIO_TEST_PG="postgres://postgres@127.0.0.1:$PG_PORT/presidio_test"
  export PRESIDIO_TEST_PG_DIR="$PG_DIR" PRESIDIO_TEST_PG_BIN="$bin"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)"
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

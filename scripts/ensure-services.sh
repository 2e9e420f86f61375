#!/usr/bin/env bash
# Makes sure the services the cluster-mode tests use are up on this machine, so no test skips:
#   PostgreSQL on 127.0.0.1:5432, trust authentication for local TCP, database `test`;
#   Redis on 127.0.0.1:6379.
# Starts them when installed but stopped, installs Debian's packages when missing (as
# install-chromium.sh does for Chromium). Idempotent and quiet when both already answer.
# Only for development/test machines: it opens PostgreSQL to passwordless local connections.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=${ARENA_PG_PORT:-5432}
REDIS_PORT=${ARENA_REDIS_PORT:-6379}

SUDO=""
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "ensure-services: need root (or sudo) to $1" >&2
      exit 1
    fi
  fi
}

apt_install() {
  need_root "apt-get install $*"
  echo "ensure-services: installing $* with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Another process may hold the dpkg lock; apt-get waits for it with this option.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

as_postgres() { $SUDO runuser -u postgres -- "$@"; }

pg_answers() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test -Atqc 'SELECT 1' >/dev/null 2>&1; }

wait_for() { # seconds, command...
  local n=$1
  shift
  for _ in $(seq "$n"); do
    "$@" && return 0
    sleep 1
  done
  return 1
}

ensure_postgres() {
  pg_answers && return 0
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-client
  fi
  need_root "start and configure PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; then
    echo "ensure-services: starting PostgreSQL $version" >&2
    # --skip-systemctl-redirect: containers and CI machines often run without systemd.
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for 30 pg_isready -h "$PG_HOST" -p "$PG_PORT" -q || {
      echo "ensure-services: PostgreSQL did not start on $PG_HOST:$PG_PORT" >&2
      exit 1
    }
  fi
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! $SUDO grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    echo "ensure-services: trust authentication for 127.0.0.1 in $hba (test machine)" >&2
    # First matching line wins, so the trust lines go on top.
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  if ! as_postgres psql -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
    echo "ensure-services: creating database test" >&2
    as_postgres createdb test
  fi
  wait_for 10 pg_answers || {
    echo "ensure-services: PostgreSQL runs but postgres@$PG_HOST:$PG_PORT/test does not answer" >&2
    exit 1
  }
}

redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

ensure_redis() {
  command -v redis-cli >/dev/null 2>&1 && redis_answers && return 0
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "ensure-services: starting Redis on 127.0.0.1:$REDIS_PORT" >&2
  # No persistence: the tests' keys are short-lived presence entries.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  wait_for 15 redis_answers || {
    echo "ensure-services: Redis did not start on 127.0.0.1:$REDIS_PORT" >&2
    exit 1
  }
}

ensure_postgres
ensure_redis

#!/usr/bin/env bash
# Starts or stops the test services on 127.0.0.1 spare ports, in a temporary folder:
#   PostgreSQL 15, Redis 7 and moto's S3-compatible server.
# `start` writes their addresses as shell exports to .build/services.env; `stop` ends them and removes the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/services.env

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start() {
  [ -f "$state" ] && stop
  mkdir -p .build
  dir=$(mktemp -d /tmp/depot-services.XXXXXX)
  chmod 755 "$dir"
  pg_port=$(free_port); redis_port=$(free_port); s3_port=$(free_port)
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

  # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
  as_pg=(); [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
  mkdir -p "$dir/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg"
  (cd /tmp && "${as_pg[@]}" "$pg_bin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 >/dev/null)
  (cd /tmp && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg" -l "$dir/pg/log" -w -o "-h 127.0.0.1 -p $pg_port -k $dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null)

  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log"

  nohup moto_server -H 127.0.0.1 -p "$s3_port" >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"

  redis_up() { redis-cli -p "$redis_port" ping >/dev/null 2>&1; }
  s3_up() { curl -fs "http://127.0.0.1:$s3_port/" >/dev/null 2>&1; }
  for _ in $(seq 1 150); do
    redis_up && s3_up && break
    sleep 0.1
  done

  cat >"$state" <<ENV
export DEPOT_SERVICES_DIR='$dir'
export DEPOT_PG_BIN='$pg_bin'
export DEPOT_TEST_PG='host=127.0.0.1 port=$pg_port user=postgres dbname=postgres'
export DEPOT_TEST_PG_PORT='$pg_port'
export DEPOT_TEST_REDIS='redis://127.0.0.1:$redis_port/0'
export DEPOT_TEST_REDIS_PORT='$redis_port'
export DEPOT_TEST_S3='http://127.0.0.1:$s3_port'
ENV
  # A service that did not come up is an error, not a silent skip.
  if ! redis_up; then echo "error: redis did not start (see $dir/redis.log)" >&2; stop; exit 1; fi
  if ! s3_up; then echo "error: moto_server did not start (see $dir/moto.log)" >&2; cat "$dir/moto.log" >&2; stop; exit 1; fi
  echo "services: postgres :$pg_port, redis :$redis_port, s3 (moto) :$s3_port"
}

stop() {
  [ -f "$state" ] || return 0
  # shellcheck disable=SC1090
  . "$state"
  as_pg=(); [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
  (cd /tmp && "${as_pg[@]}" "$DEPOT_PG_BIN/pg_ctl" -D "$DEPOT_SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1) || true
  redis-cli -p "$DEPOT_TEST_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  [ -f "$DEPOT_SERVICES_DIR/moto.pid" ] && kill "$(cat "$DEPOT_SERVICES_DIR/moto.pid")" 2>/dev/null || true
  rm -rf "$DEPOT_SERVICES_DIR" "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

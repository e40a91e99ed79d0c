#!/usr/bin/env bash
# Client conformance: third-party Directus clients from PyPI, driven through their public APIs against a real depot
# on SQLite and on PostgreSQL, and requests encoded the way Python's `requests` and browsers' URLSearchParams encode
# them (Tests/Clients/). One PASS/FAIL line per scenario, then "clients: N passed, N failed"; exits 1 on any failure.
#   scripts/clients.sh [CLIENT…]     clients: directus-py-sdk directus-sdk-py py-directus requests (default: all)
# Each client has its own virtual environment in .build/clients/<client>, installed from
# Tests/Clients/requirements/<client>.txt (exact pins) and kept until that file changes. The depot binary is
# DEPOT_BIN (default .build/debug/depot, which scripts/test.sh builds). PostgreSQL is DEPOT_TEST_PG from
# .build/services.env (scripts/services.sh; started here and stopped afterwards when it is not running); each run
# gets a fresh database. DEPOT_CLIENTS_DIALECTS=sqlite|pg limits the dialects. Only 127.0.0.1 is contacted (PyPI
# when a virtual environment is (re)made); every server is killed on exit and every scenario file is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
root=$PWD
bin=${DEPOT_BIN:-$root/.build/debug/depot}
clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(directus-py-sdk directus-sdk-py py-directus requests)
dialects=(${DEPOT_CLIENTS_DIALECTS:-sqlite pg})
[ -x "$bin" ] || { echo "clients: no depot binary at $bin (swift build, or set DEPOT_BIN)" >&2; exit 1; }
started_at=$SECONDS

work=$(mktemp -d /tmp/depot-clients.XXXXXX); chmod 755 "$work"
pids=(); databases=(); own_services=
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for db in "${databases[@]}"; do
    psql "$DEPOT_TEST_PG" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  [ -n "$own_services" ] && scripts/services.sh stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- virtual environments: one per client (directus-sdk-py's wheel carries its own directus_py_sdk package) ----
venv() {   # $1 client → prints the venv's python, (re)making the venv when its requirements changed
  local client=$1 dir=.build/clients/$1 requirements=Tests/Clients/requirements/$1.txt
  local stamp; stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ "$(cat "$dir/.requirements" 2>/dev/null)" != "$stamp" ]; then
    echo "clients: installing $client into $dir" >&2
    rm -rf "$dir"
    python3 -m venv "$dir" >&2 || return 1
    timeout 600 "$dir/bin/pip" install --quiet --disable-pip-version-check --timeout 60 -r "$requirements" >&2 \
      || { rm -rf "$dir"; return 1; }
    echo "$stamp" >"$dir/.requirements"
  fi
  echo "$dir/bin/python"
}
declare -A python
for client in "${clients[@]}"; do
  [ -f "Tests/Clients/requirements/$client.txt" ] || { echo "clients: unknown client $client" >&2; exit 2; }
  python[$client]=$(venv "$client") || { echo "clients: could not install $client" >&2; exit 1; }
done

# ---- depot, one per dialect -----------------------------------------------------------------------------------------
start_depot() {   # $1 dialect → sets $url; the server runs in its own folder with the given database
  local dialect=$1 dir=$work/$1 db_env=()
  mkdir -p "$dir"
  case $dialect in
    sqlite) db_env=(DB_CLIENT=sqlite3 DB_FILENAME="$dir/depot.db") ;;
    pg)
      if [ -z "${DEPOT_TEST_PG:-}" ]; then
        # shellcheck disable=SC1091
        if [ -f .build/services.env ]; then . .build/services.env; else scripts/services.sh start >&2; own_services=1; . .build/services.env; fi
      fi
      local db=depot_clients_$$_$RANDOM
      psql "$DEPOT_TEST_PG" -q -c "CREATE DATABASE $db" >/dev/null
      databases+=("$db")
      db_env=(DB_CLIENT=pg DB_CONNECTION_STRING="${DEPOT_TEST_PG/dbname=postgres/dbname=$db}") ;;
  esac
  (cd "$dir" && exec env HOST=127.0.0.1 PORT=0 ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=admin-password \
    ADMIN_TOKEN=admin-token SECRET=clients-secret KEY=clients-key HASH_MEMORY_COST=1024 HASH_TIME_COST=1 \
    HASH_PARALLELISM=1 LOGIN_STALL_TIME=50 STORAGE_LOCAL_ROOT="$dir/uploads" WEBSOCKETS_ENABLED=true \
    "${db_env[@]}" "$bin" serve >"$dir/depot.log" 2>&1) &
  pids+=($!)
  local port=
  for _ in $(seq 1 600); do
    port=$(grep -m1 "listening on" "$dir/depot.log" 2>/dev/null | grep -o '127\.0\.0\.1:[0-9]*' | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then echo "clients: depot ($dialect) did not start:" >&2; cat "$dir/depot.log" >&2; exit 1; fi
  url=http://127.0.0.1:$port
}

passed=0; failed=0
for dialect in "${dialects[@]}"; do
  start_depot "$dialect"
  for client in "${clients[@]}"; do
    home=$work/$dialect/home-$client; mkdir -p "$home"
    out=$work/$dialect/$client.out
    status=0
    # HOME: py-directus saves downloads under ~/Downloads. PYTHONWARNINGS: pydantic's warnings about py-directus's
    # own models are noise in the report.
    PYTHONWARNINGS=ignore HOME=$home DEPOT_URL=$url DEPOT_DIALECT=$dialect DEPOT_CLIENT=$client DEPOT_FIXTURES=$root/Fixtures \
      DEPOT_ADMIN_EMAIL=admin@example.com DEPOT_ADMIN_PASSWORD=admin-password DEPOT_ADMIN_TOKEN=admin-token \
      timeout 300 "${python[$client]}" "Tests/Clients/${client//-/_}_scenarios.py" >"$out" 2>&1 || status=$?
    cat "$out"
    passed=$((passed + $(grep -c '^PASS ' "$out" || true)))
    failed=$((failed + $(grep -c '^FAIL ' "$out" || true)))
    if [ "$status" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
      echo "FAIL $dialect $client (the scenario file exited $status without a verdict; see above)"
      failed=$((failed + 1))
    fi
  done
  # The server's own errors and 5xx answers, which a scenario may not show.
  if grep -qE 'Z +(ERROR|CRITICAL|FATAL) | status=5[0-9][0-9]' "$work/$dialect/depot.log"; then
    echo "depot log ($dialect), errors and 5xx (last 20):"
    grep -E 'Z +(ERROR|CRITICAL|FATAL) | status=5[0-9][0-9]' "$work/$dialect/depot.log" | tail -20
  fi
done
echo "clients stage: $((SECONDS - started_at)) s"
echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

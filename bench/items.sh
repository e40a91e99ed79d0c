#!/usr/bin/env bash
# Items query path: 100,000 `articles` with an m2o `author` (1,000 authors), read with
#   GET /items/articles?fields=id,title,author.name&filter[status][_eq]=published&sort=-published_on&limit=25
# by wrk at 16 connections, against pgbench running the equivalent SQL directly on the same PostgreSQL at the
# same concurrency, in one run (goal: depot >= 0.4x pgbench). Then the same request on depot over SQLite.
# Both databases get the index a user would add for this query: (status, published_on).
# The permissions layer: the same request as a non-admin user whose role reads articles through an item filter
# (published_on <= $NOW) and a field list, against the admin in the same run (goal: role >= 0.8x admin).
# Run by hand: bench/items.sh [seconds per run]. Uses the project's PostgreSQL (scripts/services.sh) and wrk,
# pgbench and sqlite3 from Debian; only 127.0.0.1 is contacted; every run is bounded by its duration.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
command -v sqlite3 >/dev/null || apt-get install -y -q sqlite3 >/dev/null
[ -f .build/services.env ] || scripts/services.sh start >/dev/null
. .build/services.env
swift build -c release --product depot >/dev/null
bin=$PWD/.build/release/depot
dir=$(mktemp -d); chmod 755 "$dir"
db=depot_bench_$$
pg_admin="$DEPOT_TEST_PG"; pg_bench="${DEPOT_TEST_PG/dbname=postgres/dbname=$db}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5; psql "$pg_admin" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
wait_for() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; return 1; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
path='/items/articles?fields=id,title,author.name&filter%5Bstatus%5D%5B_eq%5D=published&sort=-published_on&limit=25'

start_depot() {   # $1 name, then environment assignments; sets $port (no subshell, so cleanup knows the pid)
  local name=$1; shift
  port=$(free_port)
  (cd "$dir" && exec env HOST=127.0.0.1 PORT="$port" ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password \
    ADMIN_TOKEN=bench-token LOG_LEVEL=warn STORAGE_LOCAL_ROOT="$dir/uploads" "$@" "$bin" serve >"$dir/$name.log" 2>&1) &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/server/ping" || { cat "$dir/$name.log"; exit 1; }
}

make_schema() {   # $1 port: the collections through the API, as a user would
  local api="http://127.0.0.1:$1" auth=(-H "Authorization: Bearer bench-token" -H "Content-Type: application/json")
  curl -sf "${auth[@]}" -X POST "$api/collections" -d '{"collection":"authors","fields":[{"field":"name","type":"string"}]}' >/dev/null
  curl -sf "${auth[@]}" -X POST "$api/collections" -d '{"collection":"articles","fields":[{"field":"title","type":"string"},
    {"field":"status","type":"string"},{"field":"published_on","type":"date"},
    {"field":"author","type":"integer","schema":{"foreign_key_table":"authors"}}]}' >/dev/null
}

login() {   # $1 port [$2 email $3 password] → a JWT access token (Directus clients' usual credential)
  curl -sf -X POST "http://127.0.0.1:$1/auth/login" -H "Content-Type: application/json" \
    -d "{\"email\":\"${2:-bench@example.com}\",\"password\":\"${3:-bench-password}\"}" \
    | python3 -c "import sys,json; print(json.load(sys.stdin)['data']['access_token'])"
}

make_reader() {   # $1 port: a role whose policy reads articles (item filter + field list) and authors' names
  local api="http://127.0.0.1:$1" auth=(-H "Authorization: Bearer bench-token" -H "Content-Type: application/json") id
  id() { python3 -c "import sys,json; print(json.load(sys.stdin)['data']['id'])"; }
  local role policy
  role=$(curl -sf "${auth[@]}" -X POST "$api/roles" -d '{"name":"Readers"}' | id)
  policy=$(curl -sf "${auth[@]}" -X POST "$api/policies" -d '{"name":"Read published articles"}' | id)
  curl -sf "${auth[@]}" -X POST "$api/access" -d "{\"role\":\"$role\",\"policy\":\"$policy\"}" >/dev/null
  curl -sf "${auth[@]}" -X POST "$api/permissions" -d "{\"policy\":\"$policy\",\"collection\":\"articles\",\"action\":\"read\",
    \"permissions\":{\"published_on\":{\"_lte\":\"\$NOW\"}},\"fields\":[\"id\",\"title\",\"status\",\"published_on\",\"author\"]}" >/dev/null
  curl -sf "${auth[@]}" -X POST "$api/permissions" -d "{\"policy\":\"$policy\",\"collection\":\"authors\",\"action\":\"read\",\"fields\":[\"id\",\"name\"]}" >/dev/null
  curl -sf "${auth[@]}" -X POST "$api/users" -d "{\"email\":\"reader@example.com\",\"password\":\"reader-password\",\"role\":\"$role\"}" >/dev/null
}

compare_reader() {   # $1 port, $2 admin req/s: the same request as the reader
  make_reader "$1"
  local token; token=$(login "$1" reader@example.com reader-password)
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$1$path" | python3 -c \
    "import sys,json; d=json.load(sys.stdin)['data']; print(f'  the reader gets {len(d)} items, first: {d[0]}')"
  local reader; reader=$(run_wrk "$1" "$token")
  echo "   reader (item filter + field list): $reader req/s — ratio to admin $(ratio "$reader" "$2") (goal >= 0.8)"
}

run_wrk() {   # $1 port, $2 bearer token → requests/s; also prints latency
  local out; out=$(wrk -t2 -c16 -d"${duration}s" --latency -H "Authorization: Bearer $2" "http://127.0.0.1:$1$path")
  echo "$out" | grep -E "Latency|50%|99%|Non-2xx" >&2
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}

seed_sql="
INSERT INTO authors (name) SELECT 'Author ' || g FROM generate_series(1, 1000) g;
INSERT INTO articles (title, status, published_on, author)
  SELECT 'Article ' || g, CASE WHEN g % 3 = 0 THEN 'draft' ELSE 'published' END,
         DATE '2020-01-01' + (g % 2000), 1 + g % 1000 FROM generate_series(1, 100000) g;
CREATE INDEX articles_status_published_on ON articles (status, published_on);"

echo "== PostgreSQL: 100,000 articles, 1,000 authors"
psql "$pg_admin" -q -c "CREATE DATABASE $db" >/dev/null
start_depot pg DB_CLIENT=pg DB_CONNECTION_STRING="$pg_bench" DB_POOL_MAX=16; pg_port=$port
make_schema "$pg_port"
psql "$pg_bench" -q -c "$seed_sql" -c "ANALYZE" >/dev/null
curl -sf -H "Authorization: Bearer bench-token" "http://127.0.0.1:$pg_port$path" | python3 -c \
  "import sys,json; d=json.load(sys.stdin)['data']; print(f'  depot answers {len(d)} items, first: {d[0]}')"

cat >"$dir/query.sql" <<'SQL'
SELECT a.id, a.title, au.id AS author_id, au.name FROM articles a LEFT JOIN authors au ON au.id = a.author
WHERE a.status = 'published' ORDER BY a.published_on DESC LIMIT 25;
SQL
echo "-- pgbench, 16 clients, extended protocol (parameters bound, as depot's libpq calls)"
pgbench_tps=$(pgbench -n -c 16 -j 2 -T "$duration" -M extended -f "$dir/query.sql" "$pg_bench" 2>/dev/null \
  | awk '/tps = / {print $3; exit}')
echo "   pgbench: $pgbench_tps tps"
echo "-- depot on PostgreSQL, wrk 16 connections, JWT access token"
depot_pg=$(run_wrk "$pg_port" "$(login "$pg_port")")
echo "   depot: $depot_pg req/s — ratio to pgbench $(ratio "$depot_pg" "$pgbench_tps") (goal >= 0.4)"
echo "-- the same with the static token (ADMIN_TOKEN: user, roles and policies read on every request)"
depot_pg_static=$(run_wrk "$pg_port" bench-token)
echo "   depot: $depot_pg_static req/s — ratio to pgbench $(ratio "$depot_pg_static" "$pgbench_tps")"
echo "-- a reader role, JWT: the permission layer's cost"
compare_reader "$pg_port" "$depot_pg"

echo "== SQLite: the same data"
start_depot sqlite DB_CLIENT=sqlite3 DB_FILENAME="$dir/bench.db"; sqlite_port=$port
make_schema "$sqlite_port"
sqlite3 "$dir/bench.db" <<SQL
BEGIN;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000)
INSERT INTO authors (name) SELECT 'Author ' || n FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000)
INSERT INTO articles (title, status, published_on, author)
  SELECT 'Article ' || n, CASE WHEN n % 3 = 0 THEN 'draft' ELSE 'published' END,
         date('2020-01-01', '+' || (n % 2000) || ' days'), 1 + n % 1000 FROM g;
CREATE INDEX articles_status_published_on ON articles (status, published_on);
COMMIT;
ANALYZE;
SQL
depot_sqlite=$(run_wrk "$sqlite_port" "$(login "$sqlite_port")")
echo "   depot on SQLite: $depot_sqlite req/s ($(ratio "$depot_sqlite" "$pgbench_tps")x pgbench on PostgreSQL)"
compare_reader "$sqlite_port" "$depot_sqlite"

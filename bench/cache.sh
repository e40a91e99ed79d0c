#!/usr/bin/env bash
# Response cache: (1) cache hits of GET /items/articles?limit=25 served from the memory store and from the Redis
# store, against varnish (Debian) serving the same JSON body from its cache, wrk at 64 connections, one run each
# (goals: memory >= 0.6x varnish, Redis >= 0.4x varnish); (2) a mixed workload — 90 % reads over 50 distinct URLs
# across 5 collections, 10 % writes to one collection — reporting the hit ratio with precise invalidation and with
# flush-all (CACHE_AUTO_PURGE=true); (3) Redis killed 10 s into a 30 s wrk run and restarted 10 s later: errors.
# Run by hand: bench/cache.sh [seconds per run] [rounds of (1)] [hits]. (1) alternates varnish, memory and Redis
# for the given rounds (default 3) and reports medians, as the machine is shared and noisy; "hits" stops after (1).
# Only 127.0.0.1 is contacted; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
only=${3:-}
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
command -v varnishd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q varnish >/dev/null
swift build -c release --product depot >/dev/null
bin=$PWD/.build/release/depot
dir=$(mktemp -d); chmod 755 "$dir"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; return 1; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
rps() { awk '/Requests\/sec/ {print $2}'; }
path='/items/articles?limit=25'

redis_port=$(free_port)
start_redis() { redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >/dev/null 2>&1 & pids+=($!); redis_pid=$!; sleep 0.3; }
start_redis

start_depot() {   # $1 name, then environment; sets $port
  local name=$1; shift
  port=$(free_port); mkdir -p "$dir/$name"
  (cd "$dir/$name" && exec env HOST=127.0.0.1 PORT="$port" ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password \
    ADMIN_TOKEN=bench-token LOG_LEVEL=warn CACHE_ENABLED=true REDIS="redis://127.0.0.1:$redis_port" \
    CACHE_NAMESPACE="bench-$name" REDIS_BUS_NAMESPACE="bench-$name:bus" "$@" "$bin" serve >"$dir/$name.log" 2>&1) &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/server/ping" || { cat "$dir/$name.log"; exit 1; }
}

seed() {   # $1 port: 5 collections of 1,000 items; the public policy reads them all
  local api="http://127.0.0.1:$1" auth=(-H "Authorization: Bearer bench-token" -H "Content-Type: application/json")
  local policy
  policy=$(curl -sf "${auth[@]}" "$api/policies?filter%5Bicon%5D%5B_eq%5D=public&fields=id" | python3 -c "import sys,json; print(json.load(sys.stdin)['data'][0]['id'])")
  for c in articles c2 c3 c4 c5; do
    curl -sf "${auth[@]}" -X POST "$api/collections" -d "{\"collection\":\"$c\",\"fields\":[{\"field\":\"title\",\"type\":\"string\"},{\"field\":\"body\",\"type\":\"text\"},{\"field\":\"rank\",\"type\":\"integer\"}]}" >/dev/null
    python3 -c "import json; print(json.dumps([{'title': f'Item {i}', 'body': 'Lorem ipsum dolor sit amet. ' * 8, 'rank': i} for i in range(1000)]))" \
      | curl -sf "${auth[@]}" -X POST "$api/items/$c?fields=id" --data-binary @- >/dev/null
    curl -sf "${auth[@]}" -X POST "$api/permissions" -d "{\"policy\":\"$policy\",\"collection\":\"$c\",\"action\":\"read\",\"fields\":[\"*\"]}" >/dev/null
  done
}

echo "== 1. cache hits: $path, wrk -c64, ${duration}s each"
start_depot memory CACHE_STORE=memory; memory_port=$port; seed "$port"
start_depot redis CACHE_STORE=redis; redis_store_port=$port; seed "$port"
varnish_port=$(free_port)
varnishd -F -a "127.0.0.1:$varnish_port" -b "127.0.0.1:$memory_port" -s malloc,64m -n "$dir/varnish" >/dev/null 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$varnish_port/server/ping"
for p in $varnish_port $memory_port $redis_store_port; do curl -s -o /dev/null "http://127.0.0.1:$p$path"; curl -s -o /dev/null "http://127.0.0.1:$p$path"; done
echo "X-Cache from memory: $(curl -s -D - -o /dev/null "http://127.0.0.1:$memory_port$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache" {print $2}'), redis: $(curl -s -D - -o /dev/null "http://127.0.0.1:$redis_store_port$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache" {print $2}'), body $(curl -s "http://127.0.0.1:$memory_port$path" | wc -c) bytes"
echo "varnish hits: $(curl -s -D - -o /dev/null "http://127.0.0.1:$varnish_port$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="age" {print "Age " $2}')"
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
# The ceiling of any depot route: /server/ping crosses the same server and middleware with a 4-byte body.
vs=(); ms=(); rs=(); ps=()
for round in $(seq 1 "$rounds"); do
  ps+=("$(wrk -t2 -c64 -d"${duration}s" "http://127.0.0.1:$memory_port/server/ping" | rps)")
  vs+=("$(wrk -t2 -c64 -d"${duration}s" "http://127.0.0.1:$varnish_port$path" | rps)")
  ms+=("$(wrk -t2 -c64 -d"${duration}s" "http://127.0.0.1:$memory_port$path" | rps)")
  rs+=("$(wrk -t2 -c64 -d"${duration}s" "http://127.0.0.1:$redis_store_port$path" | rps)")
  echo "round $round: depot /server/ping ${ps[-1]}, varnish ${vs[-1]}, memory ${ms[-1]} ($(ratio "${ms[-1]}" "${vs[-1]}")x), redis ${rs[-1]} ($(ratio "${rs[-1]}" "${vs[-1]}")x) req/s"
done
v=$(median "${vs[@]}"); m=$(median "${ms[@]}"); r=$(median "${rs[@]}"); p=$(median "${ps[@]}")
echo "medians: depot /server/ping $p req/s ($(ratio "$p" "$v")x); varnish $v req/s; memory store $m req/s ($(ratio "$m" "$v")x); redis store $r req/s ($(ratio "$r" "$v")x)"
[ "$only" = hits ] && exit 0

echo "== 2. mixed workload: 90 % GET over 50 URLs in 5 collections, 10 % PATCH to one, wrk -c16, ${duration}s each"
cat > "$dir/mixed.lua" <<'LUA'
local urls = {}
for _, c in ipairs({"articles", "c2", "c3", "c4", "c5"}) do
  for i = 0, 9 do urls[#urls + 1] = "/items/" .. c .. "?limit=10&offset=" .. (i * 10) end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() hits = 0; reads = 0; writes = 0; math.randomseed(os.time() + math.random(1000)) end
function request()
  if math.random(100) <= 10 then
    writes = writes + 1
    return wrk.format("PATCH", "/items/articles/" .. math.random(1000),
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-token"}, '{"rank":' .. math.random(100000) .. '}')
  end
  reads = reads + 1
  return wrk.format("GET", urls[math.random(#urls)])
end
function response(status, headers, body) if headers["X-Cache"] == "HIT" or headers["x-cache"] == "HIT" then hits = hits + 1 end end
function done(summary, latency, requests)
  local h, r, w = 0, 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); r = r + t:get("reads"); w = w + t:get("writes") end
  io.write(string.format("reads %d, writes %d, hits %d, hit ratio %.3f\n", r, w, h, h / r))
end
LUA
start_depot precise CACHE_STORE=redis; seed "$port"
echo "precise invalidation: $(wrk -t2 -c16 -d"${duration}s" -s "$dir/mixed.lua" "http://127.0.0.1:$port" | grep -E 'hit ratio|Requests/sec' | tr '\n' ' ')"
start_depot flushall CACHE_STORE=redis CACHE_AUTO_PURGE=true; seed "$port"
echo "flush-all (CACHE_AUTO_PURGE): $(wrk -t2 -c16 -d"${duration}s" -s "$dir/mixed.lua" "http://127.0.0.1:$port" | grep -E 'hit ratio|Requests/sec' | tr '\n' ' ')"

echo "== 3. Redis killed at 10 s of a 30 s run (redis store + redis rate limiter), restarted at 20 s"
start_depot outage CACHE_STORE=redis RATE_LIMITER_ENABLED=true RATE_LIMITER_STORE=redis RATE_LIMITER_POINTS=100000000; seed "$port"
( sleep 10; kill -9 "$redis_pid"; sleep 10; redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >/dev/null 2>&1 & echo $! > "$dir/redis2.pid" ) &
out=$(wrk -t2 -c16 -d30s "http://127.0.0.1:$port$path")
pids+=("$(cat "$dir/redis2.pid" 2>/dev/null || true)")
echo "$out" | grep -E "requests in|Requests/sec|Non-2xx|Socket errors" || true
echo "errors: $(echo "$out" | awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}')"
echo "after: X-Cache $(curl -s -D - -o /dev/null "http://127.0.0.1:$port$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache" {print $2}') then $(curl -s -D - -o /dev/null "http://127.0.0.1:$port$path" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache" {print $2}')"

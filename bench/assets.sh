#!/usr/bin/env bash
# GET /assets/:id from depot (release build) against nginx serving the very same files from the same disk:
# a 4.4 MB JPEG and a 20 KB one, at 16 and 64 connections, with wrk, and depot's /server/ping (the ceiling of any
# depot route). Prints req/s, p50/p99, depot/nginx and depot/ping.
# Goals (issue 18): >= 0.8x nginx on the large file; on the small one >= 0.9x ping and >= 0.4x nginx.
# Run by hand: bench/assets.sh [seconds per run]. Installs wrk and nginx from Debian when missing.
# Only 127.0.0.1 is contacted; every run is bounded by its duration.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
command -v nginx >/dev/null || apt-get install -y -q nginx-light >/dev/null
swift build -c release --product depot >/dev/null
bin=$PWD/.build/release/depot
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dir=$(mktemp -d); chmod 755 "$dir"; depot_port=$(free_port); nginx_port=$(free_port)   # nginx workers must read it
cleanup() { kill "$depot_pid" 2>/dev/null || true; nginx -p "$dir" -c "$dir/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

(cd "$dir" && HOST=127.0.0.1 PORT=$depot_port ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password LOG_LEVEL=warn \
  STORAGE_LOCAL_ROOT="$dir/uploads" exec "$bin" serve >"$dir/depot.log" 2>&1) &
depot_pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$depot_port/server/ping" >/dev/null && break; sleep 0.05; done
token=$(curl -sf -X POST "http://127.0.0.1:$depot_port/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"]["access_token"])')
upload() { curl -sf -X POST "http://127.0.0.1:$depot_port/files" -H "Authorization: Bearer $token" -F "file=@$1" \
  | python3 -c 'import sys,json; d=json.load(sys.stdin)["data"]; print(d["id"], d["filename_disk"])'; }
read -r large_id large_disk < <(upload ../shared/bench-images/photo-large.jpg)
read -r small_id small_disk < <(upload Fixtures/thumb-20k.jpg)

cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
error_log $dir/nginx-error.log;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  types { image/jpeg jpg; }
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server { listen 127.0.0.1:$nginx_port; root $dir/uploads; etag on; }
}
CONF
mkdir -p "$dir/tmp"
nginx -p "$dir" -c "$dir/nginx.conf"

run() { # url connections [header] -> "rps p50 p99"
  local out
  out=$(wrk -t2 -c"$2" -d"${duration}s" --latency ${3:+-H "$3"} "$1")
  echo "$out" | awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}
# depot's own ceiling: /server/ping answers from memory through the same middleware, in the same run.
for conns in 16 64; do
  read -r p_rps p_p50 p_p99 < <(run "http://127.0.0.1:$depot_port/server/ping" "$conns")
  eval "ping_$conns=$p_rps"
  printf "ping    %-5s %12s %9s %9s\n" "$conns" "$p_rps" "$p_p50" "$p_p99"
done
printf "%-7s %-5s %12s %9s %9s %12s %9s %9s %7s %7s\n" file conns depot_rps p50 p99 nginx_rps p50 p99 ratio of_ping
for file in large small; do
  id_var=${file}_id; disk_var=${file}_disk
  for conns in 16 64; do
    read -r d_rps d_p50 d_p99 < <(run "http://127.0.0.1:$depot_port/assets/${!id_var}" "$conns" "Authorization: Bearer $token")
    read -r n_rps n_p50 n_p99 < <(run "http://127.0.0.1:$nginx_port/${!disk_var}" "$conns")
    ping_var=ping_$conns
    printf "%-7s %-5s %12s %9s %9s %12s %9s %9s %7.2f %7.2f\n" "$file" "$conns" "$d_rps" "$d_p50" "$d_p99" "$n_rps" "$n_p50" "$n_p99" \
      "$(python3 -c "print($d_rps/$n_rps)")" "$(python3 -c "print($d_rps/${!ping_var})")"
  done
done

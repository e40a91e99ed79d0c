#!/usr/bin/env bash
# Uploads a 1 GB file through POST /files to the local driver and to S3 (the project's moto test server),
# printing throughput and the growth of depot's RSS during each upload. Goal: RSS growth <= 64 MB.
# Run by hand: bench/upload.sh [size in MB]. Starts the test services itself; only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
swift build -c release --product depot >/dev/null
bin=$PWD/.build/release/depot
[ -f .build/services.env ] && . .build/services.env
if [ -z "${DEPOT_TEST_S3:-}" ] || ! curl -s "$DEPOT_TEST_S3" >/dev/null; then scripts/services.sh start >/dev/null; . .build/services.env; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dir=$(mktemp -d); port=$(free_port); bucket="depot-bench-$RANDOM$RANDOM"
cleanup() { kill "$depot_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user bench:bench -X PUT "$DEPOT_TEST_S3/$bucket" >/dev/null
head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$dir/big.bin"

(cd "$dir" && HOST=127.0.0.1 PORT=$port ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password LOG_LEVEL=warn \
  STORAGE_LOCATIONS=local,s3 STORAGE_LOCAL_ROOT="$dir/uploads" STORAGE_S3_DRIVER=s3 STORAGE_S3_KEY=bench STORAGE_S3_SECRET=bench \
  STORAGE_S3_BUCKET=$bucket STORAGE_S3_ENDPOINT=$DEPOT_TEST_S3 STORAGE_S3_FORCE_PATH_STYLE=true exec "$bin" serve >"$dir/depot.log" 2>&1) &
depot_pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/server/ping" >/dev/null && break; sleep 0.05; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"]["access_token"])')
rss_kb() { awk '/VmRSS/ {print $2}' /proc/$depot_pid/status; }

for location in local s3; do
  base=$(rss_kb); peak=$base
  start=$(date +%s.%N)
  curl -sf -X POST "http://127.0.0.1:$port/files" -H "Authorization: Bearer $token" -F storage=$location \
    -F "file=@$dir/big.bin;type=application/octet-stream" -o "$dir/reply.json" &
  curl_pid=$!
  while kill -0 $curl_pid 2>/dev/null; do r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.1; done
  wait $curl_pid
  end=$(date +%s.%N)
  size=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["filesize"])' "$dir/reply.json")
  python3 -c "import sys; s,e,size,b,p=map(float,sys.argv[1:]); print(f'$location: {size/1048576:.0f} MiB in {e-s:.1f} s = {size/1048576/(e-s):.0f} MiB/s; RSS {b/1024:.0f} -> peak {p/1024:.0f} MiB (growth {(p-b)/1024:.0f} MiB)')" \
    "$start" "$end" "$size" "$base" "$peak"
done

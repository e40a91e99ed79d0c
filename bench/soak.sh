#!/usr/bin/env bash
# Soak: DURATION seconds (default 600) of mixed load at CONNECTIONS keep-alive connections (default 64) against one
# depot with the memory response cache on (CACHE_ENABLED=true): filtered item list reads, repeated reads (cache
# hits), item PATCH and POST+DELETE, small file uploads (each deleted again), asset transforms over a bounded set of
# widths (derivatives made once, then stored) and a few new widths — see bench/soak.py. RSS (VmRSS), open fds
# (/proc/PID/fd) and requests/errors per kind are sampled every 5 s. Goals: 0 errors, RSS growth < 10 % between
# 60 s and the end, no fd growth; the summary prints one PASS/FAIL line per goal and the script exits 1 when one
# fails.
# Run by hand: bench/soak.sh [DURATION_SECONDS] [CONNECTIONS]. Builds the release binary, or uses DEPOT_BIN.
# SOAK_LOG_LEVEL sets the server's LOG_LEVEL (default warn); SOAK_KEEP_LOG=/path keeps its log after the run.
# SQLite in a temporary folder; only 127.0.0.1 is contacted; the run is bounded (DURATION + 30 s of request timeout)
# and the server is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
connections=${2:-64}
if [ -n "${DEPOT_BIN:-}" ]; then
  bin=$DEPOT_BIN
else
  swift build -c release --product depot >/dev/null
  bin=$PWD/.build/release/depot
fi
images=../shared/bench-images
dir=$(mktemp -d); chmod 755 "$dir"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
port=$(free_port)
depot_pid=
cleanup() {
  if [ -n "$depot_pid" ]; then kill "$depot_pid" 2>/dev/null || true; sleep 1; kill -9 "$depot_pid" 2>/dev/null || true; fi
  if [ -n "${SOAK_KEEP_LOG:-}" ]; then cp "$dir/depot.log" "$SOAK_KEEP_LOG" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# No subshell left behind: exec makes the depot the process whose pid is sampled and killed.
(cd "$dir" && exec env HOST=127.0.0.1 PORT="$port" ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password \
  ADMIN_TOKEN=bench-token LOG_LEVEL=${SOAK_LOG_LEVEL:-warn} CACHE_ENABLED=true CACHE_STORE=memory STORAGE_LOCAL_ROOT="$dir/uploads" \
  "$bin" serve >"$dir/depot.log" 2>&1) &
depot_pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/server/ping" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/server/ping" >/dev/null || { echo "depot did not start"; cat "$dir/depot.log"; exit 1; }

api="http://127.0.0.1:$port" auth=(-H "Authorization: Bearer bench-token")
json=(-H "Content-Type: application/json")
# soak_items: read with filters and written; soak_cached: only read (its answers stay cached).
for c in soak_items soak_cached; do
  curl -sf "${auth[@]}" "${json[@]}" -X POST "$api/collections" -d "{\"collection\":\"$c\",\"fields\":[{\"field\":\"title\",\"type\":\"string\"},{\"field\":\"body\",\"type\":\"text\"},{\"field\":\"rank\",\"type\":\"integer\"}]}" >/dev/null
  python3 -c "import json; print(json.dumps([{'title': f'Item {i}', 'body': 'Lorem ipsum dolor sit amet. ' * 8, 'rank': i} for i in range(1000)]))" \
    | curl -sf "${auth[@]}" "${json[@]}" -X POST "$api/items/$c?fields=id" --data-binary @- >"$dir/$c.json"
done
upload() { curl -sf "${auth[@]}" -X POST "$api/files" -F "file=@$1" | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"]["id"])'; }
image_ids=()
for f in "$images/photo-medium.jpg" "$images/alpha.png" Fixtures/thumb-20k.jpg; do image_ids+=("$(upload "$f")"); done
python3 - "$dir" "${image_ids[@]}" >"$dir/setup.json" <<'PY'
import json, sys
d = sys.argv[1]
items = [row["id"] for row in json.load(open(f"{d}/soak_items.json"))["data"]]
print(json.dumps({"collection": "soak_items", "cached_collection": "soak_cached", "items": items, "images": sys.argv[2:]}))
PY
echo "depot $("$bin" --version 2>/dev/null || echo "$bin"), pid $depot_pid, port $port; ${duration}s at $connections connections; 1000+1000 items, images: photo-medium.jpg (1680x1050), alpha.png (1920x1440), thumb-20k.jpg"
status=0
SOAK_JSON="${SOAK_JSON:-}" python3 bench/soak.py --port "$port" --token bench-token --pid "$depot_pid" --setup "$dir/setup.json" \
  --duration "$duration" --connections "$connections" ${SOAK_KINDS:+--kinds "$SOAK_KINDS"} || status=$?
echo "uploads folder at the end: $(find "$dir/uploads" -type f | wc -l) files, $(du -sh "$dir/uploads" | cut -f1)"
if grep -qiE "fatal|error" "$dir/depot.log"; then echo "depot log (errors, last 20):"; grep -iE "fatal|error" "$dir/depot.log" | tail -20; fi
exit $status

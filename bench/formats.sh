#!/usr/bin/env bash
# Cold transforms of a 20 MP photo to 1024 px in each output format, to choose the encoders' efforts:
# JPEG (Q80), WebP (Q80, ASSETS_WEBP_EFFORT) and AVIF (Q50, ASSETS_AVIF_EFFORT), one request at a time, each a
# derivative no one asked for yet (width 1024 + n), medians of ROUNDS requests, per AVIF effort given.
# Goal: AVIF <= 3x JPEG. Prints median ms, output bytes and the ratio to JPEG.
# Run by hand: bench/formats.sh [rounds] [avif efforts...] (default: 7 rounds; efforts 2 3 4).
# DEPOT_BIN picks the binary (else the release build). Only 127.0.0.1 is contacted; every run is bounded by ROUNDS.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}; shift || true
efforts=("${@:-2 3 4}"); efforts=(${efforts[*]})
photo=../shared/bench-images/photo-large.jpg
if [ -n "${DEPOT_BIN:-}" ]; then bin=$DEPOT_BIN; else swift build -c release --product depot >/dev/null; bin=$PWD/.build/release/depot; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
dir=$(mktemp -d); depot_pid=
cleanup() { [ -n "$depot_pid" ] && kill "$depot_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

printf "%-12s %10s %10s %9s\n" output median_ms bytes xJPEG
for effort in "${efforts[@]}"; do
  port=$(free_port); rm -rf "$dir/run"; mkdir -p "$dir/run"
  (cd "$dir/run" && HOST=127.0.0.1 PORT=$port ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password ADMIN_TOKEN=bench-token \
    LOG_LEVEL=warn STORAGE_LOCAL_ROOT="$dir/run/uploads" ASSETS_AVIF_EFFORT=$effort exec "$bin" serve >"$dir/run/depot.log" 2>&1) &
  depot_pid=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/server/ping" >/dev/null && break; sleep 0.05; done
  id=$(curl -sf -X POST "http://127.0.0.1:$port/files" -H "Authorization: Bearer bench-token" -F "file=@$photo" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"]["id"])')
  python3 - "$port" "$id" "$rounds" "$effort" <<'PY'
import http.client, statistics, sys, time
port, fid, rounds, effort = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
results = {}
n = 0
for r in range(rounds):                      # formats alternate within each round
    for fmt in ("jpg", "webp", "avif"):
        n += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.monotonic()
        conn.request("GET", f"/assets/{fid}?width={1024 + n}&format={fmt}", headers={"Authorization": "Bearer bench-token"})
        resp = conn.getresponse(); body = resp.read()
        elapsed = (time.monotonic() - start) * 1000
        conn.close()
        if resp.status != 200: sys.exit(f"{fmt}: {resp.status} {body[:200]!r}")
        results.setdefault(fmt, []).append((elapsed, len(body)))
jpeg = statistics.median(t for t, _ in results["jpg"])
for fmt, label in (("jpg", "jpeg"), ("webp", "webp"), ("avif", f"avif e{effort}")):
    times = [t for t, _ in results[fmt]]; size = statistics.median(b for _, b in results[fmt])
    print(f"{label:<12} {statistics.median(times):10.1f} {size:10.0f} {statistics.median(times) / jpeg:9.2f}")
PY
  kill "$depot_pid"; wait "$depot_pid" 2>/dev/null || true; depot_pid=
done

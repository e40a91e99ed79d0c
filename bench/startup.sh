#!/usr/bin/env bash
# Measures the release binary: cold start to a healthy /server/health on the embedded default (first start on an
# empty folder, and a restart), idle RSS after start-up and a few requests, and the binary's size.
# Run by hand: bench/startup.sh [runs]. Only 127.0.0.1 is contacted; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build -c release --product depot >/dev/null
bin=.build/release/depot
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

now_ms() { date +%s%3N; }
wait_healthy() {
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/server/health")" = 200 ] && return 0
    sleep 0.01
  done
  echo "not healthy after 6 s" >&2; return 1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

first=(); restart=(); rss=()
for _ in $(seq 1 "$runs"); do
  dir=$(mktemp -d)
  for phase in first restart; do
    start=$(now_ms)
    (cd "$dir" && HOST=127.0.0.1 PORT=$port ADMIN_PASSWORD=bench-password LOG_LEVEL=warn exec "$OLDPWD/$bin" serve >/dev/null 2>&1) &
    pid=$!
    wait_healthy
    elapsed=$(( $(now_ms) - start ))
    if [ $phase = first ]; then first+=("$elapsed"); else
      restart+=("$elapsed")
      for _ in $(seq 1 20); do curl -s -o /dev/null "http://127.0.0.1:$port/server/health"; done
      sleep 1
      rss+=("$(ps -o rss= -p "$(pgrep -P $pid || echo $pid)" | tail -1)")
    fi
    kill -TERM $pid; wait $pid 2>/dev/null || true
  done
  rm -rf "$dir"
done

size=$(stat -c %s $bin)
stripped=$(strip -o /tmp/depot-stripped $bin && stat -c %s /tmp/depot-stripped)
echo "runs: $runs"
echo "cold start, first run (migrate + bootstrap + argon2 hash) to healthy: median $(printf '%s\n' "${first[@]}" | median) ms  [${first[*]}]"
echo "cold start, restart to healthy:                                       median $(printf '%s\n' "${restart[@]}" | median) ms  [${restart[*]}]"
echo "idle RSS after start-up and 20 health checks:                         median $(printf '%s\n' "${rss[@]}" | median) KiB  [${rss[*]}]"
echo "release binary: $size bytes ($(( size / 1048576 )) MiB), stripped: $stripped bytes ($(( stripped / 1048576 )) MiB)"

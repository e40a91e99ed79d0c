#!/usr/bin/env bash
# Image transforms: depot (release build) against thumbor 7.8 (PyPI, Pillow) on the same 20 MP camera JPEG,
# 400-ish px wide JPEG q80, plus the libvips decode floor measured in the same run.
#   cold        every request a source never seen before (the photo uploaded as distinct files), a different
#               width each; COLD_SOURCES (80) requests at 16 and as many at 64 connections, each on fresh sources.
#               Goals (issue 18): >= 1.2x thumbor, >= 0.85x the floor, no failures.
#   medium      MEDIUM_SOURCES (80) copies of a 1.7 MP photo, each once to 512 px (fit inside), 16 connections.
#               Goal: >= 1.5x thumbor; also against the decode floor of that photo at 1/2, which bounds any server.
#   responsive  8 srcset widths (320…1920) of RESPONSIVE_SOURCES (10) sources, each URL once, 16 connections.
#               Goal: >= 3x thumbor.
#   cached      one stored derivative with wrk: depot vs nginx serving the same file (goal >= 0.4x) and vs
#               thumbor's file result storage (goal >= 5x).
#   peak RSS of depot during the 64-connection cold run (goal <= 300 MB).
# Run by hand: bench/transforms.sh [seconds per wrk run]. Installs wrk, nginx and thumbor (in a venv) when missing.
# Only 127.0.0.1 is contacted; every run is bounded by its URL list or its duration.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
photo=../shared/bench-images/photo-large.jpg
medium=../shared/bench-images/photo-medium.jpg   # 1.7 MP
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
command -v nginx >/dev/null || apt-get install -y -q nginx-light >/dev/null
venv=${THUMBOR_VENV:-/tmp/depot-bench-thumbor}
[ -x "$venv/bin/thumbor" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "thumbor==7.8.0"; }
swift build -c release --product depot >/dev/null
bin=$PWD/.build/release/depot
dir=$(mktemp -d); chmod 755 "$dir"
cc -O2 -o "$dir/decode-floor" bench/decode-floor.c $(pkg-config --cflags --libs vips) -lpthread
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
depot_port=$(free_port); thumbor_port=$(free_port); stored_port=$(free_port); nginx_port=$(free_port)
pids=()
# thumbor's --processes forks workers that outlive their parent: they are stopped by parent id first.
cleanup() { for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done; nginx -p "$dir" -c "$dir/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

(cd "$dir" && HOST=127.0.0.1 PORT=$depot_port ADMIN_EMAIL=bench@example.com ADMIN_PASSWORD=bench-password ADMIN_TOKEN=bench-token \
  LOG_LEVEL=warn STORAGE_LOCAL_ROOT="$dir/uploads" exec "$bin" serve >"$dir/depot.log" 2>&1) &
pids+=($!); depot_pid=$!
wait_for "http://127.0.0.1:$depot_port/server/ping"

cold=${COLD_SOURCES:-80}; responsive=${RESPONSIVE_SOURCES:-10}
sources=$((2 * cold + responsive))
echo "uploading $sources copies of $(basename "$photo") to depot and to thumbor's folder…"
mkdir -p "$dir/thumbor-src" "$dir/thumbor-results"
# One write per line: with PYTHONUNBUFFERED set, print() writes its pieces separately and the parallel uploads’
# lines interleave.
upload_one() {   # $1 index → "index id"
  curl -sf -X POST "http://127.0.0.1:$depot_port/files" -H "Authorization: Bearer bench-token" -F "file=@$photo;filename=p$1.jpg" \
    | python3 -c "import sys,json; sys.stdout.write(f'{$1} {json.load(sys.stdin)[\"data\"][\"id\"]}\\n')"
  cp "$photo" "$dir/thumbor-src/p$1.jpg"
}
export -f upload_one; export depot_port photo dir
seq 1 $sources | xargs -P 4 -I{} bash -c 'upload_one {}' | sort -n | awk '{print $2}' >"$dir/ids"
mapfile -t ids <"$dir/ids"
mediums=${MEDIUM_SOURCES:-80}
upload_medium() {   # $1 index → "index id"
  curl -sf -X POST "http://127.0.0.1:$depot_port/files" -H "Authorization: Bearer bench-token" -F "file=@$medium;filename=m$1.jpg" \
    | python3 -c "import sys,json; sys.stdout.write(f'{$1} {json.load(sys.stdin)[\"data\"][\"id\"]}\\n')"
  cp "$medium" "$dir/thumbor-src/m$1.jpg"
}
export -f upload_medium; export medium
seq 1 "$mediums" | xargs -P 4 -I{} bash -c 'upload_medium {}' | sort -n | awk '{print $2}' >"$dir/medium-ids"
mapfile -t medium_ids <"$dir/medium-ids"

thumbor_conf() {   # $1 result storage
  cat <<CONF
LOADER = 'thumbor.loaders.file_loader'
FILE_LOADER_ROOT_PATH = '$dir/thumbor-src'
STORAGE = 'thumbor.storages.no_storage'
RESULT_STORAGE = '$1'
RESULT_STORAGE_FILE_STORAGE_ROOT_PATH = '$dir/thumbor-results'
ALLOW_UNSAFE_URL = True
QUALITY = 80
CONF
}
thumbor_conf thumbor.result_storages.no_storage >"$dir/thumbor.conf"
thumbor_conf thumbor.result_storages.file_storage >"$dir/thumbor-stored.conf"
"$venv/bin/thumbor" -i 127.0.0.1 -p "$thumbor_port" -c "$dir/thumbor.conf" --processes 2 >"$dir/thumbor.log" 2>&1 & pids+=($!)
"$venv/bin/thumbor" -i 127.0.0.1 -p "$stored_port" -c "$dir/thumbor-stored.conf" --processes 2 >"$dir/thumbor-stored.log" 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$thumbor_port/healthcheck"
wait_for "http://127.0.0.1:$stored_port/healthcheck"

# URL lists: depot and thumbor ask for the same width of the same source.
lists() {   # $1 name, $2 first source (1-based), $3 count, $4 widths…
  local name=$1 first=$2 count=$3; shift 3
  : >"$dir/$name.depot"; : >"$dir/$name.thumbor"
  for n in $(seq 0 $((count - 1))); do
    local s=$((first + n))
    for w in "$@"; do
      [ "$w" = "step" ] && w=$((300 + n))
      echo "/assets/${ids[$((s - 1))]}?width=$w&quality=80" >>"$dir/$name.depot"
      echo "/unsafe/${w}x0/filters:quality(80)/p$s.jpg" >>"$dir/$name.thumbor"
    done
  done
}
lists cold16 1 "$cold" step
lists cold64 $((cold + 1)) "$cold" step
lists responsive $((2 * cold + 1)) "$responsive" 320 480 640 768 1024 1280 1600 1920
: >"$dir/medium.depot"; : >"$dir/medium.thumbor"
for n in $(seq 1 "$mediums"); do
  echo "/assets/${medium_ids[$((n - 1))]}?width=512&height=512&fit=inside&quality=80" >>"$dir/medium.depot"
  echo "/unsafe/fit-in/512x512/filters:quality(80)/m$n.jpg" >>"$dir/medium.thumbor"
done
run() { python3 bench/loadgen.py "$@"; }   # port concurrency list [header…] → rate ok failed median

echo "decode floor (jpegload shrink=8, 2 threads, ${duration}s)…"
floor=$("$dir/decode-floor" "$photo" "$duration" 2)
# The 1.7 MP photo to 512 px opens at 1/2: its entropy decode alone bounds every server's rate.
floor_medium=$("$dir/decode-floor" "$medium" "$duration" 2 2)

echo "cold…"
read -r t16 _ tf16 tm16 < <(run "$thumbor_port" 16 "$dir/cold16.thumbor")
read -r d16 _ df16 dm16 < <(run "$depot_port" 16 "$dir/cold16.depot" "Authorization: Bearer bench-token")
peak=0
( while kill -0 "$depot_pid" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$depot_pid/status"; sleep 0.1; done ) >"$dir/rss" & sampler=$!
read -r d64 _ df64 dm64 < <(run "$depot_port" 64 "$dir/cold64.depot" "Authorization: Bearer bench-token")
kill "$sampler" 2>/dev/null || true
peak=$(sort -n "$dir/rss" | tail -1)
read -r t64 _ tf64 tm64 < <(run "$thumbor_port" 64 "$dir/cold64.thumbor")

echo "cold 1.7 MP → 512 px fit…"
read -r tm _ tmf tmm < <(run "$thumbor_port" 16 "$dir/medium.thumbor")
read -r dmd _ dmf dmm < <(run "$depot_port" 16 "$dir/medium.depot" "Authorization: Bearer bench-token")

echo "responsive widths…"
read -r tr _ trf trm < <(run "$thumbor_port" 16 "$dir/responsive.thumbor")
read -r dr _ drf drm < <(run "$depot_port" 16 "$dir/responsive.depot" "Authorization: Bearer bench-token")

echo "cached derivative (wrk, ${duration}s, 16 connections)…"
cached=$(head -1 "$dir/cold16.depot"); tcached=$(head -1 "$dir/cold16.thumbor")
curl -sf -o /dev/null "http://127.0.0.1:$stored_port$tcached"
derivative=$(cd "$dir/uploads" && ls "${ids[0]}"__*.jpg | head -1)
cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
error_log $dir/nginx-error.log;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; types { image/jpeg jpg; }
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server { listen 127.0.0.1:$nginx_port; root $dir/uploads; etag on; }
}
CONF
mkdir -p "$dir/tmp"; nginx -p "$dir" -c "$dir/nginx.conf"
rps() { wrk -t2 -c16 -d"${duration}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
dc=$(rps -H "Authorization: Bearer bench-token" "http://127.0.0.1:$depot_port$cached")
nc=$(rps "http://127.0.0.1:$nginx_port/$derivative")
tc=$(rps "http://127.0.0.1:$stored_port$tcached")

echo
echo "decode floor (in-process libvips, 2 threads): $floor images/s (20 MP at 1/8), $floor_medium images/s (1.7 MP at 1/2)"
printf '%-34s %10s %10s %8s %s\n' "run" "depot/s" "other/s" "ratio" "(median ms depot/other, failures depot/other)"
printf '%-34s %10s %10s %8s %s\n' "cold 16 conn vs thumbor" "$d16" "$t16" "$(ratio "$d16" "$t16")" "($dm16/$tm16, $df16/$tf16)"
printf '%-34s %10s %10s %8s %s\n' "cold 64 conn vs thumbor" "$d64" "$t64" "$(ratio "$d64" "$t64")" "($dm64/$tm64, $df64/$tf64)"
printf '%-34s %10s %10s %8s\n' "cold 16 conn vs decode floor" "$d16" "$floor" "$(ratio "$d16" "$floor")"
printf '%-34s %10s %10s %8s\n' "cold 64 conn vs decode floor" "$d64" "$floor" "$(ratio "$d64" "$floor")"
printf '%-34s %10s %10s %8s %s\n' "cold 1.7 MP 512 px fit vs thumbor" "$dmd" "$tm" "$(ratio "$dmd" "$tm")" "($dmm/$tmm, $dmf/$tmf)"
printf '%-34s %10s %10s %8s\n' "cold 1.7 MP 512 px vs decode floor" "$dmd" "$floor_medium" "$(ratio "$dmd" "$floor_medium")"
printf '%-34s %10s %10s %8s %s\n' "responsive widths vs thumbor" "$dr" "$tr" "$(ratio "$dr" "$tr")" "($drm/$trm, $drf/$trf)"
printf '%-34s %10s %10s %8s\n' "cached derivative vs nginx" "$dc" "$nc" "$(ratio "$dc" "$nc")"
printf '%-34s %10s %10s %8s\n' "cached derivative vs thumbor store" "$dc" "$tc" "$(ratio "$dc" "$tc")"
echo "depot peak RSS during cold 64: $((peak / 1024)) MB"

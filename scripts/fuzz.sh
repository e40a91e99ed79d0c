#!/usr/bin/env bash
# libFuzzer targets (Fuzz/, entry points in Fuzz/Harness/):
#   scripts/fuzz.sh list                 names of the targets
#   scripts/fuzz.sh TARGET SECONDS       builds (if needed) and fuzzes one target for SECONDS
#   scripts/fuzz.sh all SECONDS          every target, SECONDS each
# Builds with DEPOT_FUZZ=1 and -sanitize=fuzzer into .build-fuzz (debug: overflow checks and @testable import).
# Seeds: Fixtures/fuzz/<target>/ (read only; dictionary Fixtures/fuzz/<target>.dict when present). New corpus
# entries go to a temporary folder, crash inputs to .build-fuzz/crashes/<target>/. Exits non-zero when a target
# crashes, hangs (-timeout, 10 s an input) or runs out of memory; `all` runs every target first.
# A crash input becomes a regression test by copying it into Fixtures/fuzz-crashes/<target>/ (FuzzRegressionTests).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(query transform range multipart sigv4 metadata)
build_path=.build-fuzz
swift_flags=(--build-path "$build_path" -Xswiftc -sanitize=fuzzer)

usage() { echo "usage: $0 list | $0 TARGET SECONDS | $0 all SECONDS   (targets: ${targets[*]})" >&2; exit 2; }

product() {
  case "$1" in
    query) echo FuzzQuery ;; transform) echo FuzzTransform ;; range) echo FuzzRange ;;
    multipart) echo FuzzMultipart ;; sigv4) echo FuzzSigV4 ;; metadata) echo FuzzMetadata ;; *) return 1 ;;
  esac
}

build() {
  local started=$SECONDS log
  mkdir -p "$build_path"
  for target in "$@"; do
    echo "fuzz: building $(product "$target")"
    log="$build_path/build-$target.log"
    if ! DEPOT_FUZZ=1 nice -n 15 swift build "${swift_flags[@]}" --product "$(product "$target")" >"$log" 2>&1; then
      grep -v 'prohibited flag' "$log" | tail -40 >&2
      echo "fuzz: build of $target failed (log: $log)" >&2
      exit 1
    fi
  done
  echo "fuzz: build took $((SECONDS - started)) s"
}

run() {
  local target=$1 seconds=$2 bin corpus crashes status=0
  bin="$build_path/debug/$(product "$target")"
  corpus=$(mktemp -d "${TMPDIR:-/tmp}/depot-fuzz-$target.XXXXXX")
  crashes="$build_path/crashes/$target"
  mkdir -p "$crashes"
  local args=("$corpus" "Fixtures/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096
              -artifact_prefix="$crashes/" -print_final_stats=1)
  [ -f "Fixtures/fuzz/$target.dict" ] && args+=(-dict="Fixtures/fuzz/$target.dict")
  echo "fuzz: $target for $seconds s (corpus $corpus, crashes $crashes/)"
  # The Swift runtime's backtracer would take the trap's signal before libFuzzer could save the input.
  SWIFT_BACKTRACE=enable=no nice -n 15 "$bin" "${args[@]}" || status=$?
  rm -rf "$corpus"
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $status); inputs in $crashes/:" >&2
    ls -1 "$crashes" >&2 || true
  fi
  return "$status"
}

[ $# -ne 2 ] || [[ "$2" =~ ^[0-9]+$ ]] || usage

case "${1:-}" in
  list) printf '%s\n' "${targets[@]}" ;;
  all)
    [ $# -eq 2 ] || usage
    build "${targets[@]}"
    failed=()
    for target in "${targets[@]}"; do run "$target" "$2" || failed+=("$target"); done
    if [ "${#failed[@]}" -gt 0 ]; then echo "fuzz: crashes in: ${failed[*]}" >&2; exit 1; fi
    ;;
  *)
    [ $# -eq 2 ] && product "$1" >/dev/null || usage
    build "$1"
    run "$1" "$2"
    ;;
esac

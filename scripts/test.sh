#!/usr/bin/env bash
# Runs the whole test suite against real PostgreSQL, Redis and S3 (moto) servers on 127.0.0.1,
# installing and starting what is missing, and stopping the services afterwards; then the client-conformance stage
# (scripts/clients.sh) and the fuzz targets.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
scripts/services.sh start
trap 'scripts/services.sh stop' EXIT
# shellcheck disable=SC1091
. .build/services.env
export DEPOT_TEST_REQUIRE_SERVICES=1
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
# Third-party Directus clients (PyPI) against the debug binary just built, on SQLite and PostgreSQL (DEPOT_CLIENTS=0
# skips): see scripts/clients.sh.
if [ "${DEPOT_CLIENTS:-1}" != "0" ]; then
  scripts/clients.sh
fi
# Every fuzz target for DEPOT_FUZZ_SECONDS (default 60; 0 skips): a separate -sanitize=fuzzer build in .build-fuzz.
if [ "${DEPOT_FUZZ_SECONDS:-60}" != "0" ]; then
  scripts/fuzz.sh all "${DEPOT_FUZZ_SECONDS:-60}"
fi

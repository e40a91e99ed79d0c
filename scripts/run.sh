#!/usr/bin/env bash
# Builds Depot (release) and runs it. With no variables set this is the embedded default:
# SQLite in ./data, uploads in ./data/uploads, memory cache, port 8055.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
swift build -c release --product depot
exec .build/release/depot serve "$@"

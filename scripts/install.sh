#!/usr/bin/env bash
# Installs what Depot needs on Debian 12: the C libraries it links, and with --test the services its tests use
# (PostgreSQL 15, Redis, moto's S3 server) and the client-conformance stage (Python virtual environments, libmagic).
# Installs only what is missing; safe to run again.
set -euo pipefail

packages=(pkg-config libvips-dev libpq-dev libcurl4-openssl-dev libhiredis-dev libsqlite3-dev libargon2-dev zlib1g-dev)
if [ "${1:-}" = "--test" ]; then
  # python3-venv and libmagic1: the client-conformance stage's virtual environments (py-directus needs libmagic).
  packages+=(postgresql redis-server python3-pip python3-venv libmagic1)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ] && ! command -v moto_server >/dev/null 2>&1; then
  echo "installing: moto[server] (PyPI)"
  python3 -m pip install --quiet "moto[server]" || python3 -m pip install --quiet --break-system-packages "moto[server]"
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift 6 toolchain is not on PATH (see https://www.swift.org/install/linux/ for Debian 12)" >&2
  exit 1
fi

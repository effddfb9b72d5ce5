#!/bin/sh
# Installs the Debian packages listed in scripts/system-packages.txt (needs root and apt-get).
set -eu
list="$(dirname "$0")/system-packages.txt"
pkgs=$(grep -v '^#' "$list" | tr '\n' ' ')
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-packages: no apt-get here; install these yourself: $pkgs" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $pkgs >/dev/null
echo "installed: $pkgs"

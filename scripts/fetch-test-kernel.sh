#!/bin/sh
# Fetches Debian 12's packaged 6.1 cloud kernel (linux-image-6.1.0-*-cloud-amd64-unsigned) with
# `apt-get download` and extracts its vmlinuz and config into a cache directory outside the repo:
# $SUMMIT_KERNEL_CACHE, else $XDG_CACHE_HOME/summit/kernels, else ~/.cache/summit/kernels.
# Idempotent: an image already there is kept. Prints the vmlinuz path on the last line.
# Used by `summit kernel-check --kernel IMAGE` tests and by .ci/run.
set -eu
cache="${SUMMIT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/summit/kernels}"
out="$cache/vmlinuz-6.1"
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "fetch-test-kernel: no apt-get here; put a 6.1 bzImage at $out yourself" >&2
  exit 1
fi
pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' |
  cut -d' ' -f1 | sort -V | tail -n 1)
if [ -z "$pkg" ]; then
  echo "fetch-test-kernel: apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned (run apt-get update)" >&2
  exit 1
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq "$pkg" >/dev/null)
dpkg-deb -x "$work"/*.deb "$work/x"
cp "$work"/x/boot/vmlinuz-* "$work/vmlinuz"
cp "$work"/x/boot/config-* "$cache/config-6.1"
echo "$pkg" >"$cache/vmlinuz-6.1.package"
mv "$work/vmlinuz" "$out"
echo "$out"

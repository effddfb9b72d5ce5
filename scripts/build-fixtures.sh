#!/bin/sh
# Compiles the eBPF C fixtures in test/fixtures/c into test/fixtures/obj with clang.
# Usage: scripts/build-fixtures.sh [--check]   (--check: also load each object with bpftool, except
# those whose source says "fixture-bpftool: no")
# FIXTURE_OUT=DIR builds into DIR instead (the fixtures test uses it to check objects are current).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FIXTURE_OUT:-"$root/test/fixtures/obj"}
CLANG=${CLANG:-clang}
arch_inc="/usr/include/$(uname -m)-linux-gnu"
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Paths relative to the repository root and a fixed compilation directory keep the DWARF (and so
# the object bytes) independent of where the checkout lives and of the caller's directory.
cd "$root"
for c in test/fixtures/c/*.c; do
  name=$(basename "$c" .c)
  # A source may add flags in a comment line "fixture-cflags: ..." (e.g. -mcpu=v3 for ALU32/JMP32).
  extra=$(sed -n 's/.*fixture-cflags: *\([^*]*\).*/\1/p' "$c" | head -n 1)
  set -f # the flags are split into words but never glob-expanded
  # shellcheck disable=SC2086
  "$CLANG" -O2 -g -target bpf -I"$arch_inc" -fdebug-compilation-dir=. $extra -c "$c" -o "$out/$name.o"
  set +f
  echo "built $name.o"
done
if [ "${1:-}" = "--check" ]; then
  status=0
  for o in "$out"/*.o; do
    name=$(basename "$o" .o)
    # A source saying "fixture-bpftool: no (why)" is loaded by Summit's own tests instead.
    if grep -q 'fixture-bpftool: no' "test/fixtures/c/$name.c"; then
      echo "not with bpftool: $name"
      continue
    fi
    pin="/sys/fs/bpf/summit_fx_$name"
    if bpftool prog loadall "$o" "$pin" >/dev/null 2>"/tmp/summit_fx_$name.log"; then
      echo "loads: $name"
    else
      echo "REJECTED: $name (log: /tmp/summit_fx_$name.log)"
      status=1
    fi
    rm -rf "$pin"
  done
  exit $status
fi

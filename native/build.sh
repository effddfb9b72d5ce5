#!/bin/sh
# Builds the summit-bpf kernel helper into native/build/summit-bpf with the machine's C compiler,
# against libbpf >= 1.0 (Debian/Ubuntu package libbpf-dev), json-c (libjson-c-dev) and zlib
# (zlib1g-dev, which libbpf itself needs).
# A missing library stops the build with one line naming the package (exit status 3).
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "summit-bpf: no C compiler '$CC' (Debian/Ubuntu: apt-get install gcc, or set CC)" >&2
  exit 3
fi
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libbpf json-c zlib 2>/dev/null; then
  cflags=$(pkg-config --cflags libbpf json-c zlib)
  libs=$(pkg-config --libs libbpf json-c zlib)
else
  cflags=""
  libs="-lbpf -ljson-c -lz"
fi
# Each library: a test program that must compile and link, else the package to install.
check() {
  # $1 package, $2 library flag, $3 test program
  if ! printf '%s\n' "$3" | "$CC" $cflags -x c - -o /dev/null $2 >/dev/null 2>&1; then
    echo "summit-bpf: $1 is missing or too old: install it (Debian/Ubuntu: apt-get install $1)" >&2
    exit 3
  fi
}
check libbpf-dev -lbpf '#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#if LIBBPF_MAJOR_VERSION < 1
#error libbpf 1.0 or later is needed
#endif
int main(void) { return bpf_object__open_mem(0, 0, 0) != 0; }'
check libjson-c-dev -ljson-c '#include <json-c/json.h>
int main(void) { return json_tokener_new() == 0; }'
check zlib1g-dev -lz '#include <zlib.h>
int main(void) { return compressBound(1) == 0; }'
mkdir -p "$dir/build"
tmp="$dir/build/summit-bpf.tmp.$$"
# shellcheck disable=SC2086
"$CC" -O2 -Wall -Wextra -std=gnu11 $cflags -o "$tmp" "$dir/summit-bpf.c" "$dir/request.c" \
  "$dir/maps.c" "$dir/progs.c" "$dir/cycle.c" "$dir/objects.c" "$dir/timing.c" \
  "$dir/kernel-btf.c" $libs
mv "$tmp" "$dir/build/summit-bpf"
echo "$dir/build/summit-bpf"

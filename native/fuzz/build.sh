#!/bin/sh
# Builds the libFuzzer harness of the helper's request parser into native/fuzz/build/request-fuzz
# with clang (-fsanitize=fuzzer,address,undefined). Needs clang with compiler-rt's libFuzzer
# (Debian: clang, which pulls in libclang-rt-dev) and json-c (libjson-c-dev). Exit status 3 and
# one line naming what is missing when it cannot build.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "request-fuzz: no clang (Debian/Ubuntu: apt-get install clang)" >&2
  exit 3
fi
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists json-c 2>/dev/null; then
  cflags=$(pkg-config --cflags json-c)
  libs=$(pkg-config --libs json-c)
else
  cflags=""
  libs="-ljson-c"
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' |
  "$CLANG" -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1; then
  echo "request-fuzz: clang has no libFuzzer (Debian/Ubuntu: apt-get install clang libclang-rt-dev)" >&2
  exit 3
fi
mkdir -p "$dir/build"
tmp="$dir/build/request-fuzz.tmp.$$"
# shellcheck disable=SC2086
"$CLANG" -g -O1 -std=gnu11 -Wall -Wextra -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined $cflags -o "$tmp" "$dir/request-fuzz.c" "$dir/../request.c" $libs
mv "$tmp" "$dir/build/request-fuzz"
echo "$dir/build/request-fuzz"

#!/bin/sh
# Builds the summit-bpf kernel helper into native/build/summit-bpf with the machine's C compiler.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
mkdir -p "$dir/build"
"$CC" -O2 -Wall -Wextra -std=gnu11 -o "$dir/build/summit-bpf.tmp.$$" "$dir/summit-bpf.c" "$dir/maps.c" "$dir/progs.c" "$dir/cycle.c" "$dir/jsonl.c"
mv "$dir/build/summit-bpf.tmp.$$" "$dir/build/summit-bpf"
echo "$dir/build/summit-bpf"

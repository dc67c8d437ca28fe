#!/usr/bin/env bash
# Builds the harness's own parser fuzz targets (libFuzzer, ASan+UBSan) into
# OUT (default fuzz/out/harness): fuzz_oracle (wire oracle), fuzz_expect
# (expectations files), and, when the report reader exists, fuzz_report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/fuzz/out/harness}
mkdir -p "$out"
cc=${CC:-clang}
flags=(-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I"$top/harness/include" -I"$top/harness/src")
"$cc" "${flags[@]}" -o "$out/fuzz_oracle" "$here/fuzz_oracle.c" "$top/harness/src/oracle.c" "$top/harness/src/util.c"
"$cc" "${flags[@]}" -o "$out/fuzz_expect" "$here/fuzz_expect.c" "$top/harness/src/expect.c" "$top/harness/src/util.c" -ljansson
if [ -f "$here/fuzz_report.c" ] && [ -f "$top/harness/src/compare.c" ]; then
	"$cc" "${flags[@]}" -o "$out/fuzz_report" "$here/fuzz_report.c" "$top/harness/src/compare.c" \
		"$top/harness/src/verdict.c" "$top/harness/src/util.c" -ljansson
fi
echo "$out"

#!/usr/bin/env bash
# Builds the harness's own parser fuzz targets (libFuzzer, ASan+UBSan) into
# OUT (default fuzz/out/harness): fuzz_oracle (wire oracle and its rules),
# fuzz_rewrite (the plaintext rewriter and the message layer), fuzz_der (the
# certificate reader), fuzz_expect (expectations files), fuzz_report (the
# report reader) and fuzz_recprot (key logs and protected records).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/fuzz/out/harness}
mkdir -p "$out"
cc=${CC:-clang}
flags=(-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I"$top/harness/include" -I"$top/harness/src")
"$cc" "${flags[@]}" -o "$out/fuzz_oracle" "$here/fuzz_oracle.c" "$top/harness/src/oracle.c" \
	"$top/harness/src/tlsmsg.c" "$top/harness/src/util.c"
"$cc" "${flags[@]}" -o "$out/fuzz_rewrite" "$here/fuzz_rewrite.c" "$top/harness/src/rewrite.c" \
	"$top/harness/src/tlsmsg.c" "$top/harness/src/recprot.c" "$top/harness/src/util.c" -lnettle
"$cc" "${flags[@]}" -o "$out/fuzz_der" "$here/fuzz_der.c" "$top/harness/src/der.c"
"$cc" "${flags[@]}" -o "$out/fuzz_expect" "$here/fuzz_expect.c" "$top/harness/src/expect.c" "$top/harness/src/util.c" -ljansson
"$cc" "${flags[@]}" -o "$out/fuzz_report" "$here/fuzz_report.c" "$top/harness/src/report_load.c" \
	"$top/harness/src/verdict.c" "$top/harness/src/util.c" -ljansson
"$cc" "${flags[@]}" -o "$out/fuzz_recprot" "$here/fuzz_recprot.c" "$top/harness/src/recprot.c" \
	"$top/harness/src/util.c" -lnettle
echo "$out"

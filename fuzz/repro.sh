#!/usr/bin/env bash
# fuzz/repro.sh TARGET FILE [RUNS] - runs FILE through the libFuzzer build of
# TARGET (ASan+UBSan) RUNS times (default 10), each in a fresh process, prints
# the first sanitizer report and "reproduced N/RUNS". Exit 0 when every run
# crashed, 1 when some did (flaky), 2 when none did.
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/common.sh"
if [ $# -lt 2 ]; then
	echo "usage: just fuzz-repro TARGET FILE [RUNS]" >&2
	exit 2
fi
target="$1"
file="$(realpath "$2")"
runs="${3:-10}"
fz_check_target "$target"
[ -f "$file" ] || {
	echo "fuzz-repro: no such file: $2" >&2
	exit 2
}
cd "$fz_root"
bin="$(fz_build libfuzzer "$target")"
mapfile -t lf_flags < <(fz_libfuzzer_flags "$target")
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
crashed=0
shown=0
for i in $(seq 1 "$runs"); do
	rc=0
	("$bin" "${lf_flags[@]}" -runs=1 "$file" >"$log" 2>&1; exit $?) 2>/dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		crashed=$((crashed + 1))
		if [ "$shown" -eq 0 ]; then
			grep -v -e '^INFO:' -e '^Running:' -e '^Executed' "$log" | head -n 60
			shown=1
		fi
	fi
	printf 'run %2d: %s\n' "$i" "$([ "$rc" -ne 0 ] && echo "crash (exit $rc)" || echo "no crash")"
done
echo "reproduced $crashed/$runs: $target $(cat "$bin.kind") build, input ${2}"
if [ "$crashed" -eq "$runs" ]; then
	exit 0
elif [ "$crashed" -gt 0 ]; then
	exit 1
fi
exit 2

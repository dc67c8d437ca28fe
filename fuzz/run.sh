#!/usr/bin/env bash
# fuzz/run.sh TARGET [SECONDS] - fuzzes TARGET with libFuzzer for SECONDS
# (default 300; 0 = until interrupted) with fuzz/tls.dict and
# fuzz/options/TARGET.options. The working corpus is fuzz/out/corpus/TARGET
# (started from corpora/TARGET); new crash, leak, timeout and OOM inputs are
# filed by fuzz/triage.sh under fuzz/crashes/TARGET/STACKHASH/.
# TLSH_FUZZ_FORKS=N runs N fuzzing processes (-fork=N).
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/common.sh"
if [ $# -lt 1 ]; then
	echo "usage: just fuzz TARGET [SECONDS]   (targets: fuzz/targets.txt)" >&2
	exit 2
fi
target="$1"
secs="${2:-300}"
fz_check_target "$target"
cd "$fz_root"
bin="$(fz_build libfuzzer "$target")"
kind="$(cat "$bin.kind")"
mapfile -t lf_flags < <(fz_libfuzzer_flags "$target")
work="fuzz/out/corpus/$target"
arts="fuzz/out/artifacts/$target"
mkdir -p "$work" "$arts" "corpora/$target"
extra=()
[ "${TLSH_FUZZ_FORKS:-1}" -le 1 ] || extra+=("-fork=$TLSH_FUZZ_FORKS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
[ "$secs" -eq 0 ] || extra+=("-max_total_time=$secs")
echo "fuzz: $target [$kind build] for ${secs}s; corpus $work (+ corpora/$target); findings -> $arts"
[ "$kind" = instrumented ] || echo "fuzz: SMOKE build: the library is not instrumented, only the driver and adapter give coverage ('just fuzz-deps openssl' for OpenSSL)"
rc=0
"$bin" -dict=fuzz/tls.dict "${lf_flags[@]}" "${extra[@]}" -print_final_stats=1 \
	-artifact_prefix="$arts/" "$work" "corpora/$target" || rc=$?
shopt -s nullglob
found=("$arts"/crash-* "$arts"/leak-* "$arts"/timeout-* "$arts"/oom-*)
if [ "${#found[@]}" -gt 0 ]; then
	fuzz/triage.sh "$target" "${found[@]}"
	mkdir -p "$arts/triaged"
	mv "${found[@]}" "$arts/triaged/"
fi
exit "$rc"

#!/usr/bin/env bash
# bench/fuzz/speed.sh [SECONDS] [TARGET...] - executions per second of each
# fuzz target (default: every target in fuzz/targets.txt), libFuzzer build,
# SECONDS (default 20) from its committed corpus with the dictionary, one
# target at a time. Prints one row per target: build kind (instrumented or
# smoke), whether it runs in snapshot mode, exec/s, libFuzzer's edge count
# and corpus size at the end, and the machine's load average. A run that
# stops on a finding says so (its exec/s then covers the time until then) and
# keeps the input under fuzz/out/speed/.
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/../../fuzz/common.sh"
cd "${fz_root:?}"
secs="${1:-20}"
if ! [[ "$secs" =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bench/fuzz/speed.sh [SECONDS] [TARGET...]" >&2
	exit 2
fi
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(fz_targets)
for t in "${targets[@]}"; do
	fz_check_target "$t"
done
fuzz/build.sh -q -e libfuzzer "${targets[@]}" || true
work="$(mktemp -d)"
mkdir -p fuzz/out/speed
trap 'rm -rf "$work"' EXIT
export TLSH_FUZZ_QUIET=1

printf '%-28s %-13s %-8s %8s %8s %7s  %s\n' target build snapshot exec/s edges corpus load
for t in "${targets[@]}"; do
	bin="fuzz/out/libfuzzer/$t"
	if [ ! -x "$bin" ]; then
		printf '%-28s (not built here)\n' "$t"
		continue
	fi
	mapfile -t flags < <(fz_libfuzzer_flags "$t")
	rm -rf "$work/c"
	mkdir -p "$work/c"
	seeds=()
	[ -d "corpora/$t" ] && seeds=("corpora/$t")
	rc=0
	"$bin" "${flags[@]}" -dict=fuzz/tls.dict -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="fuzz/out/speed/$t-" "$work/c" "${seeds[@]}" >"$work/log" 2>&1 || rc=$?
	execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)"
	edges="$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1 | cut -d' ' -f2)"
	snap=no
	[[ "$t" =~ -s[1-9] ]] && snap=yes
	printf '%-28s %-13s %-8s %8s %8s %7s  %s\n' "$t" "$(cat "$bin.kind")" "$snap" \
		"$((${execs:-0} / secs))" "${edges:-?}" "$(find "$work/c" -type f | wc -l)" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	if [ "$rc" -ne 0 ]; then
		echo "  finding in $t (exit $rc; input kept as fuzz/out/speed/$t-*; file it with" \
			"fuzz/triage.sh $t FILE):"
		grep -m 3 -e 'ERROR' -e 'runtime error' -e 'ABI violation' "$work/log" | sed 's/^/    /'
	fi
done

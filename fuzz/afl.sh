#!/usr/bin/env bash
# fuzz/afl.sh TARGET [SECONDS] - fuzzes TARGET with AFL++ for SECONDS (default
# 300): persistent mode through the same LLVMFuzzerTestOneInput (afl-clang-fast
# -fsanitize=fuzzer links AFL++'s libAFLDriver), ASan+UBSan, one main instance
# (-M) with the CMPLOG companion binary (-c) and one secondary (-S) per
# remaining core, all sharing fuzz/out/afl-sync/TARGET, with fuzz/tls.dict.
# Starts from corpora/TARGET; new crashes are filed by fuzz/triage.sh.
# Installs Debian's afl++ on first use.
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/common.sh"
if [ $# -lt 1 ]; then
	echo "usage: just fuzz-afl TARGET [SECONDS]   (targets: fuzz/targets.txt)" >&2
	exit 2
fi
target="$1"
secs="${2:-300}"
fz_check_target "$target"
cd "$fz_root"
if ! command -v afl-fuzz >/dev/null || ! command -v afl-clang-fast >/dev/null; then
	echo "fuzz-afl: installing Debian's afl++"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
bin="$(fz_build afl "$target")"
cmplog="$(fz_build cmplog "$target")"
echo "fuzz-afl: $target [$(cat "$bin.kind") build; cmplog: $(cat "$cmplog.kind")] for ${secs}s"

sync="fuzz/out/afl-sync/$target"
seeds="fuzz/out/afl-seeds/$target"
mkdir -p "$sync"
rm -rf "$seeds"
mkdir -p "$seeds"
shopt -s nullglob
cp corpora/"$target"/* "$seeds"/ 2>/dev/null || true
if [ -z "$(ls -A "$seeds")" ]; then
	printf '\x60\x00\x00\x00\xe7\x30\xa5\x00\x16\x03\x01\x00\x00' >"$seeds/minimal"
fi

# afl-fuzz wants these sanitizer settings (abort, no symbolization).
export ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1:handle_abort=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:symbolize=0"
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1
export AFL_NO_AFFINITY=1 AFL_QUIET=1 TLSH_FUZZ_QUIET=1

cores="${TLSH_FUZZ_CORES:-$(nproc)}"
pids=()
common=(-i "$seeds" -o "$sync" -x fuzz/tls.dict -t 2000 -m none -V "$secs")
afl-fuzz "${common[@]}" -M main -c "$cmplog" -- "$bin" >"$sync/main.log" 2>&1 &
pids+=($!)
for i in $(seq 1 $((cores - 1))); do
	sched=(fast explore coe lin quad exploit)
	afl-fuzz "${common[@]}" -S "sec$i" -p "${sched[$(((i - 1) % 6))]}" -- "$bin" >"$sync/sec$i.log" 2>&1 &
	pids+=($!)
done
echo "fuzz-afl: ${#pids[@]} instance(s) (main + $((cores - 1)) secondary), sync folder $sync"
# afl-fuzz's fork servers (children of the afl-fuzz processes started here)
# are noted while they run: a CMPLOG fork server can outlive its afl-fuzz,
# stopped, holding the instance folder's lock.
children=()
note_children() {
	local p c
	for p in "${pids[@]}"; do
		for c in $(pgrep -P "$p" 2>/dev/null); do
			[[ " ${children[*]} " == *" $c "* ]] || children+=("$c")
		done
	done
}
reap_children() {
	local c e
	for c in "${children[@]}"; do
		e="$(readlink "/proc/$c/exe" 2>/dev/null || true)"
		case "$e" in
		"$bin" | "$bin (deleted)" | "$cmplog" | "$cmplog (deleted)") kill -9 "$c" 2>/dev/null || true ;;
		esac
	done
}
trap 'kill "${pids[@]}" 2>/dev/null || true; reap_children' INT TERM
while :; do
	alive=0
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then alive=1; fi
	done
	[ "$alive" -eq 1 ] || break
	note_children
	sleep 2
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=$?
done
reap_children
for s in "$sync"/*/fuzzer_stats; do
	inst="$(basename "$(dirname "$s")")"
	awk -v i="$inst" -F' *: *' '
		$1=="execs_done"{e=$2} $1=="execs_per_sec"{x=$2} $1=="corpus_count"{c=$2}
		$1=="saved_crashes"||$1=="unique_crashes"{k=$2} $1=="bitmap_cvg"{b=$2}
		END { printf "fuzz-afl: %-5s %s execs, %s exec/s, corpus %s, crashes %s, map %s\n", i, e, x, c, k, b }' "$s"
done
if [ "$rc" -ne 0 ]; then
	echo "fuzz-afl: afl-fuzz failed; see $sync/*.log:" >&2
	tail -n 20 "$sync/main.log" >&2
fi
found=("$sync"/*/crashes/id:*)
if [ "${#found[@]}" -gt 0 ]; then
	fuzz/triage.sh "$target" "${found[@]}"
fi
exit "$rc"

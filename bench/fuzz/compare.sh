#!/usr/bin/env bash
# bench/fuzz/compare.sh [SECONDS] [STAGES_SECONDS] - our OpenSSL server
# targets against OpenSSL's own fuzz/server.c, on the same instrumented
# OpenSSL build (.deps/openssl, `just fuzz-deps openssl`), with the same
# dictionary, side by side (one process each on this 2-core machine, so both
# see the same load).
#
# Part 1 (SECONDS, default 120): our openssl-server-s0 against fuzz/server.c,
#   both from the same seed corpus (corpora/openssl-server-s0: for OpenSSL's
#   target the 8-byte input header is cut off and its option byte, 0,
#   appended), for the same time: exec/s and coverage.
# Part 2 (STAGES_SECONDS, default 300; 0 skips it): the same time spent
#   across all our stages of the OpenSSL server target (openssl-server-s0
#   and -s0-cfg, -s1-tls12, -s1-tls13, -s2-tls12, -s2-tls13 and the four
#   -rsa variants of stages 1 and 2: STAGES_SECONDS/10 each, one after the
#   other, each from its own corpus) against STAGES_SECONDS of
#   fuzz/server.c: coverage.
#
# Coverage: libFuzzer's own edge count (which includes each target's driver
# code) and, from -print_coverage=1 on the final corpora, edges and functions
# covered inside OpenSSL's sources (all, ssl/, ssl/statem/, crypto/). Each
# input of ours is replayed with TLSH_FUZZ_SNAPSHOT=0, so the real handshake
# a stage >= 1 input starts from counts as that input's coverage - as
# fuzz/server.c's per-input SSL_CTX and key loading counts as its coverage.
# The union over our targets (bench/fuzz/union.awk) matches uncovered
# edges by source location, so it is a lower bound of the true union.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
secs="${1:-120}"
stage_secs="${2:-300}"
for v in "$secs" "$stage_secs"; do
	[[ "$v" =~ ^[0-9]+$ ]] || {
		echo "usage: bench/fuzz/compare.sh [SECONDS] [STAGES_SECONDS]" >&2
		exit 2
	}
done
prefix="$root/.deps/openssl"
src="$(find "$root/.deps/src" -maxdepth 1 -type d -name 'openssl-[0-9]*' | sort | tail -n 1)"
if [ ! -f "$prefix/lib/libssl.a" ] || [ -z "$src" ] || [ ! -f "$src/fuzz/server.c" ]; then
	echo "bench: needs the instrumented OpenSSL and its source: run 'just fuzz-deps openssl' first" >&2
	exit 2
fi
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1"
export TLSH_FUZZ_QUIET=1
out="$root/fuzz/out/bench"
mkdir -p "$out"
stages=(openssl-server-s0 openssl-server-s0-cfg openssl-server-s1-tls12 openssl-server-s1-tls13
	openssl-server-s2-tls12 openssl-server-s2-tls13 openssl-server-s1-tls12-rsa
	openssl-server-s1-tls13-rsa openssl-server-s2-tls12-rsa openssl-server-s2-tls13-rsa)

# OpenSSL's target: its server.c and fuzz_rand.c from the Debian source.
# shellcheck disable=SC2054 # commas inside -fsanitize= values
san=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined)
clang "${san[@]}" -fsanitize=fuzzer -w -I "$prefix/include" -I "$src/fuzz" -I "$src/include" \
	-o "$out/ossl-server" "$src/fuzz/server.c" "$src/fuzz/fuzz_rand.c" bench/fuzz/ossl_shim.c \
	"$prefix/lib/libssl.a" "$prefix/lib/libcrypto.a" -ldl -lpthread
fuzz/build.sh -q -e libfuzzer "${stages[@]}"
for t in "${stages[@]}"; do
	if [ "$(cat "fuzz/out/libfuzzer/$t.kind")" != instrumented ]; then
		echo "bench: $t is not an instrumented build" >&2
		exit 2
	fi
done

# fresh NAME SEEDS_FROM [ossl]: empty corpus-NAME, seeds-NAME from a corpus
# folder (converted to OpenSSL's input format with "ossl").
fresh() {
	rm -rf "$out/seeds-$1" "$out/corpus-$1"
	mkdir -p "$out/seeds-$1" "$out/corpus-$1"
	local f
	for f in "$2"/*; do
		if [ "${3:-}" = ossl ]; then
			{
				tail -c +9 "$f"
				printf '\x00'
			} >"$out/seeds-$1/$(basename "$f")"
		else
			cp "$f" "$out/seeds-$1/"
		fi
	done
}

fuzz_for() { # NAME BINARY SECONDS
	"$2" -dict=fuzz/tls.dict -max_len=4096 -timeout=10 -rss_limit_mb=2560 -max_total_time="$3" \
		-print_final_stats=1 -artifact_prefix="$out/$1-" "$out/corpus-$1" "$out/seeds-$1" \
		>"$out/$1.log" 2>&1 || true
	TLSH_FUZZ_SNAPSHOT=0 "$2" -runs=0 -print_coverage=1 -timeout=30 -rss_limit_mb=4096 \
		"$out/corpus-$1" >"$out/$1.cov" 2>&1 || true
}

# Edges covered per function inside OpenSSL's sources, united over COVFILE...
# (bench/fuzz/union.awk): "edges<TAB>function location".
lib_funcs() {
	awk -v s="$(basename "$src")/" -f bench/fuzz/union.awk "$@"
}

# Edges/functions in OpenSSL's files under DIR, from lib_funcs output.
sum_dir() { # FUNCS DIR
	awk -F'\t' -v d="$(basename "$src")/$2" 'index($2, d) { n += $1; f++ } END { printf "%d/%d", n, f }' "$1"
}

execs_of() { sed -n 's/^stat::number_of_executed_units: *//p' "$out/$1.log" | tail -n 1; }
lfcov_of() { grep -o 'cov: [0-9]*' "$out/$1.log" | tail -n 1 | cut -d' ' -f2; }

row() { # LABEL EXEC/S LF-EDGES FUNCS CORPUS
	printf '%-44s %6s %8s %12s %12s %12s %12s %7s\n' "$1" "$2" "$3" "$(sum_dir "$4" "")" \
		"$(sum_dir "$4" ssl/)" "$(sum_dir "$4" ssl/statem/)" "$(sum_dir "$4" crypto/)" "$5"
}
header() {
	printf '%-44s %6s %8s %12s %12s %12s %12s %7s\n' target exec/s lf-edges all ssl/ ssl/statem/ \
		crypto/ corpus
}
ncorp() { find "$out/corpus-$1" -type f | wc -l; }

if [ "$secs" -gt 0 ]; then
	echo "bench part 1: ${secs}s, our openssl-server-s0 and OpenSSL's fuzz/server.c side by side"
	fresh ours corpora/openssl-server-s0
	fresh ossl corpora/openssl-server-s0 ossl
	fuzz_for ours fuzz/out/libfuzzer/openssl-server-s0 "$secs" &
	fuzz_for ossl "$out/ossl-server" "$secs" &
	wait
	lib_funcs "$out/ours.cov" >"$out/ours.funcs"
	lib_funcs "$out/ossl.cov" >"$out/ossl.funcs"
	echo
	echo "edges/functions covered by the final corpus inside OpenSSL (-print_coverage=1):"
	header
	row "tlsharness openssl-server-s0" "$(($(execs_of ours) / secs))" "$(lfcov_of ours)" \
		"$out/ours.funcs" "$(ncorp ours)"
	row "OpenSSL fuzz/server.c ($(basename "$src"))" "$(($(execs_of ossl) / secs))" \
		"$(lfcov_of ossl)" "$out/ossl.funcs" "$(ncorp ossl)"
fi

if [ "$stage_secs" -gt 0 ]; then
	each=$((stage_secs / ${#stages[@]}))
	echo
	echo "bench part 2: ${stage_secs}s across our ${#stages[@]} server targets (${each}s each, in turn)" \
		"and ${stage_secs}s of OpenSSL's fuzz/server.c, side by side"
	fresh ossl2 corpora/openssl-server-s0 ossl
	(
		for t in "${stages[@]}"; do
			fresh "st-$t" "corpora/$t"
			fuzz_for "st-$t" "fuzz/out/libfuzzer/$t" "$each"
		done
	) &
	fuzz_for ossl2 "$out/ossl-server" "$((each * ${#stages[@]}))" &
	wait
	covs=()
	for t in "${stages[@]}"; do
		lib_funcs "$out/st-$t.cov" >"$out/st-$t.funcs"
		covs+=("$out/st-$t.cov")
	done
	lib_funcs "${covs[@]}" >"$out/stages.funcs"
	lib_funcs "$out/ossl2.cov" >"$out/ossl2.funcs"
	echo
	echo "edges/functions covered inside OpenSSL (-print_coverage=1 on each final corpus):"
	header
	total=0
	for t in "${stages[@]}"; do
		row "tlsharness $t" "$(($(execs_of "st-$t") / each))" "$(lfcov_of "st-$t")" \
			"$out/st-$t.funcs" "$(ncorp "st-$t")"
		total=$((total + $(ncorp "st-$t")))
	done
	row "tlsharness, all ${#stages[@]} (union, lower bound)" "" "" "$out/stages.funcs" "$total"
	row "OpenSSL fuzz/server.c ($(basename "$src"))" "$(($(execs_of ossl2) / (each * ${#stages[@]})))" \
		"$(lfcov_of ossl2)" "$out/ossl2.funcs" "$(ncorp ossl2)"
fi

#!/usr/bin/env bash
# bench/fuzz/compare.sh [SECONDS] - our OpenSSL server stage-0 target against
# OpenSSL's own fuzz/server.c, on the same instrumented OpenSSL build
# (.deps/openssl, `just fuzz-deps openssl`), from the same seed corpus
# (corpora/openssl-server-s0: for OpenSSL's target the 8-byte input header is
# cut off and its option byte, 0, appended), with the same dictionary, for
# the same time (default 120 s, both at once, one process each).
#
# Reports exec/s and coverage: libFuzzer's own edge count (which includes each
# target's driver code) and, from -print_coverage=1 on the final corpora,
# edges and functions covered inside OpenSSL's sources only.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
secs="${1:-120}"
prefix="$root/.deps/openssl"
src="$(find "$root/.deps/src" -maxdepth 1 -type d -name 'openssl-[0-9]*' | sort | tail -n 1)"
if [ ! -f "$prefix/lib/libssl.a" ] || [ -z "$src" ] || [ ! -f "$src/fuzz/server.c" ]; then
	echo "bench: needs the instrumented OpenSSL and its source: run 'just fuzz-deps openssl' first" >&2
	exit 2
fi
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1"
out="$root/fuzz/out/bench"
mkdir -p "$out"

# OpenSSL's target: its server.c and fuzz_rand.c from the Debian source.
# shellcheck disable=SC2054 # commas inside -fsanitize= values
san=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined)
clang "${san[@]}" -fsanitize=fuzzer -w -I "$prefix/include" -I "$src/fuzz" -I "$src/include" \
	-o "$out/ossl-server" "$src/fuzz/server.c" "$src/fuzz/fuzz_rand.c" bench/fuzz/ossl_shim.c \
	"$prefix/lib/libssl.a" "$prefix/lib/libcrypto.a" -ldl -lpthread
ours="$(fuzz/build.sh -e libfuzzer openssl-server-s0 >/dev/null && echo "$root/fuzz/out/libfuzzer/openssl-server-s0")"
if [ "$(cat "$ours.kind")" != instrumented ]; then
	echo "bench: our target is not an instrumented build" >&2
	exit 2
fi

# The same seeds for both.
rm -rf "$out/seeds-ours" "$out/seeds-ossl" "$out/corpus-ours" "$out/corpus-ossl"
mkdir -p "$out/seeds-ours" "$out/seeds-ossl" "$out/corpus-ours" "$out/corpus-ossl"
for f in corpora/openssl-server-s0/*; do
	cp "$f" "$out/seeds-ours/"
	{
		tail -c +9 "$f"
		printf '\x00'
	} >"$out/seeds-ossl/$(basename "$f")"
done

run() { # NAME BINARY
	"$2" -dict=fuzz/tls.dict -max_len=4096 -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/$1-" "$out/corpus-$1" "$out/seeds-$1" >"$out/$1.log" 2>&1 || true
	"$2" -runs=0 -print_coverage=1 "$out/corpus-$1" >"$out/$1.cov" 2>&1 || true
}
# Side by side (one core each on a 2-core machine), so that both see the
# same machine load.
echo "bench: ${secs}s, ours and OpenSSL's fuzz/server.c side by side"
TLSH_FUZZ_QUIET=1 run ours "$ours" &
run ossl "$out/ossl-server" &
wait

# Edges and functions covered in OpenSSL's files under DIR (COVERED_FUNC:
# hits: H edges: A/B NAME FILE:LINE).
lib_cov() { # COVFILE DIR
	awk -v s="$(basename "$src")/$2" 'index($0, s) && /^COVERED_FUNC/ { split($5, e, "/"); n += e[1]; f++ }
		END { printf "%d/%d", n, f }' "$1"
}

report() { # NAME LABEL
	local log="$out/$1.log" cov="$out/$1.cov" execs lf_cov
	execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
	lf_cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
	printf '%-38s %6s %8s %12s %12s %12s %12s %7s\n' "$2" "$((${execs:-0} / secs))" "${lf_cov:-?}" \
		"$(lib_cov "$cov" "")" "$(lib_cov "$cov" ssl/)" "$(lib_cov "$cov" ssl/statem/)" \
		"$(lib_cov "$cov" crypto/)" "$(find "$out/corpus-$1" -type f | wc -l)"
}
echo
echo "edges/functions covered by the final corpus inside OpenSSL (-print_coverage=1):"
printf '%-38s %6s %8s %12s %12s %12s %12s %7s\n' target exec/s lf-edges all ssl/ ssl/statem/ crypto/ corpus
report ours "tlsharness openssl-server-s0"
report ossl "OpenSSL fuzz/server.c ($(basename "$src"))"

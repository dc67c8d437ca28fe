#!/usr/bin/env bash
# fuzz/regress.sh [TARGET...] - the fuzz targets' regression check, run by
# `just test` (harness/tests/suite.sh) and `just fuzz-regress`. No fuzzing
# beyond a short smoke run; meant to stay well under three minutes.
#
#  1. builds every target with the OSS-Fuzz script (docker/oss-fuzz/build.sh)
#     on the host with libFuzzer settings (ASan+UBSan) into fuzz/out/regress:
#     OpenSSL targets are instrumented when .deps/openssl exists (`just
#     fuzz-deps openssl`), smoke builds against the distro library otherwise
#     (CI: a fresh clone has no .deps/);
#  2. replays every file of corpora/TARGET: no finding allowed (the smoke
#     run of step 5 starts by running its whole seed corpus, so that run
#     does it; a finding before it reports INITED counts as the replay's);
#  3. replays every saved crash reproducer fuzz/crashes/TARGET/*/input:
#     status "fixed" must not crash; status "open" (a library bug not fixed
#     upstream yet) is reported, crashing or not, and does not fail the run;
#  4. checks determinism where the backend's RNG is fixed (every backend but
#     NSS: fuzz/det_*.c): the same input gives the same bytes on the wire in
#     two fresh processes and twice in one; and replays five corpus inputs
#     of each stage >= 1 target without the snapshot fork
#     (TLSH_FUZZ_SNAPSHOT=0), in process, where LeakSanitizer checks them;
#  5. smoke-fuzzes each target for TLSH_FUZZ_SMOKE_SECONDS (default 2) from
#     its corpus; a finding is triaged into fuzz/out/regress-crashes/ and
#     fails the run, unless it is a saved crash with status "open" (counted
#     with the open crashes of 3.).
# Also checks `tlsharness record` on one real run. Prints one line per target
# (exec/s of the smoke run) and "fuzz-regress: all N checks passed" or
# "fuzz-regress: N of M checks FAILED" (exit 1).
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/common.sh"
cd "$fz_root"

secs="${TLSH_FUZZ_SMOKE_SECONDS:-2}"
out="$fz_root/fuzz/out/regress"
mkdir -p "$out"
t0=$SECONDS

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(fz_targets)

echo "fuzz-regress: building ${#targets[@]} targets with docker/oss-fuzz/build.sh (libFuzzer, ASan+UBSan)"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
lf_cflags="-O1 -g -gline-tables-only -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link"
lf_engine="-fsanitize=fuzzer"
# lld links the 46 targets about three times faster than ld.bfd.
! command -v ld.lld >/dev/null || lf_engine="$lf_engine -fuse-ld=lld"
if ! CC=clang CXX=clang++ CFLAGS="$lf_cflags" CXXFLAGS="$lf_cflags" \
	LIB_FUZZING_ENGINE="$lf_engine" OUT="$out" \
	TLSH_FUZZ_TARGETS="${targets[*]}" docker/oss-fuzz/build.sh >"$out.build.log" 2>&1; then
	cat "$out.build.log"
	echo "fuzz-regress: build failed"
	echo "fuzz-regress: build FAILED"
	exit 1
fi
tail -n 1 "$out.build.log"
echo "fuzz-regress: built in $((SECONDS - t0)) s"

# Backends whose RNG fuzz/det_BACKEND.c fixes (NSS uses det_none.c).
det_backends="openssl boringssl gnutls wolfssl mbedtls bearssl botan"

res="$(mktemp -d)"
trap 'rm -rf "$res"' EXIT

# Every run of a target binary gets the target's own libFuzzer flags (its
# -timeout among them: libFuzzer's default is 1200 s) and, as a backstop
# against a hang libFuzzer cannot see, is killed after $hang_secs s; a
# killed run is reported as such.
hang_secs="${TLSH_FUZZ_HANG_SECONDS:-120}"
hung=()
run_bin() { # WHAT BIN ARGS...
	local what="$1" rc=0
	shift
	timeout -k 10 "$hang_secs" "$@" || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		hung+=("$what: killed after ${hang_secs}s (hung)")
	fi
	return "$rc"
}

# One target's checks; writes $res/TARGET.{ok,fail,line}.
check_target() {
	local t="$1" bin="$out/$1" log="$res/$1.log" w="$res/$1.work" problems=() f rc
	: >"$log"
	if [ ! -x "$bin" ]; then
		echo "skipped (not built here)" >"$res/$t.line"
		touch "$res/$t.skip"
		return 0
	fi
	local kind
	kind="$(cat "$bin.kind")"
	mapfile -t flags < <(fz_libfuzzer_flags "$t")
	export TLSH_FUZZ_QUIET=1
	# 2. corpus replay: done by the smoke run (5.)
	local ncorp=0 corp=()
	if [ -d "corpora/$t" ]; then
		ncorp="$(find "corpora/$t" -type f | wc -l)"
		corp=("corpora/$t")
	fi
	# 3. saved crash reproducers
	local nrep=0 open_crash=0 open_clean=0
	for f in fuzz/crashes/"$t"/*/input; do
		[ -f "$f" ] || continue
		nrep=$((nrep + 1))
		local st
		st="$(sed -n 's/^status: //p' "$(dirname "$f")/info.txt" 2>/dev/null || echo open)"
		rc=0
		run_bin "replay of $f" "$bin" "${flags[@]}" -runs=1 "$f" >>"$log" 2>&1 || rc=$?
		if [ "$st" = fixed ] && [ "$rc" -ne 0 ]; then
			problems+=("fixed crash $(dirname "$f") crashes again")
		elif [ "$st" != fixed ] && [ "$rc" -ne 0 ]; then
			open_crash=$((open_crash + 1))
		elif [ "$st" != fixed ]; then
			open_clean=$((open_clean + 1))
		fi
	done
	# 4. determinism (backends whose RNG the driver fixes)
	local det="-"
	case " $det_backends " in
	*" $(fz_backend "$t") "*)
		f=""
		[ "$ncorp" -eq 0 ] || f="$(find "corpora/$t" -type f | sort | tail -n 1)"
		if [ -n "$f" ]; then
			local a b c
			TLSH_FUZZ_TRACE=1 run_bin "determinism run of $f" "$bin" "${flags[@]}" -runs=2 "$f" \
				>"$w.det1" 2>&1 || true
			TLSH_FUZZ_TRACE=1 run_bin "determinism run of $f" "$bin" "${flags[@]}" -runs=1 "$f" \
				>"$w.det2" 2>&1 || true
			a="$(grep 'tlsh-fuzz: trace' "$w.det1" | sort -u || true)"
			b="$(grep 'tlsh-fuzz: trace' "$w.det2" | sort -u || true)"
			c="$(printf '%s\n' "$a" | wc -l)"
			if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$c" -eq 1 ]; then
				det=yes
			else
				det=NO
				problems+=("not deterministic: $(printf '%s | ' "$a" "$b")")
			fi
		fi
		;;
	esac
	# 4b. stage >= 1 targets run each input in a fork of the prepared
	# handshake (fuzz/driver.c, snapshot mode), where LeakSanitizer does not
	# look; a few corpus inputs are replayed the other way, in process with
	# leak checking.
	if [[ "$t" =~ -s[1-9] ]] && [ "$ncorp" -gt 0 ]; then
		local few=()
		mapfile -t few < <(find "corpora/$t" -type f | sort | head -n 5)
		if ! TLSH_FUZZ_SNAPSHOT=0 ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=1" \
			run_bin "replay without snapshot" "$bin" "${flags[@]}" "${few[@]}" >>"$log" 2>&1; then
			problems+=("replay without snapshot (leak check) found a problem")
		fi
	fi
	# 5. smoke fuzz
	mkdir -p "$w/corpus" "$w/art"
	rc=0
	run_bin "smoke run" "$bin" -dict=fuzz/tls.dict "${flags[@]}" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$w/art/" "$w/corpus" "${corp[@]}" >"$w/smoke.log" 2>&1 || rc=$?
	local execs
	execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/smoke.log" | tail -n 1)"
	local known=""
	if [ "$rc" -ne 0 ]; then
		cat "$w/smoke.log" >>"$log"
		shopt -s nullglob
		local arts=("$w"/art/*) hashes=() h
		if [ "${#arts[@]}" -gt 0 ]; then
			TLSH_FUZZ_CRASHES="$fz_root/fuzz/out/regress-crashes" fuzz/triage.sh "$t" "${arts[@]}" \
				>"$w/triage.log" 2>&1 || true
			cat "$w/triage.log" >>"$log"
			mapfile -t hashes < <(sed -n -E "s/^(new crash|duplicate): +$t ([0-9a-f]+) .*/\2/p" "$w/triage.log")
		fi
		# A smoke finding that is a saved crash still open upstream (3.) is
		# reported, not failed: it stays in fuzz/crashes until fixed.
		if [ "${#hashes[@]}" -gt 0 ]; then
			known="${hashes[*]}"
			for h in "${hashes[@]}"; do
				if [ "$(sed -n 's/^status: //p' "fuzz/crashes/$t/$h/info.txt" 2>/dev/null)" != open ]; then
					known=""
				fi
			done
		fi
	fi
	if [ "$rc" -ne 0 ] && [ -n "$known" ]; then
		open_crash=$((open_crash + 1))
	elif [ "$rc" -ne 0 ] && ! grep -q -E '^#[0-9]+[[:space:]]+INITED' "$w/smoke.log"; then
		problems+=("corpus replay found a problem (exit $rc)")
	elif [ "$rc" -ne 0 ]; then
		problems+=("smoke fuzzing found a problem (exit $rc)")
	fi
	[ "${#hung[@]}" -eq 0 ] || problems+=("${hung[@]}")
	local line
	line="$(printf '%-28s %-12s corpus %3d  crashes %d (open: %d crash, %d clean)  deterministic %-3s  smoke %s exec/s' \
		"$t" "[$kind]" "$ncorp" "$nrep" "$open_crash" "$open_clean" "$det" "$(( ${execs:-0} / secs ))")"
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "$line" >"$res/$t.line"
		touch "$res/$t.ok"
	else
		{
			echo "$line"
			printf '    FAIL: %s\n' "${problems[@]}"
		} >"$res/$t.line"
		touch "$res/$t.fail"
	fi
}

# 0. `tlsharness record`: one real run split into per-side, per-flight seeds.
check_record() {
	local t=./build/harness/tlsharness d="$res/record" rc=0 f
	[ -x "$t" ] || return 0
	"$t" run --impl openssl -f handshake/default -q -o "$d/run" >/dev/null 2>&1 || return 1
	"$t" record -o "$d/seeds" "$d/run" >/dev/null || return 1
	for f in openssl-server-s0-tls13 openssl-client-s0-tls13 openssl-server-s1-tls13 openssl-client-s1-tls13; do
		ls "$d/seeds/$f"/*.bin >/dev/null 2>&1 || return 1
	done
	# The server's stage-0 seed is the ClientHello: a handshake record.
	[ "$(head -c 1 "$d/seeds/openssl-server-s0-tls13/openssl--openssl--handshake_default.bin" | od -An -tx1 | tr -d ' ')" = 16 ] || return 1
	"$t" record >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || return 1
	rc=0
	"$t" record -o "$d/x" "$d/missing" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ]
}
record_ok=1
if check_record; then
	echo "tlsharness record: per-side, per-flight seeds from a run: ok"
else
	echo "tlsharness record: FAILED"
	record_ok=0
fi

jobs="${TLSH_FUZZ_JOBS:-$(nproc)}"
running=0
for t in "${targets[@]}"; do
	check_target "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait || true

passed=0
failed=0
for t in "${targets[@]}"; do
	cat "$res/$t.line" 2>/dev/null || echo "$t: no result"
	if [ -f "$res/$t.ok" ] || [ -f "$res/$t.skip" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		tail -n 40 "$res/$t.log" 2>/dev/null | sed 's/^/    | /'
	fi
done
if [ "$record_ok" -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "fuzz-regress: ${#targets[@]} targets in $((SECONDS - t0)) s (smoke ${secs}s each)"
if [ "$failed" -eq 0 ]; then echo "fuzz-regress: all ${passed} checks passed"; else echo "fuzz-regress: ${failed} of $((passed + failed)) checks FAILED"; fi
[ "$failed" -eq 0 ]

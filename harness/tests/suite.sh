#!/usr/bin/env bash
# The whole test suite, run by `just test`: each step is a command that must
# succeed. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

jobs="${TLSH_JOBS:-2}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:exitcode=86}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"
passed=0
failed=0
failures=()

# Python: every tool runs with Debian's /usr/bin/python3 and Debian's modules
# (bootstrap.sh). So that no other interpreter first on PATH (pyenv, a
# virtualenv) can make a step pass that a fresh Debian 12 fails, `python3`
# and `python` from PATH fail loudly for the whole suite.
pyguard=$(mktemp -d)
trap 'rm -rf "$pyguard"' EXIT
for p in python python3; do
	printf '#!/bin/sh\necho "suite: %s from PATH called ($0 $*): call /usr/bin/python3 explicitly" >&2\nexit 127\n' \
		"$p" >"$pyguard/$p"
	chmod +x "$pyguard/$p"
done
export PATH="$pyguard:$PATH"

step() {
	local name="$1"
	shift
	local t0=$SECONDS
	echo "=== ${name}"
	if "$@"; then
		passed=$((passed + 1))
		echo "=== ${name}: ok ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "=== ${name}: FAILED ($((SECONDS - t0)) s)"
	fi
}

# The C backends; the PEP 748 bridge needs a Python object named and has its
# own step below.
backends=$(./build/harness/tlsharness backends | grep -v '^pep748$' | paste -sd, -)

step "unit tests" meson test -C build --suite unit --print-errorlogs
step "unit tests (ASan+UBSan)" meson test -C build-asan --suite unit --print-errorlogs
step "passive wire rules flagged through a real peer (mutant-wire)" meson test -C build --suite wire --print-errorlogs
step "fresh Debian 12: Python modules from bootstrap's Debian packages, Docker build context (.dockerignore)" harness/tests/fresh.sh
step "formatting (.clang-format)" bash -c "git ls-files '*.c' '*.h' '*.cpp' | xargs clang-format --dry-run --Werror"
step "command line and bad input" harness/tests/cli.sh ./build/harness/tlsharness
step "bash completion" harness/tests/completion.sh ./build/harness/tlsharness
step "scale-out: run --shard K/N and merge equal the unsharded run" harness/tests/scaleout.sh ./build/harness/tlsharness
step "CI examples (.github/workflows, .clusterfuzzlite): YAML, paths" /usr/bin/python3 harness/tests/ci_examples.py
# `just test-impl NAME` (one backend with itself, and against the puppet):
# every instance it runs is also in the matrix below, so one backend here
# checks the recipe's path and the matrix checks all of them.
step "test-impl openssl" ./build/harness/tlsharness run --impl openssl -j "$jobs" -q -o reports/out/openssl
step "matrix ${backends}" ./build/harness/tlsharness run --matrix "$backends" -j "$jobs" -q -o reports/out/matrix
# Under ASan+UBSan: every backend with itself and against the misbehaving peer
# (every scenario and every misbehave row runs through each adapter); the cross
# pairs run in the normal build's matrix above and in the out-of-process step.
asan_impls=()
for b in ${backends//,/ }; do asan_impls+=(--impl "$b"); done
step "every backend, itself and against the puppet (ASan+UBSan)" ./build-asan/harness/tlsharness run "${asan_impls[@]}" -j "$jobs" -t 60 -q -o reports/out/asan/impls
step "matrix, both endpoints out of process" ./build/harness/tlsharness run --matrix "$backends" --endpoints oop -f 'handshake/default' -f 'alpn/*' -f 'ragged-eof/after-handshake/*' -j "$jobs" -q -o reports/out/oop
if ./build/harness/tlsharness backends | grep -qx pep748; then
	step "PEP 748 bridge: stdlib implementation (suite, matrix with openssl), faulty implementations" impls/pep748/tests/bridge.sh ./build/harness/tlsharness
fi
step "exported secrets open every record (in and out of process), secret mutants caught" bash -c "./build/harness/tests/secrets-check ${backends//,/ } && ./build/harness/tests/secrets-check --remote ${backends//,/ } && ./build/harness/tests/secrets-check --expect-fail mutant-secret-flip mutant-secret-silent"
step "socket front-end against openssl and gnutls peers" harness/tests/socket.sh ./build/harness/tlsharness
step "hostile adapters" harness/tests/hostile.sh ./build/harness/tlsharness
step "hostile adapters (ASan+UBSan)" harness/tests/hostile.sh ./build-asan/harness/tlsharness asan
step "warm hosts: sibling instances share no random value, every backend" /usr/bin/python3 harness/tests/fork_rng.py ./build/harness/tlsharness
step "warm hosts: nothing outlives the harness or its time limit" harness/tests/lifetime.sh ./build/harness/tlsharness
step "compare, report and summary.md on crafted and bad input" harness/tests/compare.sh ./build/harness/tlsharness
step "HTML report in headless Chromium" /usr/bin/python3 harness/tests/html_report.py ./build/harness/tlsharness
step "harness parsers smoke-fuzzed (oracle, expectations, reports)" fuzz/harness/smoke.sh 5
step "TLS fuzz targets: corpora and crash reproducers replayed, determinism, smoke-fuzzed" env TLSH_FUZZ_SMOKE_SECONDS=1 fuzz/regress.sh
step "nightly job with a tiny budget (docker/nightly.sh)" env TLSH_NIGHTLY_MERGE=0 TLSH_NIGHTLY_FILTER='handshake/default' TLSH_NIGHTLY_TARGETS='openssl-server-s0 boringssl-client-s0' docker/nightly.sh 8 reports/out/nightly-test
step "reports valid against reports/schema" bash -c '/usr/bin/python3 reports/validate.py reports/out/*/report.json reports/out/asan/*/report.json'
step "HTML page of every report (reports/out/index.html)" bash -c './build/harness/tlsharness report -o reports/out/index.html reports/out/*/report.json'
# Every mutant caught (the exit status), and every scenario caught by at least
# one mutant that names it in its catch list (--quick: each mutant runs only
# those; the summary line must read N of N).
mutation_all() {
	local log
	log=$(mktemp)
	./build/harness/tlsharness mutation --quick -j "$jobs" | tee "$log"
	local rc=${PIPESTATUS[0]}
	if ! grep -Eq '^scenarios caught by at least one mutant: ([0-9]+) of \1$' "$log"; then
		echo "suite: some scenario is caught by no mutant (listed above)" >&2
		rc=1
	fi
	rm -f "$log"
	return "$rc"
}
step "mutants caught, every scenario caught by one" mutation_all

echo
if [ "$failed" -gt 0 ]; then
	printf 'failed step: %s\n' "${failures[@]}"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

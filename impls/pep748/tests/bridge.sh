#!/usr/bin/env bash
# Tests of the PEP 748 bridge (impls/pep748), run by harness/tests/suite.sh:
#   impls/pep748/tests/bridge.sh TLSHARNESS [OUT_DIR]
# 1. the stdlib implementation's own unit tests (Debian's python3, which the
#    bridge embeds);
# 2. the stdlib implementation, named explicitly, through the whole suite and
#    in the matrix with openssl: nothing may fail the run;
# 3. deliberately faulty implementations (tests/tlsh_pep748_faulty.py): a
#    Python exception is HARNESS-ERROR with its traceback, never a crash; an
#    implementation whose buffers lack process_incoming_eof gets no
#    TRANSPORT_EOF; an unknown capability refuses the backend.
set -uo pipefail
cd "$(dirname "$0")/../../.."
t="${1:?usage: bridge.sh TLSHARNESS [OUT_DIR]}"
out="${2:-reports/out/pep748-bridge}"
mkdir -p "$out"
jobs="${TLSH_JOBS:-2}"
spec="pep748:tlsh_pep748.stdlib:IMPLEMENTATION"
passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
}

if /usr/bin/python3 -I -B impls/pep748/tests/test_stdlib.py >"$out.unit.log" 2>&1; then
	ok "tlsh_pep748.stdlib unit tests"
else
	cat "$out.unit.log"
	not_ok "tlsh_pep748.stdlib unit tests"
fi
rm -f "$out.unit.log"

if "$t" run --impl "$spec" -j "$jobs" -q -o "$out/stdlib" >/dev/null; then
	ok "$spec: every scenario"
else
	not_ok "$spec: every scenario (see $out/stdlib/summary.md)"
fi
if "$t" run --matrix "$spec,openssl" -j "$jobs" -q -o "$out/matrix" >/dev/null; then
	ok "$spec x openssl matrix"
else
	not_ok "$spec x openssl matrix (see $out/matrix/summary.md)"
fi

# Faulty implementations.
export TLSH_PEP748_PATH="$PWD/impls/pep748/tests"
# check NAME FILTER VERDICT PATTERN: every result is VERDICT and PATTERN is
# in its observed text or detail.
check() {
	local name="$1" filter="$2" verdict="$3" pattern="$4" dir="$out/faulty-$1"
	"$t" run --impl "pep748:tlsh_pep748_faulty:$name" -f "$filter" -q -o "$dir" >/dev/null 2>&1
	local rc=$?
	if /usr/bin/python3 - "$dir/report.json" "$verdict" "$pattern" <<'PY'; then
import json, re, sys
report, verdict, pattern = sys.argv[1:]
results = json.load(open(report))["results"]
assert results, "no results"
for r in results:
    assert r["verdict"] == verdict, f"{r['id']}: {r['verdict']}, expected {verdict}: {r['observed']}"
    text = r["observed"] + "\n" + r["error"]
    assert re.search(pattern, text), f"{r['id']}: /{pattern}/ not in {text!r}"
PY
		ok "faulty $name: $verdict ($filter, exit $rc)"
	else
		not_ok "faulty $name: $verdict ($filter)"
	fi
}
check RAISE_IN_HANDSHAKE 'handshake/default' HARNESS-ERROR \
	'do_handshake returned -748(.|\n)*Traceback(.|\n)*ValueError: deliberate failure in do_handshake'
check BAD_READ 'handshake/transfer/*' HARNESS-ERROR 'read returned -748(.|\n)*returned str, not bytes'
check RAISE_IN_CIPHER 'handshake/default' HARNESS-ERROR \
	'negotiated_tls_version returned 0x748(.|\n)*KeyError'
check NO_EOF 'ragged-eof/after-handshake/*' UNSUPPORTED 'missing: TRANSPORT_EOF'
check NO_EOF 'handshake/default' PASS '.'
"$t" probe pep748:tlsh_pep748_faulty:UNKNOWN_CAPABILITY >/dev/null 2>"$out.probe.log"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "unknown capability 'TELEPORT'" "$out.probe.log"; then
	ok "faulty UNKNOWN_CAPABILITY: refused (exit $rc)"
else
	cat "$out.probe.log"
	not_ok "faulty UNKNOWN_CAPABILITY: refused"
fi
rm -f "$out.probe.log"

echo "pep748 bridge: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

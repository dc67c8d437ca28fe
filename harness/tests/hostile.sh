#!/usr/bin/env bash
# Hostile adapters (impls/mutants/hostile.c) must each give a clear verdict
# for the scenarios they touch, while the run goes on (the openssl x openssl
# pair of the same matrix still passes) and the report stays valid.
# Usage: hostile.sh PATH-TO-tlsharness [asan]
set -uo pipefail
bin="$1"
asan="${2:-}"
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

# check KIND SCENARIO VERDICT PATTERN
check() {
	local kind="$1" scen="$2" want="$3" pattern="$4" out="$tmp/$1"
	# A hang needs a short limit to be quick; everything else ends by itself,
	# and a sanitizer's report of a crash may take seconds on a loaded machine.
	local limit=20
	[ "$want" = TIMEOUT ] && limit=3
	"$bin" run --matrix "hostile-$kind,openssl" -f "$scen" -t "$limit" -q --no-expectations -o "$out" >"$out.log" 2>&1
	local status=$?
	n=$((n + 1))
	if /usr/bin/python3 - "$out/report.json" "$want" "$pattern" "$status" <<'PY'; then
import json, re, sys
path, want, pattern, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = json.load(open(path))
assert d["run"]["complete"], "run not complete"
assert status == 1, f"exit status {status}, want 1"
seen = {}
for r in d["results"]:
    seen[(r["client"], r["server"])] = r
ok = seen[("openssl", "openssl")]
assert ok["verdict"] == "PASS", f"openssl x openssl: {ok['verdict']}"
for pair in [("hostile-" + path.split("/")[-2], "openssl"), ("openssl", "hostile-" + path.split("/")[-2])]:
    r = seen[pair]
    assert r["verdict"] == want, f"{pair}: {r['verdict']} ({r['observed']}), want {want}"
    assert re.search(pattern, r["observed"] + " " + r["error"]), f"{pair}: /{pattern}/ not in {r['observed']!r}"
PY
		echo "ok $n - hostile-$kind: $want, as client and as server (out of process), run completed"
	else
		echo "not ok $n - hostile-$kind"
		bad=$((bad + 1))
	fi
}

check segv handshake/default CRASH "signal 11|SEGV|exited with status 8[67]"
check abort handshake/default CRASH "signal 6"
check hang handshake/default TIMEOUT "time limit"
check spin handshake/default TIMEOUT "time limit"
check exit handshake/default CRASH "no result|exited"
check big-read handshake/default HARNESS-ERROR "read reported .* bytes into"
check big-out handshake/default HARNESS-ERROR "process_outgoing reported"
check bad-status handshake/default HARNESS-ERROR "not a tlsh_status"
check null-ctx handshake/default HARNESS-ERROR "no context"
check bad-alert 'handshake/trust/unknown-ca/rsa/tls13' HARNESS-ERROR "alert 999"
check closed-write handshake/default HARNESS-ERROR "write returned CLOSED"
# One byte past cap: the canary after the exact-size buffer names the call,
# without ASan too; as client in process and as server in the endpoint host.
check over-by-one handshake/default HARNESS-ERROR "read wrote past the [0-9]+-byte buffer"
if [ "$asan" = asan ]; then
	check wild-write handshake/default CRASH "AddressSanitizer|stack-buffer-overflow|exited with status 86"
fi
echo "1..$n"
[ "$bad" -eq 0 ]

#!/usr/bin/env bash
# Smoke-fuzzes the harness's own parsers for a few seconds each, seeded from
# harness/pki-free seeds made here (a real transcript, a real expectations
# file), and fails on any finding. Usage: smoke.sh [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-5}
out=$("$here/build.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/oracle" "$work/rewrite" "$work/der" "$work/expect" "$work/report" "$work/recprot"
# Seeds: transcripts and reports from a real run, the expectations files.
"$top/build/harness/tlsharness" run --impl openssl -f 'handshake/default' -f 'alpn/no-overlap/*' -q -o "$work/run" >/dev/null 2>&1 || true
i=0
for t in "$work"/run/transcripts/*/*.tlstr; do
	[ -f "$t" ] || continue
	/usr/bin/python3 - "$t" "$work/oracle/seed$i" "$i" "$work/rewrite" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()[8:]
c2s, s2c, off = b"", b"", 0
while off + 5 <= len(data):
    d, n = data[off], struct.unpack(">I", data[off + 1:off + 5])[0]
    seg = data[off + 5:off + 5 + n]
    off += 5 + n
    if d == 0: c2s += seg
    else: s2c += seg
open(sys.argv[2], "wb").write(struct.pack(">H", len(c2s)) + c2s + s2c)
# fuzz_rewrite: mutation i, the client direction rewritten whole, then the
# server's bytes observed.
for i, step in ((0, 0), (int(sys.argv[3]) * 7 % 256, 2)):
    open(sys.argv[4] + "/seed%s-%d" % (sys.argv[3], i), "wb").write(
        bytes([i, step]) + struct.pack(">H", len(c2s)) + c2s + s2c)
PY
	i=$((i + 1))
done
cp "$top"/impls/*/expectations.json "$work/expect/" 2>/dev/null || true
cp "$top"/harness/pki/*.der "$top"/harness/pki/rsa-ip6.pem "$top"/harness/pki/ecdsa-wild.pem "$work/der/"
cp "$work/run/report.json" "$work/report/" 2>/dev/null || true
# recprot: key logs (selector byte 0) and protected records of the unit
# test's fixtures (selector 1, suite, sequence, padding, record).
for k in "$top"/harness/tests/recprot/*.keylog; do
	{ printf '\0'; cat "$k"; } >"$work/recprot/$(basename "$k").seed"
done
for t in "$top"/harness/tests/recprot/*.tlstr; do
	{ printf '\1\0\0\0'; tail -c +14 "$t" | head -c 600; } >"$work/recprot/$(basename "$t").seed"
done
status=0
for t in oracle rewrite der expect report recprot; do
	[ -x "$out/fuzz_$t" ] || continue
	echo "fuzz_$t: ${secs}s"
	if ! "$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$work/crash-$t-" "$work/$t" >"$work/$t.log" 2>&1; then
		echo "fuzz_$t found a problem:"
		tail -30 "$work/$t.log"
		status=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$work/$t.log" | tail -2
	fi
done
exit "$status"

#!/usr/bin/env bash
# Bad input to the command line gets exit status 2 and a message naming the
# problem; good runs write valid reports. Usage: cli.sh PATH-TO-tlsharness
set -uo pipefail
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

# expect STATUS PATTERN -- command...
expect() {
	local want="$1" pattern="$2"
	shift 3
	local out status
	out=$("$@" 2>&1)
	status=$?
	n=$((n + 1))
	if [ "$status" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
		echo "not ok $n - $* (status $status, want $want, /$pattern/)"
		echo "$out" | head -5 | sed 's/^/#   /'
		bad=$((bad + 1))
	else
		echo "ok $n - $* -> $status"
	fi
}

expect 2 "unknown command" -- "$bin" frobnicate
expect 2 "usage" -- "$bin"
expect 0 "usage" -- "$bin" --help
expect 2 "unknown backend 'nosuch'" -- "$bin" run --impl nosuch -o "$tmp/a"
expect 2 "no such file" -- "$bin" run --impl /nonexistent/adapter.so -o "$tmp/a"
expect 2 "unknown or incomplete option" -- "$bin" run --impl openssl --bogus
expect 2 "exactly one of" -- "$bin" run -o "$tmp/a"
expect 2 "go together" -- "$bin" run --client openssl -o "$tmp/a"
expect 2 "--jobs takes" -- "$bin" run --impl openssl -j 0
expect 2 "--timeout takes" -- "$bin" run --impl openssl -t abc
expect 2 "--endpoints takes" -- "$bin" run --impl openssl --endpoints sideways
expect 2 "no scenario matches" -- "$bin" run --impl openssl -f 'nothing/*' -o "$tmp/a"
expect 2 "cannot read expectations" -- "$bin" run --impl openssl --expectations openssl=/nonexistent.json -f 'handshake/default' -o "$tmp/a"
printf '{"schema": 1, "backend": "openssl", "expectations": [' >"$tmp/trunc.json"
expect 2 "not valid JSON" -- "$bin" run --impl openssl --expectations "openssl=$tmp/trunc.json" -f 'handshake/default' -o "$tmp/a"
printf '{"schema": 1, "backend": "openssl", "expectations": [{"id": "x", "verdict": "XFAIL"}]}' >"$tmp/noreason.json"
expect 2 "reason" -- "$bin" run --impl openssl --expectations "openssl=$tmp/noreason.json" -f 'handshake/default' -o "$tmp/a"
printf '{"schema": 1, "backend": "gnutls", "expectations": []}' >"$tmp/other.json"
expect 2 "is for backend 'gnutls'" -- "$bin" run --impl openssl --expectations "openssl=$tmp/other.json" -f 'handshake/default' -o "$tmp/a"
expect 2 "cannot create report folder" -- "$bin" run --impl openssl -f 'handshake/default' -o /proc/forbidden/x
expect 2 "probe takes one" -- "$bin" probe
expect 2 "unknown backend" -- "$bin" probe nosuch

# A good run: exit 0, valid JSON report with the run marked complete, JUnit.
expect 0 "report:" -- "$bin" run --impl openssl -f 'handshake/default' -o "$tmp/good"
n=$((n + 1))
if /usr/bin/python3 -c "import json,sys; d=json.load(open('$tmp/good/report.json')); sys.exit(0 if d['run']['complete'] and d['schema_version']==1 and d['results'][0]['verdict']=='PASS' else 1)" 2>/dev/null &&
	grep -q '<testsuites' "$tmp/good/junit.xml"; then
	echo "ok $n - report.json complete and valid, junit.xml written"
else
	echo "not ok $n - report.json / junit.xml"
	bad=$((bad + 1))
fi
# A mutant run: exit 1 (FAIL is a bad verdict).
expect 1 "FAIL" -- "$bin" run --client mutant-eof-clean --server openssl -f 'ragged-eof/*' -o "$tmp/mut"
# An expectations entry that matches a passing scenario gives XPASS, a bad verdict.
printf '{"schema": 1, "backend": "openssl", "expectations": [{"id": "handshake/default", "verdict": "XFAIL", "reason": "stale entry for testing XPASS"}]}' >"$tmp/stale.json"
expect 1 "XPASS" -- "$bin" run --impl openssl --expectations "openssl=$tmp/stale.json" -f 'handshake/default' -o "$tmp/x"
# An expectations entry that matches a failing scenario gives XFAIL, exit 0.
printf '{"schema": 1, "backend": "mutant-eof-clean", "expectations": [{"id": "ragged-eof/after-handshake/to-client/*", "role": "client", "verdict": "XFAIL", "reason": "this mutant reports clean ends"}]}' >"$tmp/mx.json"
expect 0 "XFAIL" -- "$bin" run --client mutant-eof-clean --server openssl --expectations "mutant-eof-clean=$tmp/mx.json" -f 'ragged-eof/after-handshake/to-client/*' -o "$tmp/mx"
# An earlier complete report is never replaced by a partial one: SIGINT.
"$bin" run --impl openssl -f 'handshake/default' -q -o "$tmp/int" >/dev/null 2>&1
before=$(md5sum <"$tmp/int/report.json")
"$bin" run --impl openssl -q -o "$tmp/int" >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
status=$?
n=$((n + 1))
if [ "$status" -eq 130 ] && [ "$(md5sum <"$tmp/int/report.json")" = "$before" ] &&
	/usr/bin/python3 -c "import json,sys; d=json.load(open('$tmp/int/report.partial.json')); sys.exit(0 if not d['run']['complete'] and d['run']['interrupted'] else 1)"; then
	echo "ok $n - SIGINT: exit 130, partial report marked incomplete, earlier report kept"
else
	echo "not ok $n - SIGINT handling (status $status)"
	bad=$((bad + 1))
fi
echo "1..$n"
[ "$bad" -eq 0 ]

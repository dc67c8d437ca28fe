#!/usr/bin/env bash
# Bad input to the command line gets exit status 2 and a one-line message
# naming the problem; --help and --version; good runs write valid reports;
# the report folder is checked and locked before the run; --rerun.
# Usage: cli.sh PATH-TO-tlsharness
set -uo pipefail
bin="$1"
builddir="$(cd "$(dirname "$bin")/.." && pwd)"
tmp=$(mktemp -d)
chmod 755 "$tmp" # the unwritable-folder check below runs as another user
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

# py CHECK FILE: a Python expression over the JSON document d must hold.
py() {
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$2"
}
# check NAME COMMAND...: the command must succeed.
check() {
	local name="$1"
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		bad=$((bad + 1))
	fi
}

expect 2 "unknown command" -- "$bin" frobnicate
expect 2 "usage" -- "$bin"
expect 0 "usage" -- "$bin" --help
expect 2 "unknown option '-x'" -- "$bin" -x

# --version: the project version of meson.build, the one every report records.
version="$(meson introspect "$builddir" --projectinfo | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
expect 0 "^tlsharness ${version//./\\.}\$" -- "$bin" --version
expect 0 "^tlsharness ${version//./\\.}\$" -- "$bin" -V

# --help and -h of every subcommand: its own usage on stdout, exit 0; a bad
# option or argument: exit 2 with a line naming it.
for cmd in run list backends probe mutation record report compare merge; do
	for h in --help -h; do
		out=$("$bin" "$cmd" "$h" 2>"$tmp/err")
		status=$?
		n=$((n + 1))
		if [ "$status" -eq 0 ] && grep -q "^usage: tlsharness $cmd" <<<"$out" && ! [ -s "$tmp/err" ]; then
			echo "ok $n - $cmd $h: usage on stdout, exit 0"
		else
			echo "not ok $n - $cmd $h (status $status)"
			bad=$((bad + 1))
		fi
	done
done
for cmd in run list backends probe mutation record compare merge; do
	expect 2 "^tlsharness $cmd: unknown or ambiguous option '--bogus'" -- "$bin" "$cmd" --bogus
done
expect 2 "^tlsharness run: unknown option '-Z'" -- "$bin" run -Z
expect 2 "^tlsharness run: option '--impl' needs a value" -- "$bin" run --impl
expect 2 "^tlsharness run: option '-j' needs a value" -- "$bin" run --impl openssl -j
expect 2 "^tlsharness mutation: option '--manifest' needs a value" -- "$bin" mutation --manifest
expect 2 "^tlsharness merge: option '--out' needs a value" -- "$bin" merge --out
expect 2 "unexpected argument 'extra'" -- "$bin" backends extra
expect 2 "unexpected argument 'extra'" -- "$bin" mutation extra
expect 2 "unexpected argument 'extra'" -- "$bin" run --impl openssl extra
expect 2 "probe takes one backend name" -- "$bin" probe openssl gnutls
expect 2 "--jobs takes a number from 1 to 64, not '0'" -- "$bin" mutation -j 0
expect 2 "--timeout takes seconds from 1 to 3600, not '2x'" -- "$bin" mutation -t 2x
expect 2 "cannot open|No such file" -- "$bin" mutation --manifest /nonexistent.json
expect 2 "give at least one report folder" -- "$bin" record
expect 2 "give the reports to merge" -- "$bin" merge
expect 2 "no scenario matches 'nothing/\\*'" -- "$bin" list 'nothing/*'
expect 2 "unknown backend 'nosuch'" -- "$bin" run --impl nosuch -o "$tmp/a"
expect 2 "no such file" -- "$bin" run --impl /nonexistent/adapter.so -o "$tmp/a"
expect 2 "adapter '$builddir/impls' is a folder, not an adapter .so" -- "$bin" run --impl "$builddir/impls" -o "$tmp/a"
expect 2 "is a folder, not an adapter .so" -- "$bin" probe "$builddir/impls/"
expect 2 "exactly one of" -- "$bin" run -o "$tmp/a"
expect 2 "go together" -- "$bin" run --client openssl -o "$tmp/a"
expect 2 "--jobs takes" -- "$bin" run --impl openssl -j 0
expect 2 "--timeout takes" -- "$bin" run --impl openssl -t abc
expect 2 "--endpoints takes" -- "$bin" run --impl openssl --endpoints sideways
for v in 0/3 4/3 1/0 3 /3 1/ a/b 1/3x -1/3; do
	expect 2 "--shard takes K/N with 1 <= K <= N" -- "$bin" run --impl openssl --shard "$v"
done
expect 2 "exclude each other" -- "$bin" run --impl openssl --no-expectations --expectations "openssl=$tmp/x.json"
for v in openssl =x.json openssl= nofile; do
	expect 2 "--expectations takes NAME=FILE, not '$v'" -- "$bin" run --impl openssl --expectations "$v"
done
# An --expectations name that is not a backend of the run: exit 2, not ignored.
expect 2 "--expectations names backend 'opensll', which is not in this run \\(openssl\\)" -- \
	"$bin" run --impl openssl --expectations "opensll=$tmp/x.json" -f 'handshake/default' -o "$tmp/a"
expect 2 "no scenario matches" -- "$bin" run --impl openssl -f 'nothing/*' -o "$tmp/a"
expect 2 "cannot read expectations" -- "$bin" run --impl openssl --expectations openssl=/nonexistent.json -f 'handshake/default' -o "$tmp/a"
printf '{"schema": 1, "backend": "openssl", "expectations": [' >"$tmp/trunc.json"
expect 2 "not valid JSON" -- "$bin" run --impl openssl --expectations "openssl=$tmp/trunc.json" -f 'handshake/default' -o "$tmp/a"
printf '{"schema": 1, "backend": "openssl", "expectations": [{"id": "x", "verdict": "XFAIL"}]}' >"$tmp/noreason.json"
expect 2 "expectations\\[0\\] has no \"reason\"" -- "$bin" run --impl openssl --expectations "openssl=$tmp/noreason.json" -f 'handshake/default' -o "$tmp/a"
printf '{"schema": 1, "backend": "openssl", "expectations": [{"id": "x", "verdict": "XFAIL", "reason": "flaky"}]}' >"$tmp/shortreason.json"
expect 2 "expectations\\[0\\] has a \"reason\" of 5 character\\(s\\): say why in at least 10" -- "$bin" run --impl openssl --expectations "openssl=$tmp/shortreason.json" -f 'handshake/default' -o "$tmp/a"
: >"$tmp/empty.json"
expect 2 "$tmp/empty.json: empty file, not valid JSON" -- "$bin" run --impl openssl --expectations "openssl=$tmp/empty.json" -f 'handshake/default' -o "$tmp/a"
printf ' \n' >"$tmp/blank.json"
expect 2 "$tmp/blank.json: empty file, not valid JSON" -- "$bin" run --impl openssl --expectations "openssl=$tmp/blank.json" -f 'handshake/default' -o "$tmp/a"
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

# Every report records the version --version prints.
check "report.json records harness version $version" py "d['harness']['version'] == '$version'" "$tmp/good/report.json"

# A backend named twice runs once: by the same name, or by its name and its path.
expect 0 "report:" -- "$bin" run --impl openssl --impl openssl -f 'handshake/default' -o "$tmp/twice"
check "--impl openssl --impl openssl: one pair, one result" \
	py "len(d['results']) == 1 and len(d['pairs']) == 1 and len(d['backends']) == 1" "$tmp/twice/report.json"
expect 0 "report:" -- "$bin" run --matrix "openssl,openssl,$builddir/impls/openssl/tlsh-openssl.so" -f 'handshake/default' -o "$tmp/twice-m"
check "--matrix openssl,openssl,PATH-TO-openssl: one pair, one result" \
	py "len(d['results']) == 1 and len(d['pairs']) == 1 and len(d['backends']) == 1" "$tmp/twice-m/report.json"
expect 0 "0 regression" -- "$bin" compare "$tmp/twice/report.json" "$tmp/twice-m/report.json"
# Two different adapters that call themselves by one name cannot share a run.
if "$bin" backends | grep -qx pep748; then
	expect 2 "two adapters that both call themselves 'pep748-faulty'" -- \
		env TLSH_PEP748_PATH="$(cd "$(dirname "$0")/../../impls/pep748/tests" && pwd)" \
		"$bin" run --matrix pep748:tlsh_pep748_faulty:BAD_READ,pep748:tlsh_pep748_faulty:RAISE_IN_CIPHER -f 'handshake/default' -o "$tmp/a"
fi

# The report folder is checked before any scenario starts: a file, a folder
# that cannot be written. Nothing ran: no progress line.
touch "$tmp/afile"
expect 2 "^tlsharness: report folder $tmp/afile is a file, not a folder\$" -- "$bin" run --impl openssl -o "$tmp/afile"
mkdir "$tmp/ro"
chmod 555 "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
	expect 2 "^tlsharness: cannot write in report folder $tmp/ro: Permission denied\$" -- "$bin" run --impl openssl -o "$tmp/ro"
elif command -v setpriv >/dev/null; then
	# root writes anywhere: the same as an unprivileged user.
	expect 2 "^tlsharness: cannot write in report folder $tmp/ro: Permission denied\$" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" run --impl openssl -o "$tmp/ro"
else
	n=$((n + 1))
	echo "ok $n # skip unwritable folder: running as root without setpriv"
fi
expect 2 "^tlsharness merge: report folder $tmp/afile is a file, not a folder" -- "$bin" merge -o "$tmp/afile" "$tmp/good/report.json"

# One run per folder: a second run into the folder of a running one is exit 2
# naming the first one's pid; the first one finishes with its report.
"$bin" run --impl openssl -f 'handshake/*' -j 1 -q -o "$tmp/busy" >/dev/null 2>&1 &
first=$!
for _ in $(seq 100); do
	[ "$(cat "$tmp/busy/.tlsharness.lock" 2>/dev/null)" = "$first" ] && break
	sleep 0.1
done
expect 2 "^tlsharness: another tlsharness \\(pid $first\\) is writing into $tmp/busy" -- \
	"$bin" run --impl openssl -f 'handshake/default' -o "$tmp/busy"
expect 2 "another tlsharness \\(pid $first\\) is writing into $tmp/busy" -- \
	"$bin" merge -o "$tmp/busy" "$tmp/good/report.json"
kill -0 "$first" 2>/dev/null
check "the first run was still running when the second was refused" [ $? -eq 0 ]
wait "$first"
status=$?
check "the first run finished (exit $status) with a complete report of every handshake/* instance" \
	py "d['run']['complete'] and len(d['results']) == $("$bin" list 'handshake/*' 2>/dev/null | wc -l)" "$tmp/busy/report.json"
# The lock dies with its process, SIGKILL included.
"$bin" run --impl openssl -f 'handshake/*' -j 1 -q -o "$tmp/killed" >/dev/null 2>&1 &
first=$!
for _ in $(seq 100); do
	[ "$(cat "$tmp/killed/.tlsharness.lock" 2>/dev/null)" = "$first" ] && break
	sleep 0.1
done
{
	kill -KILL "$first"
	wait "$first"
} 2>/dev/null
expect 0 "report:" -- "$bin" run --impl openssl -f 'handshake/default' -o "$tmp/killed"

# --rerun: only the FAIL/XPASS/CRASH/TIMEOUT/HARNESS-ERROR instances of a
# report, on its backends and seed.
"$bin" run --client mutant-eof-clean --server openssl -f 'ragged-eof/*' -f 'handshake/default' --seed 7 -q -o "$tmp/rr-src" >/dev/null 2>&1
expect 1 "FAIL" -- "$bin" run --rerun "$tmp/rr-src/report.json" -o "$tmp/rr"
/usr/bin/python3 - "$tmp/rr-src/report.json" "$tmp/rr/report.json" <<'PY' && check "--rerun ran exactly the bad instances, with the report's seed" true || check "--rerun ran exactly the bad instances, with the report's seed" false
import json, sys
src, rr = (json.load(open(p)) for p in sys.argv[1:])
bad = {"FAIL", "XPASS", "CRASH", "TIMEOUT", "HARNESS-ERROR"}
want = {(r["id"], r["client"], r["server"]) for r in src["results"] if r["verdict"] in bad}
got = {(r["id"], r["client"], r["server"]) for r in rr["results"]}
assert want and len(want) < len(src["results"]), "the source report needs bad and good results"
assert got == want, (sorted(want ^ got))
assert rr["run"]["seed"] == 7 and rr["run"]["rerun_of"] == sys.argv[1]
PY
expect 0 "nothing to rerun" -- "$bin" run --rerun "$tmp/good/report.json"
expect 0 "none of the [0-9]+ instance\\(s\\) to rerun .* matches the filter" -- "$bin" run --rerun "$tmp/rr-src/report.json" -f 'handshake/*' -o "$tmp/rr2"
printf '{"schema": "tlsharness-report", "schema_version": 1, "results": [' >"$tmp/rr-corrupt.json"
expect 2 "^tlsharness: $tmp/rr-corrupt.json: truncated JSON" -- "$bin" run --rerun "$tmp/rr-corrupt.json"
expect 2 "^tlsharness: $tmp/nosuch.json: cannot read" -- "$bin" run --rerun "$tmp/nosuch.json"
expect 2 "is to rerun, but this run has no pair mutant-eof-clean -> openssl" -- "$bin" run --impl openssl --rerun "$tmp/rr-src/report.json" -o "$tmp/rr3"
sed 's/"ragged-eof\//"gone-family\//' "$tmp/rr-src/report.json" >"$tmp/rr-gone.json"
expect 2 "this tlsharness has no scenario 'gone-family/" -- "$bin" run --rerun "$tmp/rr-gone.json" -o "$tmp/rr3"
echo "1..$n"
[ "$bad" -eq 0 ]

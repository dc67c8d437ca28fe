#!/usr/bin/env bash
# `tlsharness compare` on crafted reports: regressions, fixes, other verdict
# changes, new and removed instances, exit status 1 only on a regression, bad
# input (corrupt, truncated, other schema or schema_version, ...) -> 2 with a
# message naming the file and the problem; `compare --backends`; bad input to
# `tlsharness report`; summary.md beside report.json.
# Usage: compare.sh PATH-TO-tlsharness
set -uo pipefail
bin="$1"
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

# expect STATUS PATTERN -- command...: the status, and PATTERN in the output.
expect() {
	local want="$1" pattern="$2"
	shift 3
	local status
	"$@" >"$tmp/out" 2>&1
	status=$?
	n=$((n + 1))
	if [ "$status" -ne "$want" ] || ! grep -qE -- "$pattern" "$tmp/out"; then
		echo "not ok $n - $* (status $status, want $want, /$pattern/)"
		head -8 "$tmp/out" | sed 's/^/#   /'
		bad=$((bad + 1))
	else
		echo "ok $n - $* -> $status /$pattern/"
	fi
}

# ok CONDITION-COMMAND DESCRIPTION
ok() {
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		bad=$((bad + 1))
	fi
}

# section TITLE: the lines of one section of the last output ("Title (N):" up
# to the next blank line).
section() {
	awk -v t="$1" 'index($0, t " (") == 1 {on = 1; next} on && /^$/ {on = 0} on' "$tmp/out"
}

"$bin" run --impl openssl -f 'alpn/*' -q -o "$tmp/base" >/dev/null
ok '[ -f "$tmp/base/report.json" ]' "a base report (openssl, alpn/*)"

/usr/bin/python3 - "$tmp" <<'EOF'
import copy, json, sys
tmp = sys.argv[1]
base = json.load(open(f"{tmp}/base/report.json"))
VERDICTS = ["PASS", "PASS-LOOSE", "FAIL", "UNSUPPORTED", "XFAIL", "XPASS", "CRASH", "TIMEOUT", "HARNESS-ERROR"]

def find(doc, i):
    return next(r for r in doc["results"] if r["id"] == i)

def set_v(doc, i, v, observed=None, reason=None):
    r = find(doc, i)
    r["verdict"] = v
    if v not in ("XFAIL", "XPASS"):
        r["raw_verdict"] = v
    if observed:
        r["observed"] = observed
    if reason:
        r["xfail_reason"] = reason

def write(name, doc):
    doc["summary"] = {v: sum(r["verdict"] == v for r in doc["results"]) for v in VERDICTS}
    doc["summary"]["total"] = len(doc["results"])
    json.dump(doc, open(f"{tmp}/{name}.json", "w"), indent=1)

old, new = copy.deepcopy(base), copy.deepcopy(base)
set_v(old, "alpn/no-overlap/tls12", "FAIL", "server completed the handshake although no protocol overlaps")
set_v(old, "alpn/long-list/tls13", "XFAIL", reason="listed")
set_v(new, "alpn/long-list/tls13", "XPASS", reason="listed")
set_v(new, "alpn/overlap/tls13", "FAIL", "client reported no protocol")
set_v(new, "alpn/overlap/tls12", "PASS-LOOSE", "right outcome, other alert")
new["results"] = [r for r in new["results"] if r["id"] != "alpn/raw/nul-byte/tls13"]
extra = copy.deepcopy(find(base, "alpn/overlap/tls12"))
extra["id"] = "alpn/extra/brand-new"
new["results"].append(extra)
write("old", old)
write("new", new)
write("base", base)

# Every good -> bad transition is a regression; bad -> bad and good -> good are other changes.
good = ["PASS", "PASS-LOOSE", "XFAIL", "UNSUPPORTED"]
badv = ["FAIL", "XPASS", "CRASH", "TIMEOUT", "HARNESS-ERROR"]
o2, n2 = copy.deepcopy(base), copy.deepcopy(base)
ids = [r["id"] for r in base["results"]]
k = 0
for g in good:
    for b in badv:
        set_v(o2, ids[k], g, reason="r" if g == "XFAIL" else None)
        set_v(n2, ids[k], b, reason="r" if b == "XPASS" else None)
        k += 1
set_v(o2, ids[20], "FAIL")
set_v(n2, ids[20], "CRASH")
set_v(n2, ids[21], "UNSUPPORTED")
write("allold", o2)
write("allnew", n2)
# Only a fix.
fixed = copy.deepcopy(base)
set_v(fixed, "alpn/no-overlap/tls13", "FAIL")
write("fixold", fixed)

# Bad input.
text = json.dumps(base, indent=1)
open(f"{tmp}/truncated.json", "w").write(text[: len(text) // 2])
open(f"{tmp}/corrupt.json", "w").write('{"schema": "tlsharness-report", "schema_version": 1, oops}')
open(f"{tmp}/empty.json", "w").write("")
open(f"{tmp}/array.json", "w").write("[1, 2]")
d = copy.deepcopy(base); d["schema"] = "junit-json"; json.dump(d, open(f"{tmp}/otherschema.json", "w"))
d = copy.deepcopy(base); del d["schema"]; json.dump(d, open(f"{tmp}/noschema.json", "w"))
d = copy.deepcopy(base); d["schema_version"] = 2; json.dump(d, open(f"{tmp}/v2.json", "w"))
d = copy.deepcopy(base); del d["results"][3]["verdict"]; json.dump(d, open(f"{tmp}/noverdict.json", "w"))
d = copy.deepcopy(base); d["results"][5]["verdict"] = "MAYBE"; json.dump(d, open(f"{tmp}/badverdict.json", "w"))
d = copy.deepcopy(base); d["results"][2]["alerts"]["client_sent"] = 300; json.dump(d, open(f"{tmp}/badalert.json", "w"))
d = copy.deepcopy(base); d["results"].append(copy.deepcopy(d["results"][0])); json.dump(d, open(f"{tmp}/dup.json", "w"))
d = copy.deepcopy(base); d["results"] = {}; json.dump(d, open(f"{tmp}/noresults.json", "w"))
EOF
ok '/usr/bin/python3 "$top/reports/validate.py" "$tmp"/{old,new,allold,allnew,fixold}.json >/dev/null' \
	"the crafted reports are valid against reports/schema"
# reports/validate.py rejects what the schema forbids, naming the file and the place.
v="$top/reports/validate.py"
expect 1 "badverdict.json: results/5/verdict: 'MAYBE' is not one of" -- /usr/bin/python3 "$v" "$tmp/badverdict.json"
expect 1 "badalert.json: results/2/alerts/client_sent: 300 is greater than the maximum of 255" -- \
	/usr/bin/python3 "$v" "$tmp/badalert.json"
expect 1 "noverdict.json: results/3: 'verdict' is a required property" -- /usr/bin/python3 "$v" "$tmp/noverdict.json"
expect 1 "v2.json: not a tlsharness report of a known schema_version \(found 2\)" -- /usr/bin/python3 "$v" "$tmp/v2.json"
expect 2 "corrupt.json: cannot read report: " -- /usr/bin/python3 "$v" "$tmp/old.json" "$tmp/corrupt.json"

# OLD NEW: every kind of change, exit 1 for the regressions.
expect 1 "2 regression\(s\), 1 fix\(es\), 1 other change\(s\), 1 new, 1 removed; 17 unchanged" -- \
	"$bin" compare "$tmp/old.json" "$tmp/new.json"
ok 'section Regressions | grep -q "PASS -> FAIL .*alpn/overlap/tls13  \[openssl -> openssl\]" &&
	section Regressions | grep -q "XFAIL -> XPASS .*alpn/long-list/tls13" &&
	section Regressions | grep -q "now: client reported no protocol"' "regressions: PASS -> FAIL and XFAIL -> XPASS, with the observed text"
ok 'section Fixes | grep -q "FAIL -> PASS .*alpn/no-overlap/tls12" && [ "$(section Fixes | grep -c " -> ")" -eq 1 ]' \
	"fixes: FAIL -> PASS"
ok 'section "Other verdict changes" | grep -q "PASS -> PASS-LOOSE .*alpn/overlap/tls12"' "other changes: PASS -> PASS-LOOSE"
ok 'section "New scenario instances" | grep -q "alpn/extra/brand-new"' "new: the added instance"
ok 'section "Removed scenario instances" | grep -q "alpn/raw/nul-byte/tls13"' "removed: the missing instance"
# The other way round the fixes are regressions.
expect 1 "1 regression\(s\), 2 fix\(es\)" -- "$bin" compare "$tmp/new.json" "$tmp/old.json"
ok 'section Regressions | grep -q "PASS -> FAIL .*alpn/no-overlap/tls12"' "swapped: the fix is a regression"
# All 20 good -> bad transitions are regressions; FAIL -> CRASH, PASS -> UNSUPPORTED are other changes.
expect 1 "20 regression\(s\), 0 fix\(es\), 2 other change\(s\)" -- "$bin" compare "$tmp/allold.json" "$tmp/allnew.json"
for t in "PASS -> HARNESS-ERROR" "PASS-LOOSE -> TIMEOUT" "XFAIL -> CRASH" "UNSUPPORTED -> XPASS"; do
	ok 'section Regressions | grep -q -- "$t"' "regression: $t"
done
ok 'section "Other verdict changes" | grep -q "FAIL -> CRASH" && section "Other verdict changes" | grep -q "PASS -> UNSUPPORTED"' \
	"other changes: FAIL -> CRASH, PASS -> UNSUPPORTED"
expect 0 "0 regression\(s\), 1 fix\(es\)" -- "$bin" compare "$tmp/fixold.json" "$tmp/base.json"
expect 0 "0 regression\(s\), 0 fix\(es\), 0 other change\(s\), 0 new, 0 removed; 22 unchanged" -- \
	"$bin" compare "$tmp/base.json" "$tmp/base/report.json"

# Bad input: exit 2, the file named, the problem named.
expect 2 "$tmp/truncated.json: truncated JSON" -- "$bin" compare "$tmp/truncated.json" "$tmp/base.json"
expect 2 "$tmp/truncated.json: truncated JSON" -- "$bin" compare "$tmp/base.json" "$tmp/truncated.json"
expect 2 "$tmp/corrupt.json: corrupt JSON at line 1" -- "$bin" compare "$tmp/base.json" "$tmp/corrupt.json"
expect 2 "$tmp/empty.json: empty file" -- "$bin" compare "$tmp/empty.json" "$tmp/base.json"
expect 2 "$tmp/array.json: not a tlsharness report: the document is an array" -- "$bin" compare "$tmp/array.json" "$tmp/base.json"
expect 2 "$tmp/otherschema.json: not a tlsharness report: its schema is \"junit-json\"" -- "$bin" compare "$tmp/base.json" "$tmp/otherschema.json"
expect 2 "$tmp/noschema.json: not a tlsharness report: no \"schema\"" -- "$bin" compare "$tmp/noschema.json" "$tmp/base.json"
expect 2 "$tmp/v2.json: schema_version 2 is not supported" -- "$bin" compare "$tmp/base.json" "$tmp/v2.json"
expect 2 "$tmp/noverdict.json: results\[3\] has no \"verdict\"" -- "$bin" compare "$tmp/noverdict.json" "$tmp/base.json"
expect 2 "$tmp/badverdict.json: results\[5\] .*unknown verdict \"MAYBE\"" -- "$bin" compare "$tmp/base.json" "$tmp/badverdict.json"
expect 2 "$tmp/badalert.json: results\[2\].alerts.client_sent" -- "$bin" compare "$tmp/base.json" "$tmp/badalert.json"
expect 2 "$tmp/dup.json: results\[22\] repeats results\[0\]" -- "$bin" compare "$tmp/base.json" "$tmp/dup.json"
expect 2 "$tmp/noresults.json: \"results\" is an object, not an array" -- "$bin" compare "$tmp/base.json" "$tmp/noresults.json"
expect 2 "$tmp/nosuch.json: cannot read: No such file" -- "$bin" compare "$tmp/nosuch.json" "$tmp/base.json"
expect 2 "give two reports" -- "$bin" compare "$tmp/base.json"
expect 2 "unknown or ambiguous option '--frobnicate'" -- "$bin" compare --frobnicate "$tmp/base.json" "$tmp/base.json"
expect 0 "usage: tlsharness compare" -- "$bin" compare --help

# --backends A B: where two backends differ, side by side.
"$bin" run --matrix openssl,boringssl -f 'ragged-eof/after-handshake/*' -f 'handshake/cipher/restrict-tls13/*' -q \
	-o "$tmp/mx" >/dev/null
expect 0 "== self pairs: \[openssl -> openssl\] vs \[boringssl -> boringssl\]: [1-9][0-9]* of 5 scenario\(s\) differ" -- \
	"$bin" compare --backends openssl boringssl "$tmp/mx/report.json"
ok 'grep -q "handshake/cipher/restrict-tls13/rsa  (verdicts differ)" "$tmp/out" &&
	grep -qE "openssl -> openssl: PASS +\| boringssl -> boringssl: UNSUPPORTED" "$tmp/out"' \
	"--backends: a verdict difference, side by side"
ok 'grep -q "(alerts differ)" "$tmp/out" && grep -q "decode_error(50)" "$tmp/out"' "--backends: an alert difference, named"
ok 'grep -q "== as the client, server openssl: \[openssl -> openssl\] vs \[boringssl -> openssl\]" "$tmp/out" &&
	grep -q "== as the server, client boringssl: \[boringssl -> openssl\] vs \[boringssl -> boringssl\]" "$tmp/out"' \
	"--backends: A against B as the client and as the server"
expect 0 "as the client, server openssl" -- "$bin" compare --backends openssl boringssl "$tmp/base.json" "$tmp/mx/report.json"
expect 2 "no result has backend 'nosuch'" -- "$bin" compare --backends openssl nosuch "$tmp/mx/report.json"
expect 2 "two different backends" -- "$bin" compare --backends openssl openssl "$tmp/mx/report.json"
expect 2 "two backend names and at least one report" -- "$bin" compare --backends openssl boringssl
expect 2 "$tmp/v2.json: schema_version 2" -- "$bin" compare --backends openssl boringssl "$tmp/mx/report.json" "$tmp/v2.json"

# tlsharness report: bad input.
expect 2 "$tmp/truncated.json: truncated JSON" -- "$bin" report -o "$tmp/x.html" "$tmp/truncated.json"
expect 2 "give at least one REPORT.json" -- "$bin" report -o "$tmp/x.html"
expect 2 "cannot read the template /nonexistent/template.html" -- env TLSH_REPORTS_DIR=/nonexistent "$bin" report -o "$tmp/x.html" "$tmp/base.json"
expect 2 "--transcript-bytes takes" -- "$bin" report --transcript-bytes lots -o "$tmp/x.html" "$tmp/base.json"
expect 0 "report: $tmp/x.html \(22 result" -- "$bin" report -o "$tmp/x.html" "$tmp/base/report.json"
ok '! grep -q "@TLSH_DATA@" "$tmp/x.html" && grep -q "\"b64\":\"VExTSFRSMDE" "$tmp/x.html"' "the page holds the data and the transcripts (base64 of TLSHTR01...)"
expect 0 "0 transcript\(s\)|0.0 KiB of transcript" -- "$bin" report --transcript-bytes 0 -o "$tmp/y.html" "$tmp/base/report.json"
ok '[ "$(stat -c %s "$tmp/y.html")" -lt "$(stat -c %s "$tmp/x.html")" ]' "--transcript-bytes 0 leaves the transcripts out"

# summary.md beside report.json.
ok 'grep -q "^### tlsharness: no problems in 22 scenario instances" "$tmp/base/summary.md" &&
	grep -q "^| openssl → openssl | 22 | 22 |" "$tmp/base/summary.md"' "summary.md of a clean run: counts per pair"
"$bin" run --client mutant-eof-clean --server openssl -f 'ragged-eof/*' --no-expectations -q -o "$tmp/mut" >/dev/null
ok 'grep -q "^### tlsharness: 9 problems in 42 scenario instances" "$tmp/mut/summary.md" &&
	grep -q "^| mutant-eof-clean → openssl | 33 | \*\*9\*\* | 42 |" "$tmp/mut/summary.md" &&
	grep -q "^| FAIL | \`ragged-eof/pending-data/tls13\` | mutant-eof-clean → openssl | client read all 20385 bytes, then CLOSED, not RAGGED_EOF |" "$tmp/mut/summary.md"' \
	"summary.md of a failing run: counts, the problems with the observed text"
printf '{"schema": 1, "backend": "mutant-eof-clean", "expectations": [{"id": "ragged-eof/*", "role": "client", "verdict": "XFAIL", "reason": "this mutant | reports <clean> ends"}]}' >"$tmp/exp.json"
"$bin" run --client mutant-eof-clean --server openssl -f 'ragged-eof/*' --expectations "mutant-eof-clean=$tmp/exp.json" -q -o "$tmp/mx2" >/dev/null
ok 'grep -q "Expected failures: 9 XFAIL" "$tmp/mx2/summary.md" &&
	grep -q "| XFAIL | \`ragged-eof/pending-data/tls13\` | mutant-eof-clean → openssl | this mutant \\\\| reports &lt;clean&gt; ends |" "$tmp/mx2/summary.md"' \
	"summary.md lists XFAILs with their reasons, escaped for a table"
ok '[ ! -f "$tmp/mut/report.partial.json" ] && [ -f "$tmp/mut/junit.xml" ]' "summary.md comes with junit.xml, no partial report left"

echo "1..$n"
[ "$bad" -eq 0 ]

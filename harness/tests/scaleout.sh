#!/usr/bin/env bash
# Scale-out: `run --shard K/N` partitions the instances (each in exactly one
# shard, whatever the order of backends and filters), and `merge` of shards
# 1..N equals the unsharded run (same instances, same verdicts, same
# transcripts); merge refuses inputs that overlap or could not come from one
# run. Usage: scaleout.sh PATH-TO-tlsharness
set -uo pipefail
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	bad=$((bad + 1))
	echo "not ok $n - $1"
}
# expect STATUS PATTERN -- command...: exit status and a line of its output.
expect() {
	local want="$1" pattern="$2"
	shift 3
	local out status
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
		not_ok "$* (status $status, want $want, /$pattern/)"
		echo "$out" | head -5 | sed 's/^/#   /'
	else
		ok "$* -> $status"
	fi
}
# edit IN OUT PYTHON: OUT is report IN with d changed by PYTHON.
edit() {
	mkdir -p "$(dirname "$2")"
	/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))' "$1" "$2" "$3"
}

# A few dozen instances: openssl and gnutls (and mbed TLS, whose missing
# TLS 1.3 makes UNSUPPORTED instances, when it is built).
backends=openssl,gnutls
if "$bin" backends | grep -qx mbedtls; then
	backends=openssl,gnutls,mbedtls
fi
filters=(-f 'alpn/overlap/*' -f 'alpn/raw/255-byte-name/*' -f 'handshake/default')
run() { "$bin" run -j "${TLSH_JOBS:-2}" -t 60 -q "$@"; }

run --matrix "$backends" "${filters[@]}" -o "$tmp/all" >/dev/null
all_rc=$?
for k in 1 2 3; do
	run --matrix "$backends" "${filters[@]}" --shard "$k/3" -o "$tmp/s$k" >/dev/null
	rc=$?
	[ "$rc" -le 1 ] || not_ok "shard $k/3 exit status $rc"
done
# The same partition with the backends and the filters in another order.
rev_backends=$(tr ',' '\n' <<<"$backends" | tac | paste -sd, -)
run --matrix "$rev_backends" -f 'handshake/default' -f 'alpn/raw/255-byte-name/*' -f 'alpn/overlap/*' \
	--shard 2/3 -o "$tmp/s2-again" >/dev/null

if /usr/bin/python3 - "$tmp" "$backends" <<'PY'; then
import json, os, sys
tmp, backends = sys.argv[1], sys.argv[2]
load = lambda p: json.load(open(os.path.join(tmp, p, "report.json")))
key = lambda r: (r["id"], r["client"], r["server"])
full = load("all")
keys = [key(r) for r in full["results"]]
assert 30 <= len(keys) <= 100, f"{len(keys)} instances: the test wants a few dozen"
if "mbedtls" in backends:
    assert any(r["verdict"] == "UNSUPPORTED" for r in full["results"]), "no UNSUPPORTED instance"
shards = [load(f"s{k}") for k in (1, 2, 3)]
seen = {}
for k, s in enumerate(shards, 1):
    assert s["run"]["shard"] == {"index": k, "count": 3}, s["run"].get("shard")
    assert s["results"], f"shard {k} is empty"
    for r in s["results"]:
        assert key(r) not in seen, f"{key(r)} in shards {seen[key(r)]} and {k}"
        seen[key(r)] = k
assert set(seen) == set(keys), sorted(set(seen) ^ set(keys))
again = {key(r) for r in load("s2-again")["results"]}
assert again == {x for x, k in seen.items() if k == 2}, "shard 2 depends on the order of backends or filters"
assert "shard" not in full["run"]
print("# shard sizes:", [len(s["results"]) for s in shards], "of", len(keys))
PY
	ok "--shard K/3: every instance of the unsharded run in exactly one shard, the same whatever the order"
else
	not_ok "--shard K/3 partition"
fi

expect "$all_rc" "merge: [0-9]+ result\(s\) from 3 report\(s\)" -- "$bin" merge -o "$tmp/merged" "$tmp/s1" "$tmp/s2/report.json" "$tmp/s3"
if /usr/bin/python3 - "$tmp" <<'PY'; then
import filecmp, json, os, sys
tmp = sys.argv[1]
full = json.load(open(f"{tmp}/all/report.json"))
merged = json.load(open(f"{tmp}/merged/report.json"))
strip = lambda r: {k: v for k, v in r.items() if k != "duration_ms"}
# Same instances in the same order, same verdicts and everything observed.
assert [strip(r) for r in merged["results"]] == [strip(r) for r in full["results"]], "results differ"
for k in ("schema", "schema_version", "harness", "backends", "pairs", "summary"):
    assert merged[k] == full[k], k
run = merged["run"]
assert run["complete"] and not run["interrupted"] and run["seed"] == full["run"]["seed"]
assert [m["shard"]["index"] for m in run["merged_from"]] == [1, 2, 3]
shard_of = {}
for k in (1, 2, 3):
    for r in json.load(open(f"{tmp}/s{k}/report.json"))["results"]:
        shard_of[(r["id"], r["client"], r["server"])] = k
n = 0
for r in merged["results"]:
    if r["transcript"]:
        src = f"{tmp}/s{shard_of[(r['id'], r['client'], r['server'])]}/{r['transcript']}"
        assert filecmp.cmp(src, f"{tmp}/merged/{r['transcript']}", shallow=False), r["transcript"]
        n += 1
assert n, "no transcript"
junit = open(f"{tmp}/merged/junit.xml").read()
assert junit.count("<testcase ") == len(full["results"])
assert os.path.getsize(f"{tmp}/merged/summary.md") > 0
PY
	ok "merge of shards 1..3 equals the unsharded run: results, backends, pairs, counts, transcripts, JUnit"
else
	not_ok "merge of shards 1..3 equals the unsharded run"
fi
expect 0 "0 regression\(s\), 0 fix\(es\), 0 other change\(s\), 0 new, 0 removed" -- "$bin" compare "$tmp/all/report.json" "$tmp/merged/report.json"
expect 0 "report: $tmp/merged/index.html" -- "$bin" report -o "$tmp/merged/index.html" "$tmp/merged/report.json"

# Merging into an input's own folder keeps its transcripts.
mkdir -p "$tmp/in-place"
cp -r "$tmp/s1" "$tmp/s2" "$tmp/s3" "$tmp/in-place/"
expect "$all_rc" "merge: " -- "$bin" merge -o "$tmp/in-place/s1" "$tmp/in-place/s1" "$tmp/in-place/s2" "$tmp/in-place/s3"
if /usr/bin/python3 -c '
import json, os, sys
d = json.load(open(sys.argv[1] + "/report.json"))
sys.exit(0 if all(os.path.getsize(sys.argv[1] + "/" + r["transcript"]) > 8 for r in d["results"] if r["transcript"]) else 1)' "$tmp/in-place/s1"; then
	ok "merge into an input's folder: every transcript still there"
else
	not_ok "merge into an input's folder lost transcripts"
fi

# A partition with a shard missing: merged, with a warning.
expect "$all_rc" "warning: shard\(s\) 2 of 3 missing" -- "$bin" merge -o "$tmp/partial" "$tmp/s1" "$tmp/s3"

# Refused: inputs that overlap or cannot come from one run.
expect 2 "is in $tmp/all/report.json and in $tmp/s2/report.json: the inputs overlap" -- "$bin" merge -o "$tmp/x" "$tmp/all" "$tmp/s2"
expect 2 "$tmp/s1/report.json and $tmp/s1/report.json are both shard 1/3" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/s1"
run --matrix "$backends" "${filters[@]}" --shard 1/2 -o "$tmp/half" >/dev/null
expect 2 "is shard 1/2, $tmp/s2/report.json is shard 2/3: shards of different partitions" -- "$bin" merge -o "$tmp/x" "$tmp/half" "$tmp/s2"
run --matrix "$backends" "${filters[@]}" --shard 2/3 --seed 5 -o "$tmp/seed5" >/dev/null
expect 2 "ran with seed 1, $tmp/seed5/report.json with seed 5" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/seed5" "$tmp/s3"
edit "$tmp/s2/report.json" "$tmp/oldver/report.json" 'd["harness"]["version"] = "0.0.1"'
expect 2 "$tmp/oldver/report.json was written by tlsharness 0.0.1" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/oldver"
edit "$tmp/s2/report.json" "$tmp/v2/report.json" 'd["schema_version"] = 2'
expect 2 "$tmp/v2/report.json: schema_version 2 is not supported" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/v2"
edit "$tmp/s2/report.json" "$tmp/libver/report.json" '[b.update(library_version="OpenSSL 9.9.9") for b in d["backends"] if b["name"] == "openssl"]'
expect 2 "backend 'openssl' is \".*\" in $tmp/s1/report.json but \"OpenSSL 9.9.9\" in $tmp/libver/report.json" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/libver"
edit "$tmp/s2/report.json" "$tmp/caps/report.json" '[b["capabilities"].remove("TLS13") for b in d["backends"] if b["name"] == "openssl"]'
expect 2 "backend 'openssl' declares other capabilities in $tmp/caps/report.json" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/caps"
edit "$tmp/s2/report.json" "$tmp/oop/report.json" 'd["run"]["endpoint_mode"] = "oop"'
expect 2 "ran with --endpoints auto, $tmp/oop/report.json with --endpoints oop" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/oop"
edit "$tmp/s2/report.json" "$tmp/incomplete/report.json" 'd["run"]["complete"] = False'
expect 2 "$tmp/incomplete/report.json is the report of an interrupted or unfinished run" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/incomplete"
edit "$tmp/s2/report.json" "$tmp/escape/report.json" 'd["results"][0]["transcript"] = "../../../etc/passwd"'
expect 2 "results\[0\].transcript '../../../etc/passwd' is not a path inside the report's folder" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/escape"
edit "$tmp/s2/report.json" "$tmp/badshard/report.json" 'd["run"]["shard"] = {"index": 4, "count": 3}'
expect 2 "run.shard is not" -- "$bin" merge -o "$tmp/x" "$tmp/badshard"
expect 2 "$tmp/nosuch: cannot read: No such file" -- "$bin" merge -o "$tmp/x" "$tmp/s1" "$tmp/nosuch"
[ ! -e "$tmp/x/report.json" ] && ok "no refused merge wrote a report" || not_ok "a refused merge wrote $tmp/x/report.json"

# A merged report with a FAIL: exit status 1, as 'run'.
for k in 1 2; do
	run --client mutant-eof-clean --server openssl -f 'ragged-eof/*' --shard "$k/2" -o "$tmp/mut$k" >/dev/null
done
expect 1 "FAIL .*ragged-eof/" -- "$bin" merge -o "$tmp/mut" "$tmp/mut1" "$tmp/mut2"

echo "1..$n"
[ "$bad" -eq 0 ]

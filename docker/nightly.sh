#!/usr/bin/env bash
# docker/nightly.sh [BUDGET_SECONDS] [OUT_DIR] - the nightly job, the same on
# the host (`just nightly SECONDS`) and in the Docker image (docker/Dockerfile).
#
#  1. builds the instrumented backends (OpenSSL from Debian's source) when the
#     budget allows it (>= 1800 s) and they are missing;
#  2. fuzzes every target of fuzz/targets.txt, the budget split evenly;
#  3. merges new corpus entries back into corpora/ (-merge=1);
#  4. triages crashes (fuzz/triage.sh files them by stack hash);
#  5. runs the conformance matrix of every built backend;
#  6. writes OUT_DIR (default reports/nightly/YYYY-MM-DD): index.html (the
#     HTML report), matrix/report.json, crashes.txt, fuzz-stats.json and
#     fuzz-stats.txt (execs, exec/s, edges, corpus growth per target).
#
# Environment: TLSH_NIGHTLY_FILTER (scenario glob for the matrix, default all),
# TLSH_NIGHTLY_TARGETS (space-separated fuzz targets, default fuzz/targets.txt),
# TLSH_NIGHTLY_MERGE=0 (merge into OUT_DIR/corpora instead of corpora/, used by
# the test suite), TLSH_JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=fuzz/common.sh
source fuzz/common.sh
budget="${1:-3600}"
out="${2:-reports/nightly/$(date -u +%Y-%m-%d)}"
jobs="${TLSH_JOBS:-2}"
filter="${TLSH_NIGHTLY_FILTER:-*}"
merge="${TLSH_NIGHTLY_MERGE:-1}"
start=$SECONDS
mkdir -p "$out"
count() { { find "$@" 2>/dev/null || true; } | wc -l; }
log() { printf '[nightly %s +%ds] %s\n' "$(date -u +%H:%M:%S)" "$((SECONDS - start))" "$*"; }

[ -x build/harness/tlsharness ] || just build >/dev/null
# Instrumented libraries from Debian's sources (fuzz/deps.sh), when the
# budget allows: OpenSSL from 30 minutes on, all eight from 3 hours on (about
# 45 CPU-minutes in all here). A failed build leaves that backend on smoke.
libs=()
[ "$budget" -lt 1800 ] || libs=(openssl)
[ "$budget" -lt 10800 ] || libs=(openssl boringssl gnutls wolfssl mbedtls bearssl nss botan)
for lib in "${libs[@]}"; do
	[ ! -f ".deps/$lib/tlsh.libs" ] || continue
	log "building the instrumented $lib (fuzz/deps.sh $lib)"
	fuzz/deps.sh "$lib" || log "instrumented $lib build failed: its targets stay smoke builds"
done

if [ -n "${TLSH_NIGHTLY_TARGETS:-}" ]; then
	read -r -a targets <<<"$TLSH_NIGHTLY_TARGETS"
else
	mapfile -t targets < <(fz_targets)
fi
n=${#targets[@]}
fuzz_budget=$((budget * 3 / 4))
per=$((fuzz_budget / (n > 0 ? n : 1)))
[ "$per" -ge 1 ] || per=1
log "fuzzing $n targets, ${per}s each (budget ${budget}s)"
stats="$out/fuzz-stats.txt"
printf '%-28s %-12s %10s %8s %8s %8s %8s\n' target build execs exec/s edges corpus+ crashes >"$stats"
echo '[' >"$out/fuzz-stats.json"
first=1
new_total=0
i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	left=$(((n - i + 1) * per))
	log "[$i/$n] $t: fuzzing ${per}s (about ${left}s of fuzzing left)"
	before=$(count "corpora/$t" -type f)
	flog="$out/fuzz-$t.log"
	crashes_before=$(count "fuzz/crashes/$t" -name info.txt)
	fuzz/run.sh "$t" "$per" >"$flog" 2>&1 || true
	bin="$(fz_build libfuzzer "$t")"
	kind="$(cat "$bin.kind" 2>/dev/null || echo smoke)"
	# Merge what the run found into the seed corpus (minimized).
	dest="corpora/$t"
	if [ "$merge" = 0 ]; then
		dest="$out/corpora/$t"
		mkdir -p "$dest"
		cp -r "corpora/$t/." "$dest/" 2>/dev/null || true
	fi
	mkdir -p "$dest" "fuzz/out/corpus/$t"
	"$bin" -merge=1 "$dest" "fuzz/out/corpus/$t" >"$out/merge-$t.log" 2>&1 || true
	after=$(count "$dest" -type f)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$flog" | tail -n 1 || true)
	eps=$(sed -n 's/.*exec\/s: *\([0-9]*\).*/\1/p' "$flog" | tail -n 1 || true)
	edges=$(sed -n 's/.* cov: *\([0-9]*\).*/\1/p' "$flog" | tail -n 1 || true)
	crashes=$(($(count "fuzz/crashes/$t" -name info.txt) - crashes_before))
	new_total=$((new_total + crashes))
	printf '%-28s %-12s %10s %8s %8s %8s %8s\n' "$t" "$kind" "${execs:-0}" "${eps:-0}" "${edges:-0}" \
		"$((after - before))" "$crashes" >>"$stats"
	[ "$first" = 1 ] || echo ',' >>"$out/fuzz-stats.json"
	first=0
	printf '{"target": "%s", "build": "%s", "execs": %s, "exec_per_s": %s, "edges": %s, "corpus_before": %s, "corpus_after": %s, "new_crashes": %s}' \
		"$t" "$kind" "${execs:-0}" "${eps:-0}" "${edges:-0}" "$before" "$after" "$crashes" >>"$out/fuzz-stats.json"
done
echo ']' >>"$out/fuzz-stats.json"

log "crash list"
: >"$out/crashes.txt"
while IFS= read -r f; do
	{
		echo "== $f"
		cat "$f"
		echo
	} >>"$out/crashes.txt"
done < <({ find fuzz/crashes -name info.txt 2>/dev/null || true; } | sort)
[ -s "$out/crashes.txt" ] || echo "no crashes" >"$out/crashes.txt"

backends=$(./build/harness/tlsharness backends | grep -v '^pep748$' | paste -sd, -)
log "conformance matrix: $backends (filter '$filter')"
status=0
./build/harness/tlsharness run --matrix "$backends" -f "$filter" -j "$jobs" -o "$out/matrix" || status=$?
./build/harness/tlsharness report -o "$out/index.html" "$out/matrix/report.json"
log "done in $((SECONDS - start))s: $out (index.html, matrix/, crashes.txt, fuzz-stats.*)"
cat "$stats"
# The job fails when the matrix has problems or the fuzzers found a new crash
# (a stack hash not yet under fuzz/crashes; crashes.txt lists the saved ones,
# open and fixed, with their status).
[ "$status" -le 1 ] || exit "$status"
if [ "$new_total" -gt 0 ] || [ "$status" -ne 0 ]; then
	exit 1
fi

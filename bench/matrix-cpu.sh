#!/usr/bin/env bash
# The 8x8 matrix of the four original families: wall time, CPU (user + sys
# of the whole process tree), CPU per instance that ran a process (results
# other than UNSUPPORTED), and that divided by the CPU of one direct OpenSSL
# TLS 1.3 handshake (same RSA 2048 PKI, in memory) measured in the same run,
# before and after the matrix. Prints one line per run, then the medians,
# with the machine's load next to each run.
#
# Usage: bench/matrix-cpu.sh [-n RUNS] [-m A,B,...] [-b BENCH-HANDSHAKE] TLSHARNESS [RUN-ARGS...]
#   e.g. bench/matrix-cpu.sh -n 3 ./build/harness/tlsharness
#        bench/matrix-cpu.sh -n 1 ./build-asan/harness/tlsharness -t 60
# TLSHARNESS may be another tree's binary (the unmodified one, for a
# before/after pair); the direct handshake always comes from BENCH-HANDSHAKE
# (default ./build/bench/bench-handshake). -m runs a smaller matrix (a
# quick before/after pair on a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
direct=./build/bench/bench-handshake
backends=bearssl,boringssl,botan,gnutls,mbedtls,nss,openssl,wolfssl
while getopts "n:b:m:" o; do
	case "$o" in
	n) runs="$OPTARG" ;;
	b) direct="$OPTARG" ;;
	m) backends="$OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || {
	echo "usage: bench/matrix-cpu.sh [-n RUNS] [-m A,B,...] [-b BENCH-HANDSHAKE] TLSHARNESS [RUN-ARGS...]" >&2
	exit 2
}
bin="$1"
shift
families=(-f 'handshake/*' -f 'ragged-eof/*' -f 'version-bounding/*' -f 'alpn/*')
[ -x "$direct" ] || {
	echo "bench/matrix-cpu.sh: $direct not built (just build)" >&2
	exit 2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-4s %8s %8s %9s %8s %9s %7s  %s\n' run wall_s cpu_s instances cpu_ms hs_cpu_ms ratio load
: >"$tmp/rows"
for i in $(seq "$runs"); do
	d0=$("$direct" --direct-cpu)
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" "$bin" run --matrix "$backends" "${families[@]}" \
		-j "${TLSH_JOBS:-2}" -q -o "$tmp/r$i" "$@" >/dev/null 2>&1 || true
	d1=$("$direct" --direct-cpu)
	read -r wall user sys <"$tmp/time"
	inst=$(/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for r in d['results'] if r['verdict'] != 'UNSUPPORTED'))" "$tmp/r$i/report.json")
	row=$(/usr/bin/python3 -c "
import sys
wall, user, sys_, inst, d0, d1 = map(float, sys.argv[1:])
cpu = user + sys_
per = cpu * 1000 / inst
hs = (d0 + d1) / 2
print(f'{wall:8.1f} {cpu:8.1f} {int(inst):9d} {per:8.2f} {hs:9.3f} {per / hs:7.1f}')" \
		"$wall" "$user" "$sys" "$inst" "$d0" "$d1")
	echo "$row" >>"$tmp/rows"
	printf '%-4s %s  %s\n' "$i" "$row" "$load"
	rm -rf "$tmp/r$i"
done
/usr/bin/python3 - "$tmp/rows" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
med = [statistics.median(c) for c in zip(*rows)]
print(f"med  {med[0]:8.1f} {med[1]:8.1f} {int(med[2]):9d} {med[3]:8.2f} {med[4]:9.3f} {med[5]:7.1f}")
PY

#!/usr/bin/env bash
# Wall time and peak memory of the full matrix as the number of backends
# grows (1, 2, 4, 8 or as many as are built). Peak memory is the largest
# resident set of any one process of the run (GNU time's %M: the harness or
# the biggest scenario child it waited for).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-./build/harness/tlsharness}
jobs=${TLSH_JOBS:-2}
mapfile -t all < <("$bin" backends)
printf '%-9s %-6s %-10s %-9s %-10s %s\n' backends pairs instances wall_s peak_MiB list
for n in 1 2 4 8; do
	[ "$n" -le "${#all[@]}" ] || break
	list=$(printf '%s\n' "${all[@]:0:n}" | paste -sd, -)
	out=$(mktemp -d)
	/usr/bin/time -q -f '%e %M' -o "$out/time" "$bin" run --matrix "$list" -j "$jobs" -q -o "$out/r" >/dev/null 2>&1 || true
	read -r wall kb < <(tail -n 1 "$out/time")
	inst=$(/usr/bin/python3 -c "import json;print(json.load(open('$out/r/report.json'))['summary']['total'])")
	printf '%-9s %-6s %-10s %-9s %-10s %s\n' "$n" "$((n * n))" "$inst" "$wall" "$((kb / 1024))" "$list"
	rm -rf "$out"
done

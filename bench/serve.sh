#!/usr/bin/env bash
# Per-connection cost of `tlsharness serve --impl openssl` against
# `openssl s_server`: the same certificate chain (harness/pki's RSA server
# leaf and intermediate), the same TLS version, full handshakes (every client
# connection is new: no session is offered for resumption), and the same
# client loops driving both servers:
#   - `tlsharness connect --impl openssl --count N` (sequential connections
#     from one context; handshake, close_notify both ways, FIN);
#   - `openssl s_time -new -time S` (handshake, then close).
# Each figure is the median of ROUNDS rounds, the two servers taking turns in
# every round so that a change in the machine's load hits both:
#   wall ms/conn   the client loop's wall time per connection;
#   server CPU     the server process's user+system CPU time per connection
#                  (/proc/PID/stat), the server's own cost without the
#                  client's.
# Figures, not a pass/fail test: the machine is shared, `uptime` is printed
# before and after.
# Usage: bench/serve.sh [TLSHARNESS] [CONNECTIONS] [VERSIONS] [ROUNDS] [S_TIME_SECONDS]
#   defaults: ./build/harness/tlsharness 400 "1.3 1.2" 3 3
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-./build/harness/tlsharness}"
count="${2:-400}"
versions="${3:-1.3 1.2}"
rounds="${4:-3}"
stime="${5:-3}"
pki=harness/pki
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -x "$bin" ] || { echo "bench/serve.sh: no $bin (just build)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "bench/serve.sh: no openssl command" >&2; exit 2; }
hz=$(getconf CLK_TCK)

cpu_ticks() { # pid -> utime + stime in clock ticks
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# shellcheck source=../harness/tests/ports.sh
. harness/tests/ports.sh

# Starts one server on a free port; sets $srv (pid) and $port. A readiness
# probe is one connection like the others (s_server counts it, ours too).
start_server() { # ours|s_server version
	port=$(free_port)
	if [ "$1" = ours ]; then
		"$bin" serve --impl openssl --port "$port" --min "$2" --max "$2" --cert "$pki/rsa-server.pem" \
			--key "$pki/rsa-server.key" --chain "$pki/rsa-int.pem" -t 10 >"$tmp/ours.log" 2>&1 &
	else
		openssl s_server -accept "$port" -cert "$pki/rsa-server.pem" -key "$pki/rsa-server.key" \
			-cert_chain "$pki/rsa-int.pem" "-tls${2/./_}" -quiet </dev/null >"$tmp/s_server.log" 2>&1 &
	fi
	srv=$!
	pids+=("$srv")
	wait_for_port "$port" 30 || { echo "bench/serve.sh: nothing listens on port $port" >&2; exit 1; }
}

stop_server() {
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
}

# One measurement: prints "wall_ms_per_conn cpu_ms_per_conn connections".
measure() { # ours|s_server version connect|s_time
	start_server "$1" "$2"
	local c0 t0 t1 c1 n
	c0=$(cpu_ticks "$srv")
	if [ "$3" = connect ]; then
		t0=$(date +%s.%N)
		"$bin" connect --impl openssl --count "$count" --min "$2" --max "$2" -t 10 \
			"127.0.0.1:$port" >"$tmp/client.log" 2>&1 || {
			echo "bench/serve.sh: connect failed against $1:" >&2
			grep -v '=ok$' "$tmp/client.log" | tail -5 >&2
			exit 1
		}
		t1=$(date +%s.%N)
		n=$count
	else
		t0=$(date +%s.%N)
		openssl s_time -connect "127.0.0.1:$port" -new -time "$stime" "-tls${2/./_}" \
			-CAfile "$pki/rsa-ca.pem" >"$tmp/client.log" 2>&1
		t1=$(date +%s.%N)
		n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' "$tmp/client.log" | head -1)
		[ -n "$n" ] && [ "$n" -gt 0 ] || {
			echo "bench/serve.sh: s_time made no connection to $1" >&2
			tail -5 "$tmp/client.log" >&2
			exit 1
		}
	fi
	c1=$(cpu_ticks "$srv")
	stop_server
	awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v n="$n" -v hz="$hz" \
		'BEGIN { printf "%.3f %.3f %d\n", (t1 - t0) * 1000 / n, (c1 - c0) * 1000 / hz / n, n }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# serve benchmark: $count connections per connect round, s_time ${stime} s, $rounds rounds, median"
echo "# $(openssl version); tlsharness serve --impl openssl ($("$bin" probe openssl | sed -n 's/^library_version: //p'))"
echo "# load before: $(uptime)"
printf '%-4s %-8s %-9s %14s %14s %10s\n' TLS client server "wall ms/conn" "server CPU ms" "conns"
for v in $versions; do
	for client in connect s_time; do
		for server in ours s_server; do : >"$tmp/$server.res"; done
		for _ in $(seq "$rounds"); do
			for server in ours s_server; do
				measure "$server" "$v" "$client" >>"$tmp/$server.res"
			done
		done
		for server in ours s_server; do
			w=$(awk '{ print $1 }' "$tmp/$server.res" | median)
			c=$(awk '{ print $2 }' "$tmp/$server.res" | median)
			k=$(awk '{ s += $3 } END { print s }' "$tmp/$server.res")
			printf '%-4s %-8s %-9s %14.3f %14.3f %10d\n' "$v" "$client" "$server" "$w" "$c" "$k"
			eval "w_$server=$w c_$server=$c"
		done
		awk -v a="$w_ours" -v b="$w_s_server" -v c="$c_ours" -v d="$c_s_server" -v v="$v" -v cl="$client" \
			'BEGIN { printf "%-4s %-8s %-9s %13.2fx %13.2fx\n", v, cl, "ratio", a / b, (d > 0 ? c / d : 0) }'
	done
done
echo "# load after: $(uptime)"

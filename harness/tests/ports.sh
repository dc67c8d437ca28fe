# ports.sh - TCP port helpers for scripts that start servers on loopback,
# sourced by harness/tests/socket.sh and bench/serve.sh.

# A port nothing listens on now, in 20000..59999.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# Waits up to SECONDS (default 5) until something accepts connections on
# PORT (the probe is one connection: servers that count them see it).
wait_for_port() { # port [seconds]
	for _ in $(seq $((${2:-5} * 10))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

#!/usr/bin/env bash
# The socket front-end (tlsharness serve / connect) of every built backend
# against real peers from Debian's packages on loopback: openssl s_client /
# s_server and gnutls-cli / gnutls-serv. Checks the negotiated version and
# ALPN on both ends, the data exchanged, and a clean close_notify exchange.
# Usage: socket.sh PATH-TO-tlsharness [BACKEND...]
set -uo pipefail
bin="$1"
shift
cd "$(dirname "$0")/../.."
pki=harness/pki
backends=("$@")
[ "${#backends[@]}" -gt 0 ] || mapfile -t backends < <("$bin" backends)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
bad=0

result() { # ok? description [log]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && sed 's/^/#   /' "$3" | head -20
		bad=$((bad + 1))
	fi
}

has() { grep -qE -- "$2" "$1"; }

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

# Starts `tlsharness serve` and waits for its port.
serve() { # backend outfile args...
	local b="$1" out="$2"
	shift 2
	"$bin" serve --impl "$b" --port 0 --alpn h2,http/1.1 --echo -t 10 "$@" >"$out" 2>&1 &
	for _ in $(seq 50); do
		port=$(sed -n 's/^listening=127.0.0.1://p' "$out")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	return 1
}

wait_for_line() { # file pattern
	for _ in $(seq 50); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wait_for_port() {
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

for b in "${backends[@]}"; do
	caps=$("$bin" probe "$b" | sed -n 's/^capabilities: //p')
	versions="1.2"
	(((caps & 2) != 0)) && versions="1.2 1.3"
	for v in $versions; do
		ov="tls1_${v#1.}"
		gv="TLS${v}"
		# 1. our server, openssl s_client.
		log="$tmp/$b-$v-sclient"
		serve "$b" "$log.srv" --min "$v" --max "$v"
		echo hello | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername server.tlsh.test \
			-CAfile "$pki/rsa-ca.pem" -verify_return_error -alpn h2 >"$log.peer" 2>&1
		wait
		cat "$log.srv" "$log.peer" >"$log"
		has "$log.srv" "server.version=$v" && has "$log.srv" "server.alpn=h2" &&
			has "$log.srv" "server.close_notify=received" && has "$log.srv" "server.shutdown=clean" &&
			has "$log.peer" "New, TLSv$v" && has "$log.peer" "ALPN protocol: h2" &&
			has "$log.peer" "Verify return code: 0"
		result $? "serve --impl $b (TLS $v) <- openssl s_client: version, ALPN h2, echo, close_notify" "$log"

		# 2. our server, gnutls-cli.
		log="$tmp/$b-$v-gcli"
		serve "$b" "$log.srv" --min "$v" --max "$v"
		echo hello | timeout 10 gnutls-cli -p "$port" --x509cafile "$pki/rsa-ca.pem" --alpn h2 \
			--sni-hostname server.tlsh.test --verify-hostname server.tlsh.test 127.0.0.1 >"$log.peer" 2>&1
		wait
		cat "$log.srv" "$log.peer" >"$log"
		has "$log.srv" "server.version=$v" && has "$log.srv" "server.alpn=h2" &&
			has "$log.srv" "server.close_notify=received" &&
			has "$log.peer" "\($gv-" && has "$log.peer" "Application protocol: h2" && has "$log.peer" "^hello"
		result $? "serve --impl $b (TLS $v) <- gnutls-cli: version, ALPN h2, echo, close_notify" "$log"

		# 3. our client, openssl s_server (-rev answers each line reversed).
		log="$tmp/$b-$v-sserver"
		p=$(free_port)
		timeout 15 openssl s_server -accept "$p" -cert "$pki/rsa-server.pem" -key "$pki/rsa-server.key" \
			-cert_chain "$pki/rsa-int.pem" -alpn h2 -rev -naccept 1 "-$ov" >"$log.peer" 2>&1 &
		wait_for_line "$log.peer" ACCEPT # (a probe connection would use up -naccept 1)
		"$bin" connect --impl "$b" --alpn h2,http/1.1 --send $'hello\n' -t 10 "127.0.0.1:$p" >"$log.cli" 2>&1
		wait
		cat "$log.cli" "$log.peer" >"$log"
		has "$log.cli" "client.version=$v" && has "$log.cli" "client.alpn=h2" &&
			has "$log.cli" "client.received=olleh" && has "$log.cli" "client.shutdown=clean" &&
			has "$log.peer" "ALPN protocols selected: h2"
		result $? "connect --impl $b (TLS $v) -> openssl s_server: version, ALPN h2, data, close_notify" "$log"

		# 4. our client, gnutls-serv --echo.
		log="$tmp/$b-$v-gserv"
		p=$(free_port)
		timeout 15 gnutls-serv -p "$p" --x509certfile "$pki/rsa-server-chain.pem" --x509keyfile "$pki/rsa-server.key" \
			--echo --alpn h2 --alpn-fatal --priority "NORMAL:-VERS-ALL:+VERS-TLS$v" >"$log.peer" 2>&1 &
		gpid=$!
		wait_for_port "$p"
		"$bin" connect --impl "$b" --alpn h2 --send $'hello\n' -t 10 "127.0.0.1:$p" >"$log.cli" 2>&1
		kill "$gpid" 2>/dev/null
		wait
		cat "$log.cli" "$log.peer" >"$log"
		has "$log.cli" "client.version=$v" && has "$log.cli" "client.alpn=h2" &&
			has "$log.cli" "client.received=hello" && has "$log.cli" "client.shutdown=clean" &&
			has "$log.peer" "Version: TLS$v" && has "$log.peer" "Application protocol: h2"
		result $? "connect --impl $b (TLS $v) -> gnutls-serv: version, ALPN h2, data, close_notify" "$log"
	done
done
echo "1..$n"
[ "$bad" -eq 0 ]

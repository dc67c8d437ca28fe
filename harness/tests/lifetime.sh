#!/usr/bin/env bash
# Scenario processes, endpoint children and warm hosts die with the harness
# (SIGKILL included) and never outlive their time limit, even when the
# harness cannot kill them (stopped).
# Usage: lifetime.sh PATH-TO-tlsharness
set -uo pipefail
bin="$1"
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
n=0
bad=0
ok() {
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		bad=$((bad + 1))
	fi
}

# Every descendant of a process (children files of all its threads).
descendants() {
	local p c
	for p in "$@"; do
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			echo "$c"
			descendants "$c"
		done
	done
}

# PID:START for each pid (start time in clock ticks: a reused pid differs).
stamp() {
	local p
	for p in "$@"; do
		echo "$p:$(awk '{print $22}' /proc/"$p"/stat 2>/dev/null)"
	done
}

alive() { # PID:START...: how many still run (zombies count as gone)
	local x p k=0 st
	for x in "$@"; do
		p=${x%%:*}
		st=$(awk '{print $3 ":" $22}' /proc/"$p"/stat 2>/dev/null)
		[ -n "$st" ] && [ "${st%%:*}" != Z ] && [ "${st#*:}" = "${x#*:}" ] && k=$((k + 1))
	done
	echo "$k"
}

# Waits until the harness has hosts and scenario children (up to 20 s).
wait_tree() {
	local pid="$1" want="$2" i
	for i in $(seq 200); do
		[ "$(descendants "$pid" | wc -l)" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. SIGKILL of the harness: hosts (PR_SET_PDEATHSIG) take their children
# with them. hostile-hang hangs in do_handshake: every instance stays
# running until its 60 s limit, both as the scenario process and as an
# endpoint child.
"$bin" run --matrix hostile-hang,openssl -f handshake/default -t 60 -j 4 -q \
	--no-expectations -o "$tmp/kill" >/dev/null 2>&1 &
h=$!
wait_tree "$h" 5
tree=$(stamp $(descendants "$h"))
ok '[ "$(echo "$tree" | wc -w)" -ge 5 ]' "the harness runs hosts and scenario children ($(echo "$tree" | wc -w) processes)"
kill -KILL "$h"
wait "$h" 2>/dev/null
for i in $(seq 50); do
	[ "$(alive $tree)" -eq 0 ] && break
	sleep 0.1
done
reap_left() { # PID:START...: a failing harness leaves processes; end them
	local x p st
	for x in "$@"; do
		p=${x%%:*}
		st=$(awk '{print $22}' /proc/"$p"/stat 2>/dev/null)
		[ "$st" = "${x#*:}" ] && kill -KILL "$p" 2>/dev/null
	done
}
left=$(alive $tree)
reap_left $tree
ok '[ "$left" -eq 0 ]' "SIGKILL of the harness: no host, scenario process or endpoint child left ($(alive $tree) alive)"

# 2. A stopped harness cannot enforce the time limit: the children do
# (their own alarm, the limit plus a few seconds).
grandchildren() { # the children of the warm hosts
	local p
	for p in $(descendants "$1"); do
		[ "$(awk '{print $4}' /proc/"$p"/stat 2>/dev/null)" != "$1" ] && echo "$p"
	done
}
"$bin" run --matrix hostile-hang,openssl -f handshake/default -t 15 -j 4 -q \
	--no-expectations -o "$tmp/stop" >/dev/null 2>&1 &
h=$!
for i in $(seq 600); do
	[ "$(grandchildren "$h" | wc -l)" -ge 5 ] && break
	sleep 0.05
done
kill -STOP "$h"
kids=$(stamp $(grandchildren "$h"))
ok '[ "$(echo $kids | wc -w)" -ge 5 ]' "a stopped harness still has scenario processes and endpoint children ($(echo $kids | wc -w))"
for i in $(seq 400); do
	[ "$(alive $kids)" -eq 0 ] && break
	sleep 0.1
done
left=$(alive $kids)
reap_left $kids
ok '[ "$left" -eq 0 ]' "they end within the limit plus the backstop while the harness is stopped"
kill -KILL "$h" 2>/dev/null
kill -CONT "$h" 2>/dev/null
wait "$h" 2>/dev/null

# 3. A warm host killed mid-run: the instances it was serving are CRASH
# naming it, a new host serves the rest, the run completes.
"$bin" run --impl openssl -f 'handshake/*' -j 2 -q --no-expectations -o "$tmp/host" \
	>/dev/null 2>&1 &
h=$!
host=""
for i in $(seq 400); do
	host=$(cat /proc/"$h"/task/*/children 2>/dev/null | awk '{print $1}')
	# the host has children of its own and an instance has finished: the
	# children are instances (before it is ready, a host's only child is
	# its warm-up trial)
	[ -n "$host" ] && [ -n "$(cat /proc/"$host"/task/*/children 2>/dev/null)" ] &&
		[ -n "$(find "$tmp/host" -name '*.tlstr' -print -quit 2>/dev/null)" ] && break
	sleep 0.05
done
kill -KILL "$host" 2>/dev/null
wait "$h"
rc=$?
ok '[ "$rc" -eq 1 ] && /usr/bin/python3 - "$tmp/host/report.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["run"]["complete"]
crash = [r for r in d["results"] if r["verdict"] == "CRASH"]
assert crash and all("warm host (openssl) ended: killed by signal 9" in r["observed"] for r in crash), crash
assert len(crash) <= 2, len(crash)
others = {r["verdict"] for r in d["results"] if r not in crash}
assert others <= {"PASS", "PASS-LOOSE"}, others
PY' "a warm host killed mid-run: its instances are CRASH naming it, a new host runs the rest (exit $rc)"
rm -rf "$tmp"
echo "1..$n"
[ "$bad" -eq 0 ]

#!/usr/bin/env bash
# The bash completion (harness/completion/tlsharness.bash): sourced in bash,
# its function is called as bash calls it (COMP_WORDS, COMP_CWORD) and the
# completions are checked; and the build installs it. Usage: completion.sh
# PATH-TO-tlsharness
set -uo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
builddir="$(cd "$(dirname "$bin")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

# shellcheck source=../completion/tlsharness.bash
source "$here/../completion/tlsharness.bash"

# comp WORD...: the completions of the last word, one a line, sorted.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_tlsharness
	[ "${#COMPREPLY[@]}" -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect WANT -- WORD...: the completions are exactly WANT (lines).
expect() {
	local want="$1"
	shift 2
	local got
	got="$(comp "$@")"
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - ${*:2} -> $(tr '\n' ' ' <<<"$got")"
	else
		echo "not ok $n - ${*:2}"
		echo "#   want: $(tr '\n' ' ' <<<"$want")"
		echo "#   got:  $(tr '\n' ' ' <<<"$got")"
		bad=$((bad + 1))
	fi
}

nl=$'\n'
expect "merge" -- "$bin" me
expect "record${nl}report${nl}run" -- "$bin" r
expect "--help${nl}--version" -- "$bin" --
# Backends come from `tlsharness backends`.
expect "openssl" -- "$bin" run --impl opens
expect "gnutls" -- "$bin" run --client openssl --server gn
expect "gnutls" -- "$bin" probe gn
expect "openssl,gnutls" -- "$bin" run --matrix openssl,gn
expect "openssl=" -- "$bin" run --expectations opens
# Scenario ids come from `tlsharness list`.
expect "handshake/default" -- "$bin" run --impl openssl -f handshake/defa
expect "handshake/default" -- "$bin" list handshake/defa
want_alpn="$("$bin" list 'alpn/*' 2>/dev/null | awk '{print $1}' | sort)"
expect "$want_alpn" -- "$bin" run -f alpn/
# Options come from each subcommand's --help.
expect "--shard" -- "$bin" run --sha
expect "--rerun" -- "$bin" run --rer
expect "--quiet" -- "$bin" merge --out x --q
expect "--out" -- "$bin" merge --o
expect "--manifest" -- "$bin" mutation --man
expect "--backends" -- "$bin" compare --ba
expect "inproc" -- "$bin" run --endpoints in
# Files and folders.
mkdir -p "$tmp/shard-1" "$tmp/shard-2"
touch "$tmp/r1.json" "$tmp/notes.txt"
expect "$tmp/r1.json" -- "$bin" compare "$tmp/r"
expect "$tmp/r1.json" -- "$bin" run --impl openssl --rerun "$tmp/r"
expect "$tmp/shard-1${nl}$tmp/shard-2" -- "$bin" merge "$tmp/sh"
expect "$tmp/shard-1${nl}$tmp/shard-2" -- "$bin" run --impl openssl -o "$tmp/sh"
# Nothing for a value that is a number, or after an unknown command.
expect "" -- "$bin" run --impl openssl -j ""
expect "" -- "$bin" frobnicate ""

# The build installs it where bash-completion looks.
n=$((n + 1))
if meson introspect "$builddir" --installed | grep -q '/share/bash-completion/completions/tlsharness"'; then
	echo "ok $n - meson installs share/bash-completion/completions/tlsharness"
else
	echo "not ok $n - meson does not install the completion"
	bad=$((bad + 1))
fi
echo "1..$n"
[ "$bad" -eq 0 ]

#!/usr/bin/env bash
# fuzz/corpus.sh [TARGET...] - regenerates corpora/TARGET (committed) from
# recorded scenario runs, minimized with libFuzzer's -merge=1. Default: every
# target of fuzz/targets.txt; with TARGET names, only those (and only their
# backends' scenario runs are recorded, when missing).
#
#  1. runs the conformance scenarios of each backend the targets need
#     (`tlsharness run --impl BACKEND`), and for OpenSSL/BoringSSL targets the
#     openssl x boringssl matrix, into reports/out/fuzz-seeds/ (transcripts);
#     a backend's run is kept until TLSH_FUZZ_RERECORD=1;
#  2. `tlsharness record` splits the transcripts into the bytes each side
#     received from the peer's flight k on, per BACKEND-ROLE-sK[-VERSION];
#  3. each recording becomes a candidate with the default input header
#     (fuzz/header.c), and so does the real peer flight the target's own
#     deterministic handshake produces (TLSH_FUZZ_EMIT), with a few other
#     headers (one byte at a time, chunk tables, EOF, other call sequences);
#     candidates are cut to the target's max_len (fuzz/options);
#  4. `TARGET -merge=1` keeps the candidates that add coverage (the
#     instrumented build when the backend's .deps prefix exists).
# Needs build/ (`just build`; built here with ninja when missing).
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/common.sh"
cd "$fz_root"

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(fz_targets)
for target in "${targets[@]}"; do
	fz_check_target "$target"
done
t=./build/harness/tlsharness
[ -x "$t" ] || ninja -C build >/dev/null
runs=reports/out/fuzz-seeds
rec=fuzz/out/seeds/recorded
declare -A need=()
for target in "${targets[@]}"; do
	need[$(fz_backend "$target")]=1
done
for b in "${!need[@]}"; do
	if [ ! -f "$runs/$b/report.json" ] || [ "${TLSH_FUZZ_RERECORD:-0}" = 1 ]; then
		echo "corpus: recording the $b scenario runs into $runs/$b"
		"$t" run --impl "$b" -q -o "$runs/$b" >/dev/null || [ $? -eq 1 ]
	fi
done
if [ -n "${need[openssl]:-}${need[boringssl]:-}" ] &&
	{ [ ! -f "$runs/matrix/report.json" ] || [ "${TLSH_FUZZ_RERECORD:-0}" = 1 ]; }; then
	echo "corpus: recording the openssl x boringssl matrix into $runs/matrix"
	"$t" run --matrix openssl,boringssl -q -o "$runs/matrix" >/dev/null || [ $? -eq 1 ]
fi
rm -rf "$rec"
recorded=()
for d in "$runs"/*/; do
	[ -f "$d/report.json" ] && recorded+=("${d%/}")
done
"$t" record -o "$rec" "${recorded[@]}"

# Headers for the target's own flight (see fuzz/README.md, "Input format").
headers=(
	"60000000e730a500" # default: whole; handshake exchange read write-100 shutdown query
	"63000000e730a500" # one byte per process_incoming, same calls
	"6202040fe730a500" # chunk sizes 3, 5, 16 in turn, same calls
	"6b0000000e000000" # one byte at a time, then EOF; exchange, read x5
	"81000000a07b5c6d" # 1-byte chunks; read query incoming-empty handshake incoming-alert shutdown read-zero eof
	"44000000e0a5fe00" # drive once at the end; read exchange shutdown query
	"50000000479e0000" # handshake write-big exchange drain-1 read
)

# bytes HEX: prints the bytes HEX spells.
bytes() {
	# shellcheck disable=SC2059,SC2001
	printf "$(echo "$1" | sed 's/../\\x&/g')"
}
default_header=60000000e730a500

# cfg_candidates TARGET DIR: configurations for a -cfg target, each before
# DIR/own's flight (fuzz/driver.c, "configuration from the input").
cfg_candidates() {
	local t="$1" d="$2" c i f item hex
	# F1 F2 [...]: 1.2 only; 1.3 only; an unknown version; both chains; RSA
	# chain (client: RSA client chain) with trust store; ALPN h2 only; six
	# suites; no-verify; the client asks for alt.tlsh.test.
	for c in 0100 0200 03000d 2000 5000 040001026832 08000613011302c02bc02f009ccca8 \
		0001 0008; do
		{
			bytes "$default_header$c"
			tail -c +9 "$d/own"
		} >"$d/cfg-$c"
	done
	# Test-PKI items in place (fuzz.h's enum fz_pki_item order), with F1
	# choosing a configuration that uses them.
	local items=(ecdsa-server.pem ecdsa-server.key ecdsa-int.pem ecdsa-ca.pem ecdsa-client.pem
		ecdsa-client.key rsa-alt.pem rsa-alt.key rsa-int.pem rsa-ca.pem ecdsa-server.der
		ecdsa-server.key.der)
	for i in "${!items[@]}"; do
		f="harness/pki/${items[$i]}"
		item=$((i < 10 ? i : i - 10))
		case "$t:$item" in
		*-server-*:[012]) c=80 ;; *-server-*:3) c=c0 ;; *-server-*:[678]) c=90 ;;
		*-client-*:[245]) c=90 ;; *-client-*:[39]) c=80 ;; *-client-*:[678]) c=b0 ;;
		*) continue ;;
		esac
		hex="$(printf '%s00%02x%04x' "$c" "$item" "$(stat -c %s "$f")")"
		{
			bytes "$default_header$hex"
			cat "$f"
			tail -c +9 "$d/own"
		} >"$d/cfg-item-${items[$i]}"
	done
}

for target in "${targets[@]}"; do
	bin="$(fz_build libfuzzer "$target")"
	cand="fuzz/out/seeds/candidates/$target"
	rm -rf "$cand"
	mkdir -p "$cand"
	mapfile -t lf_flags < <(fz_libfuzzer_flags "$target")
	# Candidates are cut to the target's max_len: the fuzzer never reads
	# further, and recordings of bulk-data scenarios would bloat corpora/.
	max_len="$(printf '%s\n' "${lf_flags[@]}" | sed -n 's/^-max_len=//p' | tail -n 1)"
	max_len="${max_len:-4096}"
	# A -cfg target's input has configuration bytes after the header
	# (fuzz/driver.c): recordings and its own flight get the default ones
	# (two zero bytes), and the own flight also gets a few configurations,
	# and each test-PKI item it uses in place (PEM, and DER where
	# harness/pki has it), for the fuzzer to mutate.
	cfg=""
	base="$target"
	case "$target" in *-cfg)
		cfg='\x00\x00'
		base="${target%-cfg}"
		;;
	esac
	# Recorded flights: stage 0 takes every version, later stages their own.
	n=0
	for d in "$rec/$base" "$rec/$base"-tls12 "$rec/$base"-tls13; do
		[ -d "$d" ] || continue
		case "$base" in *-s0) ;; *) [ "$d" = "$rec/$base" ] || continue ;; esac
		for f in "$d"/*.bin; do
			{
				bytes "$default_header"
				# shellcheck disable=SC2059
				printf "$cfg"
				cat "$f"
			} >"$cand/rec-$(basename "$d")-$(basename "$f")"
			n=$((n + 1))
		done
	done
	# The target's own deterministic peer flight, with each header.
	: >"$cand.empty"
	TLSH_FUZZ_QUIET=1 TLSH_FUZZ_EMIT="$cand/own" "$bin" -runs=1 "$cand.empty" >/dev/null 2>&1 || true
	rm -f "$cand.empty"
	if [ -f "$cand/own" ]; then
		for h in "${headers[@]}"; do
			{
				bytes "$h"
				# shellcheck disable=SC2059
				printf "$cfg"
				tail -c +9 "$cand/own"
			} >"$cand/own-$h"
		done
		[ -z "$cfg" ] || cfg_candidates "$target" "$cand"
		rm -f "$cand/own"
	fi
	find "$cand" -type f -size +"$max_len"c -exec truncate -s "$max_len" {} +
	new="fuzz/out/seeds/merged/$target"
	rm -rf "$new"
	mkdir -p "$new"
	TLSH_FUZZ_QUIET=1 "$bin" "${lf_flags[@]}" -merge=1 "$new" "$cand" >"$new.log" 2>&1 || {
		tail -n 20 "$new.log"
		exit 1
	}
	rm -rf "corpora/$target"
	mkdir -p "corpora/$target"
	cp "$new"/* "corpora/$target"/
	echo "corpus: $target [$(cat "$bin.kind")]: $n recorded + $(find "$cand" -name 'own-*' | wc -l) own candidates -> $(find "corpora/$target" -type f | wc -l) files, $(du -sk "corpora/$target" | cut -f1) KiB"
done

#!/usr/bin/env bash
# Proof of the passive wire rules through a real peer: for each rule, OpenSSL
# wrapped as mutant-wire:MUTATION (its own outgoing bytes rewritten) plays the
# role that breaks the rule against a plain OpenSSL, in a normal scenario, and
# the oracle's rules (wirescan) must flag that rule on the mutant's side of
# the transcript. Rules that need a HelloRetryRequest, a client that did not
# signal (sh12-reneg-unsolicited, sh12-ems-unoffered) or the encrypted phase
# (record-ciphertext-overflow) are proven in test_oracle only.
# Usage: wire_mutant.sh PATH-TO-tlsharness PATH-TO-wirescan   (TAP)
set -uo pipefail
bin="$1"
scan="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

# rule mutation role scenario
cases='
sh-ext-unoffered           sh-ext-unoffered           server handshake/version/tls13
sh-ext-unoffered           sh-ext-unoffered           server handshake/version/tls12
sh13-ext-misplaced         sh-ext-sni-in-sh           server handshake/version/tls13
ch-ext-duplicate           ch-ext-dup-groups          client handshake/version/tls13
sh-ext-duplicate           sh-ext-dup-first           server handshake/version/tls12
hello-ext-syntax           ch-len-groups-inner-minus1 client handshake/version/tls13
hello-ext-syntax           sh-sv-3-bytes              server handshake/version/tls13
sh13-legacy-version        sh-legacy-version-0304     server handshake/version/tls13
sh13-session-id-echo       sh-sid-changed             server handshake/version/tls13
sh13-compression           sh-compression-1           server handshake/version/tls13
sh-version-unoffered       sh-version-0305            server handshake/version/tls13
sh12-supported-versions    sh-sv-0303                 server handshake/version/tls12
sh-cipher-unoffered        sh-cipher-unoffered        server handshake/version/tls13
sh-compression-unoffered   sh-compression-1           server handshake/version/tls12
ch13-legacy-version        ch-legacy-version-0304     client handshake/version/tls13
ch13-compression           ch-compression-deflate     client handshake/version/tls13
ch13-mandatory-ext         ch-drop-sigalgs            client handshake/version/tls13
ch13-psk-last              ch-psk-first               client handshake/version/tls13
ch13-psk-modes             ch-psk-no-modes            client handshake/version/tls13
ch-key-share-unlisted      ch-key-share-unlisted      client handshake/version/tls13
ch-key-share-order         ch-key-share-order         client handshake/version/tls13
ch-key-share-duplicate     ch-key-share-dup           client handshake/version/tls13
sh-key-share-group         sh-key-share-p256          server handshake/version/tls13
ch-reneg-signal            ch-no-reneg-signal         client handshake/version/tls12
ch-reneg-not-empty         ch-reneg-not-empty         client handshake/version/tls12
sh12-reneg-missing         sh-drop-reneg              server handshake/version/tls12
sh12-reneg-not-empty       sh-reneg-not-empty         server handshake/version/tls12
ems-not-empty              sh-ems-not-empty           server handshake/version/tls12
ems-not-empty              ch-ems-not-empty           client handshake/version/tls12
ch-sni-one-host-name       ch-sni-two-names           client handshake/version/tls13
ch-sni-trailing-dot        ch-sni-trailing-dot        client handshake/version/tls13
ch-sni-ip-literal          ch-sni-ip                  client handshake/version/tls13
sh-sni-not-empty           sh-sni-not-empty           server handshake/version/tls12
sh12-alpn-one              sh-alpn-two-names          server alpn/overlap/tls12
sh12-alpn-unoffered        sh-alpn-unoffered          server alpn/overlap/tls12
record-plaintext-overflow  ch-oversize                client handshake/version/tls13
record-plaintext-overflow  sh-oversize                server handshake/version/tls12
record-empty-fragment      zero-records               client handshake/version/tls13
record-empty-fragment      zero-records               server handshake/version/tls12
record-unknown-type        ch-inject-unknown-type     client handshake/version/tls13
record-outer-type          sh-inject-alert-after      server handshake/version/tls13
record-version13           sh-record-version-0301     server handshake/version/tls13
record-ccs-value           sh-inject-ccs-2            server handshake/version/tls13
record-alert13-form        sh-inject-alert-3-bytes    server handshake/version/tls13
record-hs-interleaved      sh-split-ccs-inside        server handshake/version/tls13
record-hs-interleaved      ch-split-alert-inside      client handshake/version/tls12
record-hs-key-change       sh-append-hs               server handshake/version/tls13
sh12-version-above-client  sh-legacy-version-0304     server handshake/version/tls12
ch-compression-null        ch-compression-deflate-only client handshake/version/tls12
hello-session-id-length    ch-sid-33                  client handshake/version/tls13
hello-session-id-length    sh-sid-33                  server handshake/version/tls12
'

while read -r rule mutation role scenario; do
	[ -n "$rule" ] || continue
	n=$((n + 1))
	out="$tmp/$n"
	if [ "$role" = server ]; then
		args=(--client openssl --server "mutant-wire:$mutation")
	else
		args=(--client "mutant-wire:$mutation" --server openssl)
	fi
	"$bin" run "${args[@]}" -f "$scenario" -q -o "$out" >"$out.log" 2>&1
	found=$("$scan" "$out"/transcripts/*/*.tlstr 2>&1 | awk -F'\t' -v s="$role" -v r="$rule" '$2 == s && $3 == r' | head -1)
	if [ -n "$found" ]; then
		echo "ok $n - $rule: mutant-wire:$mutation as $role in $scenario is flagged"
	else
		echo "not ok $n - $rule: mutant-wire:$mutation as $role in $scenario is NOT flagged"
		"$scan" "$out"/transcripts/*/*.tlstr 2>&1 | head -5 | sed 's/^/#   /'
		tail -3 "$out.log" | sed 's/^/#   /'
		bad=$((bad + 1))
	fi
done <<<"$cases"
echo "1..$n"
[ "$bad" -eq 0 ]

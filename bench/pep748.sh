#!/usr/bin/env bash
# Handshakes per second of the Python PEP 748 endpoint (pep748 bridge +
# tlsh_pep748.stdlib) against the C OpenSSL endpoint, in one run: compiles
# bench/pep748.c against the harness core of a build tree and runs it.
#
#   bench/pep748.sh [BUILD_DIR [SECONDS_PER_ROUND [PYTHON_SPEC]]]
#
# BUILD_DIR (default build) must have the openssl and pep748 adapters built.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
seconds="${2:-1}"
spec="${3:-pep748:tlsh_pep748.stdlib:IMPLEMENTATION}"
core="$build/harness/libtlsh-core.a"
for f in "$core" "$build/impls/openssl/tlsh-openssl.so" "$build/impls/pep748/tlsh-pep748.so"; do
	if [ ! -f "$f" ]; then
		echo "bench/pep748.sh: $f is missing (build with -Dopenssl=enabled -Dpep748=enabled)" >&2
		exit 2
	fi
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-DTLSH_PKI_DIR="\"$PWD/harness/pki\"" \
	-Iharness/include -Iharness/src \
	bench/pep748.c "$core" -ljansson -ldl -lpthread -o "$out/bench-pep748"
echo "bench/pep748.sh: $(nproc) cores; build $build"
"$out/bench-pep748" "$seconds" "$spec"

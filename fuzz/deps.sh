#!/usr/bin/env bash
# fuzz/deps.sh NAME [VARIANT...] - fetches Debian's source package of a TLS
# library and builds it with fuzzing instrumentation into .deps/ (ignored),
# so that fuzz targets see coverage inside the library, not only in the
# adapter.
#
#   NAME      openssl (the only library with an instrumented build so far)
#   VARIANT   libfuzzer  clang -fsanitize=fuzzer-no-link,address,undefined
#                        -> .deps/openssl            (default)
#             afl        afl-clang-fast, AFL_USE_ASAN/AFL_USE_UBSAN
#                        -> .deps/openssl-afl
#             cmplog     afl-clang-fast, AFL_LLVM_CMPLOG=1, no sanitizers
#                        -> .deps/openssl-cmplog
#             all        the three
#
# Steps: add a deb-src entry for bookworm if none exists
# (/etc/apt/sources.list.d/tlsharness-deb-src.sources), apt-get source into
# .deps/src (falling back to NAME/bookworm when the newest .dsc is missing
# from the mirror, which happens for packages with a security update), then
# configure and `make build_libs` out of tree in .deps/build/NAME-VARIANT and
# install headers and static libraries. A prefix that already holds
# lib/libssl.a and the stamp of the same source version is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

name="${1:-}"
shift || true
if [ "$name" != openssl ]; then
	echo "usage: fuzz/deps.sh openssl [libfuzzer|afl|cmplog|all]..." >&2
	echo "(only OpenSSL has an instrumented build; other backends build smoke targets)" >&2
	exit 2
fi
variants=("$@")
[ "${#variants[@]}" -gt 0 ] || variants=(libfuzzer)
if [ "${variants[0]}" = all ]; then
	variants=(libfuzzer afl cmplog)
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
jobs="${TLSH_DEPS_JOBS:-$(nproc)}"

have_deb_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

fetch_source() {
	mkdir -p .deps/src
	local dir
	dir=$(find .deps/src -maxdepth 1 -type d -name "${name}-[0-9]*" | sort | tail -n 1)
	if [ -n "$dir" ] && [ -f "$dir/Configure" ]; then
		echo "$dir"
		return
	fi
	if ! command -v dpkg-source >/dev/null; then
		echo "deps: installing dpkg-dev (for apt-get source)" >&2
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg-dev >&2
	fi
	if ! have_deb_src; then
		echo "deps: adding a deb-src entry for bookworm" >&2
		$sudo tee /etc/apt/sources.list.d/tlsharness-deb-src.sources >/dev/null <<-'SRC'
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm bookworm-updates
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

			Types: deb-src
			URIs: http://deb.debian.org/debian-security
			Suites: bookworm-security
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		SRC
		$sudo apt-get update -qq >&2
	fi
	(
		cd .deps/src
		apt-get source -qq --download-only "$name" >&2 2>/dev/null ||
			apt-get source -qq --download-only "$name/bookworm" >&2
		local dsc
		dsc=$(ls -t "${name}"_*.dsc | head -n 1)
		dpkg-source -x "$dsc" >&2
	)
	dir=$(find .deps/src -maxdepth 1 -type d -name "${name}-[0-9]*" | sort | tail -n 1)
	[ -f "$dir/Configure" ] || {
		echo "deps: no OpenSSL source tree in .deps/src" >&2
		exit 1
	}
	echo "$dir"
}

build_variant() {
	local src="$1" variant="$2" prefix build stamp
	case "$variant" in
	libfuzzer) prefix="$root/.deps/openssl" ;;
	afl) prefix="$root/.deps/openssl-afl" ;;
	cmplog) prefix="$root/.deps/openssl-cmplog" ;;
	*)
		echo "deps: unknown variant '$variant'" >&2
		exit 2
		;;
	esac
	stamp="$(basename "$src") $variant"
	if [ -f "$prefix/lib/libssl.a" ] && [ "$(cat "$prefix/.stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "deps: $prefix is up to date ($stamp)"
		return
	fi
	build="$root/.deps/build/openssl-$variant"
	rm -rf "$build" "$prefix"
	mkdir -p "$build"
	local t0=$SECONDS
	local common=(no-shared no-module no-tests no-dso "--prefix=$prefix" "--openssldir=$prefix/ssl" --libdir=lib)
	echo "deps: building $stamp into $prefix"
	(
		cd "$build"
		case "$variant" in
		libfuzzer)
			CC=clang "$root/$src/Configure" linux-x86_64-clang "${common[@]}" \
				enable-asan enable-ubsan -fsanitize=fuzzer-no-link \
				-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -gline-tables-only >configure.log
			;;
		afl)
			AFL_USE_ASAN=1 AFL_USE_UBSAN=1 CC=afl-clang-fast "$root/$src/Configure" \
				linux-x86_64-clang "${common[@]}" \
				-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -gline-tables-only >configure.log
			;;
		cmplog)
			AFL_LLVM_CMPLOG=1 CC=afl-clang-fast "$root/$src/Configure" \
				linux-x86_64-clang "${common[@]}" \
				-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION >configure.log
			;;
		esac
		export AFL_QUIET=1
		[ "$variant" != afl ] || export AFL_USE_ASAN=1 AFL_USE_UBSAN=1
		[ "$variant" != cmplog ] || export AFL_LLVM_CMPLOG=1
		make -j"$jobs" build_libs >build.log 2>&1 || {
			tail -n 30 build.log >&2
			exit 1
		}
		make install_dev >install.log 2>&1 || {
			tail -n 30 install.log >&2
			exit 1
		}
	)
	echo "$stamp" >"$prefix/.stamp"
	echo "deps: $variant built in $((SECONDS - t0)) s"
}

src=$(fetch_source)
echo "deps: source $src"
for v in "${variants[@]}"; do
	build_variant "$src" "$v"
done

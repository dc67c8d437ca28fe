#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for tlsharness's TLS fuzz targets.
#
# Honours $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT (and $SRC,
# $WORK). Writes, for every target it can build here:
#   $OUT/TARGET                  the fuzzer (fuzz/driver.c + the adapter)
#   $OUT/TARGET_seed_corpus.zip  corpora/TARGET
#   $OUT/TARGET.dict             fuzz/tls.dict
#   $OUT/TARGET.options          fuzz/options/TARGET.options
# OpenSSL is built from source with the same flags when $SRC/openssl exists
# (the Dockerfile clones it); otherwise TLSH_OPENSSL_PREFIX, or the
# instrumented .deps/openssl of `just fuzz-deps openssl` when present (host
# runs), or the system library (smoke targets). TLSH_FUZZ_TARGETS selects
# targets (default: fuzz/targets.txt; backends missing here are skipped).
#
# On the host (what `just test` does, libFuzzer settings):
#   CC=clang CXX=clang++ CFLAGS="-fsanitize=address,undefined,fuzzer-no-link" \
#   CXXFLAGS="-fsanitize=address,undefined" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=fuzz/out/regress docker/oss-fuzz/build.sh
here="$(cd "$(dirname "$0")" && pwd)"
root="${TLSH_SRC:-$(cd "$here/../.." && pwd)}"
: "${OUT:?set OUT}"
export CC="${CC:-clang}" CXX="${CXX:-clang++}"
export CFLAGS="${CFLAGS:-}" CXXFLAGS="${CXXFLAGS:-}"
export LIB_FUZZING_ENGINE="${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}"
mkdir -p "$OUT"
WORK="${WORK:-$OUT/.work}"
mkdir -p "$WORK"

if [ -z "${TLSH_OPENSSL_PREFIX:-}" ] && [ -n "${SRC:-}" ] && [ -f "$SRC/openssl/Configure" ]; then
	if [ ! -f "$WORK/openssl/lib/libssl.a" ]; then
		mkdir -p "$WORK/openssl-build"
		(
			cd "$WORK/openssl-build"
			# shellcheck disable=SC2086
			"$SRC/openssl/Configure" linux-x86_64-clang no-shared no-module no-tests no-dso \
				--prefix="$WORK/openssl" --openssldir="$WORK/openssl/ssl" --libdir=lib \
				-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $CFLAGS
			make -j"$(nproc)" build_libs >/dev/null
			make install_dev >/dev/null
		)
	fi
	export TLSH_OPENSSL_PREFIX="$WORK/openssl"
fi

targets=()
if [ -n "${TLSH_FUZZ_TARGETS:-}" ]; then
	read -r -a targets <<<"$TLSH_FUZZ_TARGETS"
fi
"$root/fuzz/build.sh" -e ossfuzz -o "$OUT" -q "${targets[@]}"

for bin in "$OUT"/*; do
	t="$(basename "$bin")"
	[ -f "$bin" ] && [ -x "$bin" ] && [ -f "$OUT/$t.kind" ] || continue
	cp "$root/fuzz/tls.dict" "$OUT/$t.dict"
	[ ! -f "$root/fuzz/options/$t.options" ] || cp "$root/fuzz/options/$t.options" "$OUT/$t.options"
	rm -f "$OUT/${t}_seed_corpus.zip"
	if [ -d "$root/corpora/$t" ] && [ -n "$(ls -A "$root/corpora/$t")" ]; then
		(cd "$root/corpora/$t" && python3 -m zipfile -c "$OUT/${t}_seed_corpus.zip" ./*)
	fi
done
echo "oss-fuzz build.sh: $(find "$OUT" -maxdepth 1 -name '*.kind' | wc -l) targets in $OUT"

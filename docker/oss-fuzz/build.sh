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
# runs), or the system library (smoke targets). Botan is built the same way
# from $SRC/botan when it exists (a static library with the engine's flags,
# also what makes it link against OSS-Fuzz's libc++; exported as
# TLSH_BOTAN_PREFIX through the tlsh.cflags/tlsh.libs contract of
# fuzz/build.sh). The other backends use the instrumented .deps/NAME prefix
# when there is one (host), else their distro library (the Dockerfile
# installs the -dev packages): in an OSS-Fuzz image ($SRC set), the shared
# libraries such a target needs are copied to $OUT/lib and the targets find
# them through an $ORIGIN/lib rpath, since the runner image has none of them.
# TLSH_FUZZ_TARGETS selects targets (default: fuzz/targets.txt; backends
# missing here are skipped).
#
# On the host (what `just test` does, libFuzzer settings):
#   CC=clang CXX=clang++ CFLAGS="-fsanitize=address,undefined,fuzzer-no-link" \
#   CXXFLAGS="-fsanitize=address,undefined,fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=fuzz/out/regress docker/oss-fuzz/build.sh
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

if [ -z "${TLSH_BOTAN_PREFIX:-}" ] && [ -n "${SRC:-}" ] && [ -f "$SRC/botan/configure.py" ]; then
	if [ ! -f "$WORK/botan/tlsh.libs" ]; then
		(
			cd "$SRC/botan"
			# shellcheck disable=SC2086
			/usr/bin/python3 configure.py --prefix="$WORK/botan" --cc=clang --cc-bin="$CXX" \
				--cxxflags="$CXXFLAGS -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" \
				--disable-shared-library --build-targets=static --without-documentation \
				--with-build-dir="$WORK/botan-build"
			make -j"$(nproc)" -f "$WORK/botan-build/Makefile" libs >/dev/null
			make -f "$WORK/botan-build/Makefile" install >/dev/null
		)
		echo "-isystem $WORK/botan/include/botan-2" >"$WORK/botan/tlsh.cflags"
		echo "$WORK/botan/lib/libbotan-2.a -lpthread -ldl" >"$WORK/botan/tlsh.libs"
	fi
	export TLSH_BOTAN_PREFIX="$WORK/botan"
fi

# In an OSS-Fuzz image the distro libraries of smoke targets travel in $OUT/lib.
bundle=0
if [ -n "${SRC:-}" ] && [ -d "$SRC/tlsharness" ]; then
	bundle=1
	export LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE -Wl,-rpath,\$ORIGIN/lib"
fi

targets=()
if [ -n "${TLSH_FUZZ_TARGETS:-}" ]; then
	read -r -a targets <<<"$TLSH_FUZZ_TARGETS"
fi
"$root/fuzz/build.sh" -e ossfuzz -o "$OUT" -q "${targets[@]}"

for bin in "$OUT"/*; do
	t="$(basename "$bin")"
	if ! [ -f "$bin" ] || ! [ -x "$bin" ] || ! [ -f "$OUT/$t.kind" ]; then
		continue
	fi
	cp "$root/fuzz/tls.dict" "$OUT/$t.dict"
	[ ! -f "$root/fuzz/options/$t.options" ] || cp "$root/fuzz/options/$t.options" "$OUT/$t.options"
	rm -f "$OUT/${t}_seed_corpus.zip"
	if [ -d "$root/corpora/$t" ] && [ -n "$(ls -A "$root/corpora/$t")" ]; then
		(cd "$root/corpora/$t" && /usr/bin/python3 -m zipfile -c "$OUT/${t}_seed_corpus.zip" ./*)
	fi
	if [ "$bundle" -eq 1 ]; then
		# Every shared library but glibc's and the C++ runtime's.
		mkdir -p "$OUT/lib"
		ldd "$bin" | awk '$3 ~ /^\// {print $3}' |
			grep -v -E '/(libc|libm|libdl|libpthread|librt|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
			while read -r lib; do cp -L -n "$lib" "$OUT/lib/"; done
		# NSS loads its softoken (and freebl) at run time, next to libnss3.
		if [ -f "$OUT/lib/libnss3.so" ] && [ ! -d "$OUT/lib/nss" ]; then
			nssdir="$(dirname "$(ldd "$bin" | awk '$1 == "libnss3.so" {print $3}')")/nss"
			if [ -d "$nssdir" ]; then
				mkdir -p "$OUT/lib/nss"
				cp -L -n "$nssdir"/*.so "$OUT/lib/nss/"
				cp -L -n "$nssdir"/*.so "$OUT/lib/"
			fi
		fi
	fi
done
echo "oss-fuzz build.sh: $(find "$OUT" -maxdepth 1 -name '*.kind' | wc -l) targets in $OUT"

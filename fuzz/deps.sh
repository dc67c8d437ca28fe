#!/usr/bin/env bash
# fuzz/deps.sh NAME [VARIANT...] - fetches Debian's (bookworm) source package
# of a TLS library and builds it with fuzzing instrumentation into .deps/
# (ignored), so that fuzz targets see coverage inside the library, not only
# in the adapter.
#
#   NAME      the library (Debian source package; what the build leaves out):
#             openssl    openssl: no-shared no-module no-tests no-dso, `make build_libs`
#             wolfssl    wolfssl: Debian's configure flags (--enable-distro
#                        --enable-pkcs11), static only; no examples, crypt
#                        tests, benchmark
#             mbedtls    mbedtls (2.28): cmake, Debian's config.h edits
#                        (threading, ...), static only; no programs, no tests
#             bearssl    bearssl: `make lib` (libbearssl.a); no tools, tests, .so;
#                        no unaligned-access fast paths (UBSan)
#             gnutls     gnutls28: only lib/ (and gl/), static; no doc, tools,
#                        tests, guile, C++, libdane, nls, tpm, compression
#                        (as Debian's libgnutls30); nettle, hogweed, gmp,
#                        libtasn1, libidn2, libunistring, p11-kit are the
#                        distro's shared libraries
#             boringssl  android-platform-external-boringssl: libcrypto.a and
#                        libssl.a from debian/sources.mk (the file lists of
#                        Debian's debian/lib*.mk); no tool, no tests
#             nss        nss: NSS's gyp/ninja build (what nss/build.sh --static
#                        runs; Debian uses coreconf make for shared libraries)
#                        of the static targets NSS's own fuzzers link, with the
#                        software token linked in (NSS_STATIC_SOFTOKEN); no
#                        tests, tools, legacy DB, smime; NSPR's
#                        libplds4 (arenas: ASan poisoning) from Debian's nspr
#                        source, instrumented too; libnspr4, libplc4 and
#                        SQLite are the distro's shared libraries
#             botan      botan (2.19): configure.py --minimized-build with the
#                        modules the adapter uses, static only; no CLI, tests,
#                        docs, Python module
#   VARIANT   libfuzzer  clang -fsanitize=fuzzer-no-link,address,undefined
#                        -> .deps/NAME            (default)
#             afl        afl-clang-fast, AFL_USE_ASAN/AFL_USE_UBSAN
#                        -> .deps/NAME-afl
#             cmplog     afl-clang-fast, AFL_LLVM_CMPLOG=1, no sanitizers
#                        -> .deps/NAME-cmplog
#             all        the three
#
# Every library is compiled with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
# (as on OSS-Fuzz; TLSH_DEPS_FUZZING_MODE=0 leaves it out). OpenSSL and
# GnuTLS change behaviour with it: GnuTLS then uses a deterministic PRNG and
# does not check the peer's Finished message.
#
# Steps: add a deb-src entry for bookworm if none exists
# (/etc/apt/sources.list.d/tlsharness-deb-src.sources), apt-get source into
# .deps/src (falling back to PACKAGE/bookworm when the newest .dsc is missing
# from the mirror, which happens for packages with a security update), then
# build out of tree in .deps/build/NAME-VARIANT (logs there) and install
# headers and static libraries into the prefix. Each prefix holds:
#   include/     the headers, as the adapter includes them
#   lib/         the static archives
#   tlsh.cflags  one line: compiler flags for the adapter (absolute paths)
#   tlsh.libs    one line: link flags (archives in order, then system libs)
#   .stamp       "SOURCE-DIR VARIANT"; a prefix with the same stamp is left
#                alone ("up to date")
# Builds run under `nice -n ${TLSH_DEPS_NICE:-10}` with ${TLSH_DEPS_JOBS:-nproc}
# jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

libraries="openssl wolfssl mbedtls bearssl gnutls boringssl nss botan"
usage() {
	echo "usage: fuzz/deps.sh NAME [libfuzzer|afl|cmplog|all]..." >&2
	echo "  NAME: ${libraries// /, }" >&2
	exit 2
}

name="${1:-}"
shift || true
case " $libraries " in
*" $name "*) [ -n "$name" ] || usage ;;
*) usage ;;
esac
variants=("$@")
[ "${#variants[@]}" -gt 0 ] || variants=(libfuzzer)
if [ "${variants[0]}" = all ]; then
	variants=(libfuzzer afl cmplog)
fi
for v in "${variants[@]}"; do
	case "$v" in
	libfuzzer | afl | cmplog) ;;
	*)
		echo "deps: unknown variant '$v'" >&2
		usage
		;;
	esac
done

# Be nice to the other users of the machine (once, for the whole run).
if [ -z "${TLSH_DEPS_NICED:-}" ]; then
	export TLSH_DEPS_NICED=1
	exec nice -n "${TLSH_DEPS_NICE:-10}" "$root/fuzz/deps.sh" "$name" "${variants[@]}"
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
jobs="${TLSH_DEPS_JOBS:-$(nproc)}"

# name -> Debian source package, a file that proves the tree is unpacked, the
# archive that proves a prefix is installed.
case "$name" in
openssl) pkg=openssl tree_file=Configure key_lib=libssl.a ;;
wolfssl) pkg=wolfssl tree_file=configure.ac key_lib=libwolfssl.a ;;
mbedtls) pkg=mbedtls tree_file=include/mbedtls/ssl.h key_lib=libmbedtls.a ;;
bearssl) pkg=bearssl tree_file=inc/bearssl.h key_lib=libbearssl.a ;;
gnutls) pkg=gnutls28 tree_file=lib/gnutls_int.h key_lib=libgnutls.a ;;
boringssl) pkg=android-platform-external-boringssl tree_file=debian/sources.mk key_lib=libssl.a ;;
nss) pkg=nss tree_file=nss/lib/ssl/ssl.h key_lib=libssl.a ;;
botan) pkg=botan tree_file=configure.py key_lib=libbotan-2.a ;;
esac

have_deb_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

find_tree() {
	local d
	for d in $(find .deps/src -maxdepth 1 -type d -name "${pkg}-[0-9]*" | sort -r); do
		if [ -f "$d/$tree_file" ]; then
			echo "$d"
			return
		fi
	done
}

fetch_source() {
	mkdir -p .deps/src
	local dir
	dir=$(find_tree)
	if [ -n "$dir" ]; then
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
		apt-get source -qq --download-only "$pkg" >&2 2>/dev/null ||
			apt-get source -qq --download-only "$pkg/bookworm" >&2
		local dsc
		# shellcheck disable=SC2012 # Debian file names
		dsc=$(ls -t "${pkg}"_*.dsc | head -n 1)
		dpkg-source -x "$dsc" >&2
	)
	dir=$(find_tree)
	[ -n "$dir" ] || {
		echo "deps: no $pkg source tree (with $tree_file) in .deps/src" >&2
		exit 1
	}
	echo "$dir"
}

# Build tools a library needs beyond clang and make (Debian packages).
need_tools() {
	local missing=() t
	for t in "$@"; do
		case "$t" in
		autoreconf) command -v autoreconf >/dev/null || missing+=(autoconf automake libtool) ;;
		cmake) command -v cmake >/dev/null || missing+=(cmake) ;;
		pkg-config) command -v pkg-config >/dev/null || missing+=(pkg-config) ;;
		gyp) command -v gyp >/dev/null || missing+=(gyp ninja-build) ;;
		afl-clang-fast) command -v afl-clang-fast >/dev/null || missing+=(afl++) ;;
		*) dpkg -s "$t" >/dev/null 2>&1 || missing+=("$t") ;;
		esac
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "deps: installing ${missing[*]}" >&2
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
}

# Compiler settings of a variant: exports CC, CXX, CFLAGS, CXXFLAGS and the
# AFL++ variables. The sanitizers for C++ leave out vptr and function: those
# need the C++ part of the UBSan runtime, which `clang` (not clang++) does not
# link, and the fuzz targets are linked with clang.
set_compiler() {
	local variant="$1" opt="-O1 -fno-omit-frame-pointer -gline-tables-only"
	local def="-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
	[ "${TLSH_DEPS_FUZZING_MODE:-1}" != 0 ] || def=""
	export AFL_QUIET=1 ASAN_OPTIONS=detect_leaks=0
	unset AFL_USE_ASAN AFL_USE_UBSAN AFL_LLVM_CMPLOG
	case "$variant" in
	libfuzzer)
		export CC=clang CXX=clang++
		export CFLAGS="$opt $def -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
		export CXXFLAGS="$opt $def -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize=vptr,function -fno-sanitize-recover=undefined"
		;;
	afl)
		export CC=afl-clang-fast CXX=afl-clang-fast++ AFL_USE_ASAN=1 AFL_USE_UBSAN=1
		export CFLAGS="$opt $def"
		export CXXFLAGS="$opt $def -fno-sanitize=vptr,function"
		;;
	cmplog)
		export CC=afl-clang-fast CXX=afl-clang-fast++ AFL_LLVM_CMPLOG=1
		export CFLAGS="-O1 -fno-omit-frame-pointer $def"
		export CXXFLAGS="$CFLAGS"
		;;
	esac
	export LDFLAGS="" CPPFLAGS=""
}

# run LOG CMD...: runs CMD with its output in LOG; on failure, the tail.
run() {
	local log="$1"
	shift
	if ! "$@" >>"$log" 2>&1; then
		echo "deps: failed: $*" >&2
		tail -n 40 "$log" >&2
		return 1
	fi
}

# Libraries as pkg-config --static sees them in a .pc file of the prefix,
# without the -L/-l of the library itself (given as archive paths).
pc_private_libs() {
	local pc="$1"
	shift
	local out
	out=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig" \
		pkg-config --static --libs "$pc")
	local f keep=()
	for f in $out; do
		case " $* " in *" $f "*) continue ;; esac
		[ "$f" != "-L$prefix/lib" ] || continue
		keep+=("$f")
	done
	echo "${keep[*]}"
}

# ---------------------------------------------------------------- openssl
build_openssl() {
	# OpenSSL's Configure would add CFLAGS etc. from the environment.
	unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS
	local common=(no-shared no-module no-tests no-dso "--prefix=$prefix" "--openssldir=$prefix/ssl" --libdir=lib)
	case "$variant" in
	libfuzzer)
		CC=clang run configure.log "$root/$src/Configure" linux-x86_64-clang "${common[@]}" \
			enable-asan enable-ubsan -fsanitize=fuzzer-no-link \
			-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -gline-tables-only
		;;
	afl)
		run configure.log "$root/$src/Configure" linux-x86_64-clang "${common[@]}" \
			-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -gline-tables-only
		;;
	cmplog)
		run configure.log "$root/$src/Configure" linux-x86_64-clang "${common[@]}" \
			-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
		;;
	esac
	run build.log make -j"$jobs" build_libs
	run install.log make install_dev
}
flags_openssl() {
	cflags="-isystem $prefix/include"
	libs="$prefix/lib/libssl.a $prefix/lib/libcrypto.a -lpthread -ldl"
}

# ---------------------------------------------------------------- wolfssl
# Debian's debian/rules: --enable-distro --enable-pkcs11 --disable-examples.
# --enable-distro turns on nearly every feature (TLS 1.3, ALPN, SNI, session
# tickets, the OpenSSL compatibility layer the adapter uses ...).
build_wolfssl() {
	need_tools autoreconf pkg-config
	if [ ! -x "$root/$src/configure" ]; then
		(cd "$root/$src" && run "$build/autogen.log" autoreconf -fi)
	fi
	run configure.log "$root/$src/configure" --prefix="$prefix" --libdir="$prefix/lib" \
		--enable-static --disable-shared \
		--enable-distro --enable-pkcs11 --disable-examples \
		--disable-crypttests --disable-benchmark --disable-silent-rules
	# --enable-distro switches shared libraries back on; without this,
	# libtool would compile every file twice (PIC and not).
	sed -i 's/^build_libtool_libs=yes$/build_libtool_libs=no/' libtool
	run build.log make -j"$jobs"
	run install.log make install
	rm -f "$prefix"/lib/libwolfssl.so* "$prefix"/lib/libwolfssl.la
}
flags_wolfssl() {
	# wolfssl/options.h (included first by the adapter) carries the -D
	# options of the build.
	cflags="-isystem $prefix/include"
	libs="$prefix/lib/libwolfssl.a $(pc_private_libs wolfssl -lwolfssl) -lpthread -ldl -lm"
}

# ---------------------------------------------------------------- mbedtls
# Debian's debian/rules: scripts/config.py set MBEDTLS_DEPRECATED_WARNING,
# HAVEGE_C, MD2_C, MD4_C, THREADING_C, THREADING_PTHREAD, CMAC_C,
# SSL_DTLS_SRTP, then cmake with ENABLE_PROGRAMS=OFF. The config.h edits go
# to a copy (include/mbedtls/config.h of the prefix), passed with
# MBEDTLS_CONFIG_FILE, so the source tree stays as unpacked.
build_mbedtls() {
	need_tools cmake
	mkdir -p cfg/mbedtls
	cp "$root/$src/include/mbedtls/config.h" cfg/mbedtls/config.h
	local o
	for o in MBEDTLS_DEPRECATED_WARNING MBEDTLS_HAVEGE_C MBEDTLS_MD2_C MBEDTLS_MD4_C \
		MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD MBEDTLS_CMAC_C MBEDTLS_SSL_DTLS_SRTP; do
		run configure.log /usr/bin/python3 "$root/$src/scripts/config.py" -f cfg/mbedtls/config.h set "$o"
	done
	run configure.log cmake "$root/$src" -DCMAKE_INSTALL_PREFIX="$prefix" -DLIB_INSTALL_DIR=lib \
		-DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="$CFLAGS -DMBEDTLS_CONFIG_FILE='<$build/cfg/mbedtls/config.h>'" \
		-DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
		-DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DMBEDTLS_FATAL_WARNINGS=OFF \
		-DGEN_FILES=OFF -DCMAKE_VERBOSE_MAKEFILE=ON
	run build.log make -j"$jobs"
	run install.log make install
	cp cfg/mbedtls/config.h "$prefix/include/mbedtls/config.h"
}
flags_mbedtls() {
	# include/mbedtls/config.h of the prefix is the edited one.
	cflags="-isystem $prefix/include"
	libs="$prefix/lib/libmbedtls.a $prefix/lib/libmbedx509.a $prefix/lib/libmbedcrypto.a -lpthread"
}

# ---------------------------------------------------------------- bearssl
# Debian's debian/rules: conf/Unix.mk with the distro CC/CFLAGS, TOOLS=no
# TESTS=no. Headers as Debian installs them: inc/*.h in include/bearssl/ and
# debian/bearssl.h (#include "bearssl/bearssl.h") as include/bearssl.h.
# BR_LE_UNALIGNED=0 BR_BE_UNALIGNED=0 (src/config.h): BearSSL's x86 fast
# paths read integers at unaligned addresses through a union, which UBSan
# (-fsanitize=alignment, no recovery) stops at on the first handshake; the
# byte-wise paths are the ones every other platform uses. (inner.h only: the
# public headers and the adapter do not depend on it.)
build_bearssl() {
	cat >conf.mk <<-EOF
		include conf/Unix.mk
		BUILD = $build/out
		CC = $CC
		AR = ar
		LD = $CC
		LDDLL = $CC
		CFLAGS = -W -Wall -fPIC $CFLAGS -DBR_LE_UNALIGNED=0 -DBR_BE_UNALIGNED=0
		LDFLAGS = $CFLAGS
		TOOLS = no
		TESTS = no
	EOF
	cp conf.mk "$root/$src/conf/tlsh-$variant.mk"
	run build.log make -C "$root/$src" -j"$jobs" CONF="tlsh-$variant" lib
	rm -f "$root/$src/conf/tlsh-$variant.mk"
	mkdir -p "$prefix/include/bearssl" "$prefix/lib"
	cp "$root/$src"/inc/*.h "$prefix/include/bearssl/"
	cp "$root/$src/debian/bearssl.h" "$prefix/include/bearssl.h"
	cp out/libbearssl.a "$prefix/lib/"
}
flags_bearssl() {
	cflags="-isystem $prefix/include"
	libs="$prefix/lib/libbearssl.a -ldl -lpthread"
}

# ---------------------------------------------------------------- gnutls
# Debian's debian/rules configure flags, minus what is not the library
# (doc, tools, tests, guile, C++, libdane, openssl compatibility, nls).
build_gnutls() {
	need_tools pkg-config nettle-dev libgmp-dev libtasn1-6-dev libidn2-dev \
		libunistring-dev libp11-kit-dev
	run configure.log "$root/$src/configure" --prefix="$prefix" --libdir="$prefix/lib" \
		--enable-static --disable-shared \
		--disable-doc --disable-gtk-doc --disable-manpages --disable-tools --disable-tests \
		--disable-guile --disable-cxx --disable-libdane --disable-nls \
		--disable-silent-rules --disable-rpath --without-tpm --without-tpm2 \
		--without-zlib --without-brotli --without-zstd \
		--with-default-trust-store-file=/etc/ssl/certs/ca-certificates.crt \
		--with-packager=Debian --with-packager-version="$(basename "$src") (tlsharness $variant)"
	run build.log make -j"$jobs" -C gl
	run build.log make -j"$jobs" -C lib
	run install.log make -C lib install
}
flags_gnutls() {
	cflags="-isystem $prefix/include"
	libs="$prefix/lib/libgnutls.a $(pc_private_libs gnutls -lgnutls) -lpthread -ldl"
}

# ---------------------------------------------------------------- boringssl
# Debian builds libcrypto.so and libssl.so with debian/libcrypto.mk and
# debian/libssl.mk from the file lists in debian/sources.mk; this builds the
# same lists into static archives with the same defines (less
# BORINGSSL_SHARED_LIBRARY) and installs src/include/openssl as
# include/openssl (Debian: /usr/include/android/openssl).
build_boringssl() {
	# (<<- strips leading tabs: the recipes start with ">" instead.)
	cat >Makefile <<-'EOF'
		.RECIPEPREFIX = >
		include $(SRC)/debian/sources.mk
		CRYPTO := $(crypto_sources) $(linux_x86_64_sources)
		SSL := $(ssl_sources)
		obj = $(addprefix obj/,$(addsuffix .o,$(basename $(1))))
		DEFS := -DNDEBUG -DBORINGSSL_ANDROID_SYSTEM -DBORINGSSL_IMPLEMENTATION -DOPENSSL_SMALL \
		  -fno-strict-aliasing -fvisibility=hidden -Wa,--noexecstack
		INC := -I$(SRC)/src/crypto -I$(SRC)/src/include
		all: libcrypto.a libssl.a
		libcrypto.a: $(call obj,$(CRYPTO))
		> rm -f $@ && ar rcs $@ $^
		libssl.a: $(call obj,$(SSL))
		> rm -f $@ && ar rcs $@ $^
		obj/%.o: $(SRC)/%.c
		> @mkdir -p $(@D)
		> $(CC) -std=gnu11 $(CFLAGS) $(DEFS) $(INC) -c -o $@ $<
		obj/%.o: $(SRC)/%.S
		> @mkdir -p $(@D)
		> $(CC) $(CFLAGS) $(DEFS) $(INC) -c -o $@ $<
		obj/%.o: $(SRC)/%.cc
		> @mkdir -p $(@D)
		> $(CXX) -std=gnu++2a -fno-exceptions -fno-rtti $(CXXFLAGS) $(DEFS) $(INC) -c -o $@ $<
	EOF
	run build.log make -j"$jobs" SRC="$root/$src"
	mkdir -p "$prefix/include" "$prefix/lib"
	cp -r "$root/$src/src/include/openssl" "$prefix/include/"
	cp libcrypto.a libssl.a "$prefix/lib/"
}
flags_boringssl() {
	# libssl is C++ (no exceptions, no RTTI): the C++ runtime comes last.
	cflags="-isystem $prefix/include"
	libs="$prefix/lib/libssl.a $prefix/lib/libcrypto.a -lstdc++ -lpthread"
}

# ---------------------------------------------------------------- nss
# Debian builds NSS with coreconf (make) into shared libraries, and
# libnss3 loads the software token (libsoftokn3.so, libfreeblpriv3.so) with
# dlopen. For one static, instrumented program this uses NSS's gyp build
# (nss/build.sh without the script: gyp + ninja) with static_libs=1 and the
# targets NSS's own fuzzers link: the static software token
# (pk11wrap_static, softokn_static, freebl_static, NSS_STATIC_SOFTOKEN), the
# system NSPR and SQLite, libpkix (as Debian's; the adapter verifies with
# CERT_PKIXVerifyCert, which is "not implemented" without it), no tests, no
# tools, no legacy DB.
# (ninja builds a static library's static dependencies only for a link, so
# the software token's archives are named too.)
nss_targets="nss_static ssl certdb certhi cryptohi nssb nssdev nsspki nssutil pkcs7 pk11wrap_static
softokn_static freebl_static hw-acc-crypto-avx hw-acc-crypto-avx2 gcm-aes-x86_c_lib sha-x86_c_lib
pkixcertsel pkixchecker pkixcrlsel pkixparams pkixresults pkixstore pkixtop pkixutil pkixmodule
pkixpki pkixsystem"
build_nss() {
	need_tools gyp ninja-build libnspr4-dev libsqlite3-dev
	local nss="$root/$src/nss" san
	# gyp passes sanitizer_flags to compiler and linker; CFLAGS of the
	# environment are not read by the ninja generator for every target.
	# force_integrated_as: freebl asks for GNU as when the compiler is
	# clang, and with afl-clang-fast (whose coverage sections GNU as 2.40
	# rejects: "junk at end of line") it got it.
	san="$CFLAGS"
	# shellcheck disable=SC2046
	run configure.log gyp -f ninja --depth="$nss" -Goutput_dir="$build/out" \
		-Dnss_dist_dir="$build/dist" -Dnss_dist_obj_dir="$build/dist/Release" \
		-Dtarget_arch=x64 -Dstatic_libs=1 -Ddisable_tests=1 -Duse_system_sqlite=1 \
		-Dsign_libs=0 -Ddisable_werror=1 -Ddisable_dbm=1 -Ddisable_libpkix=0 \
		-Denable_sslkeylogfile=1 -Dsanitizer_flags="$san" -Dforce_integrated_as=1 \
		-Dnspr_include_dir=/usr/include/nspr -Dnspr_lib_dir=/usr/lib/x86_64-linux-gnu \
		"$nss/nss.gyp"
	# shellcheck disable=SC2086
	run build.log ninja -C "$build/out/Release" -j "$jobs" $nss_targets
	mkdir -p "$prefix/include/nss" "$prefix/lib"
	cp -L "$build"/dist/public/nss/*.h "$prefix/include/nss/"
	cp "$build"/dist/Release/lib/*.a "$prefix/lib/"
	# NSS poisons arena memory for ASan with NSPR's PL_MAKE_MEM_* macros
	# (plarena.h turns them on when the includer is built with ASan); the
	# distro's uninstrumented libplds4 then writes to poisoned memory
	# (memset in PL_ClearArenaPool) at the first PORT_FreeArena:
	# use-after-poison in NSS's own start-up. So NSPR's lib/ds (plarena.c,
	# plhash.c from Debian's nspr source) is built with the same flags into
	# lib/libplds4.a; libnspr4 and libplc4 stay the distro's.
	local nspr f
	nspr=$(cd "$root" && pkg=nspr tree_file=nspr/lib/ds/plarena.c fetch_source)
	mkdir -p plds
	for f in plarena plhash; do
		# shellcheck disable=SC2086 # CFLAGS is a list
		run build.log "$CC" $CFLAGS -fPIC -I/usr/include/nspr -c "$root/$nspr/nspr/lib/ds/$f.c" -o "plds/$f.o"
	done
	ar rcs "$prefix/lib/libplds4.a" plds/plarena.o plds/plhash.o
	# The static token's archives have their own names; a lib/libssl.a
	# marks the prefix as complete.
}
flags_nss() {
	cflags="-isystem $prefix/include/nss -isystem /usr/include/nspr"
	# The archives depend on each other in cycles: one group.
	local a
	libs="-Wl,--start-group"
	for a in "$prefix"/lib/*.a; do libs="$libs $a"; done
	libs="$libs -Wl,--end-group -lsqlite3 -lplc4 -lnspr4 -lz -lpthread -ldl -lm"
}

# ---------------------------------------------------------------- botan
# Debian: configure.py with bzip2, lzma, sqlite3, tpm, zlib, the Python
# module and docs. Here: --minimized-build with the modules the adapter
# (impls/botan/botan.cpp) needs, static only, no CLI/tests/docs/Python; the
# C++ is compiled without the vptr/function UBSan checks (see set_compiler).
# --no-store-vc-rev: .deps/src is inside tlsharness's git tree, whose HEAD
# configure.py would otherwise put into the version string.
botan_modules="tls,tls_cbc,x509,certstor_system,certstor_flatfile,auto_rng,system_rng,hmac_drbg,\
rsa,ecdsa,ecdh,dh,curve25519,ed25519,emsa_pkcs1,emsa_pssr,eme_pkcs1,eme_oaep,\
aes,aes_ni,aes_vperm,gcm,ccm,chacha20poly1305,sha1,sha2_32,sha2_64,sha3,hmac,prf_tls,\
pem,pbes2,pbkdf2,simd,ghash,ghash_cpu,chacha_avx2,sha1_sse2,sha2_32_x86,sha2_64_bmi2"
build_botan() {
	run configure.log /usr/bin/python3 "$root/$src/configure.py" --prefix="$prefix" --libdir=lib \
		--cc=clang --cc-bin="$CXX" --extra-cxxflags="$CXXFLAGS" \
		--minimized-build --enable-modules="$botan_modules" \
		--disable-shared-library --without-documentation --no-install-python-module \
		--build-targets=static --with-build-dir="$build" --no-store-vc-rev \
		--distribution-info="Debian $(basename "$src") (tlsharness $variant)"
	run build.log make -j"$jobs" -f "$build/Makefile" libs
	run install.log make -f "$build/Makefile" install
}
flags_botan() {
	cflags="-isystem $prefix/include/botan-2"
	libs="$prefix/lib/libbotan-2.a -lstdc++ -lpthread -ldl -lm"
}

write_flags() {
	local cflags="" libs=""
	"flags_$name"
	echo "$cflags" | tr -s ' ' >"$prefix/tlsh.cflags"
	echo "$libs" | tr -s ' ' >"$prefix/tlsh.libs"
}

build_variant() {
	local src="$1" variant="$2" prefix build stamp
	case "$variant" in
	libfuzzer) prefix="$root/.deps/$name" ;;
	*) prefix="$root/.deps/$name-$variant" ;;
	esac
	stamp="$(basename "$src") $variant"
	if [ -f "$prefix/lib/$key_lib" ] && [ "$(cat "$prefix/.stamp" 2>/dev/null)" = "$stamp" ]; then
		[ -f "$prefix/tlsh.libs" ] || write_flags
		echo "deps: $prefix is up to date ($stamp)"
		return
	fi
	[ "$variant" = libfuzzer ] || need_tools afl-clang-fast
	build="$root/.deps/build/$name-$variant"
	rm -rf "$build" "$prefix"
	mkdir -p "$build"
	echo "deps: building $stamp into $prefix (logs in $build)"
	local TIMEFORMAT="deps: $name $variant: %0R s wall, %0U s user + %0S s sys CPU"
	local rc
	# Not in a `||` list: that would switch off set -e inside the subshell.
	set +e
	time (
		set -e
		cd "$build"
		set_compiler "$variant"
		"build_$name"
	)
	rc=$?
	set -e
	if [ "$rc" -ne 0 ] || [ ! -f "$prefix/lib/$key_lib" ]; then
		rm -rf "$prefix"
		echo "deps: building $name ($variant) failed; see $build/*.log" >&2
		exit "$([ "$rc" -eq 2 ] && echo 2 || echo 1)"
	fi
	write_flags
	echo "$stamp" >"$prefix/.stamp"
}

src=$(fetch_source)
echo "deps: source $src"
for v in "${variants[@]}"; do
	build_variant "$src" "$v"
done

#!/usr/bin/env bash
# fuzz/build.sh [-e ENGINE] [-o OUT] [-j JOBS] [-q] [TARGET...] - builds fuzz
# targets from the one driver (fuzz/driver.c), one binary per TARGET, into OUT
# (default fuzz/out/ENGINE). A target newer than all its inputs is kept
# (TLSH_FUZZ_REBUILD=1 forces a rebuild).
#
# TARGET is BACKEND-ROLE-sSTAGE[-tls12|-tls13[-rsa]] or BACKEND-ROLE-s0-cfg
# (default: fuzz/targets.txt; -rsa: the handshake uses the RSA chain and
# suites; -cfg: the input configures the fuzzed side too; see fuzz/driver.c).
# ENGINE:
#   libfuzzer  clang, -fsanitize=fuzzer,address,undefined (default)
#   afl        afl-clang-fast with AFL_USE_ASAN/AFL_USE_UBSAN, persistent mode
#              through LLVMFuzzerTestOneInput (-fsanitize=fuzzer = libAFLDriver)
#   cmplog     afl-clang-fast with AFL_LLVM_CMPLOG=1, no sanitizers: the CMPLOG
#              companion binary for afl-fuzz -c
#   ossfuzz    $CC $CFLAGS, linked with $CXX $CXXFLAGS $LIB_FUZZING_ENGINE,
#              as OSS-Fuzz / ClusterFuzzLite's build.sh calls it
#
# The adapter source (impls/BACKEND/BACKEND.c; Botan's C++ shim
# impls/botan/botan.cpp with -std=c++17, linked with the engine's C++
# compiler) is compiled into each target, so its coverage counts; so are the
# harness pieces the driver uses (harness_srcs below: the guarded endpoint
# calls, the pump with the rewriter it can carry, the configuration builder).
#
# Instrumented or smoke: a target links the engine's instrumented build of its
# library when there is one and is labelled "instrumented"; otherwise it links
# the distro library and is labelled "smoke" (coverage of the driver and
# adapter only). The label is printed by the target at start-up and written
# to OUT/TARGET.kind. The instrumented prefix of backend NAME is
# TLSH_<NAME>_PREFIX (e.g. TLSH_GNUTLS_PREFIX) when set, else .deps/NAME
# (libfuzzer, ossfuzz), .deps/NAME-afl (afl), .deps/NAME-cmplog (cmplog), as
# `just fuzz-deps NAME` makes them. A prefix counts when it holds
#   tlsh.cflags  one line: compiler flags for the adapter (-isystem, -D)
#   tlsh.libs    one line: link flags (absolute .a paths, then system libs)
# OpenSSL's prefix may instead be a plain install (lib/libssl.a,
# lib/libcrypto.a, include/). A change of prefix or of either file rebuilds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

engine=libfuzzer
out=""
quiet=0
while getopts "e:o:qj:" opt; do
	case "$opt" in
	e) engine="$OPTARG" ;;
	o) out="$OPTARG" ;;
	q) quiet=1 ;;
	j) export TLSH_FUZZ_JOBS="$OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
	mapfile -t targets < <(grep -v -e '^#' -e '^$' fuzz/targets.txt)
fi
[ -n "$out" ] || out="fuzz/out/$engine"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
obj="$out/.obj"
mkdir -p "$obj"

say() {
	[ "$quiet" -eq 1 ] || echo "$@"
}

warn_flags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror)
# The harness sources compiled into every target (harness/src/NAME.c).
harness_srcs=(util endpoint pump rewrite tlsmsg recprot config)
harness_files=()
for h in "${harness_srcs[@]}"; do
	harness_files+=("harness/src/$h.c")
done
# shellcheck disable=SC2054 # commas inside -fsanitize= values
case "$engine" in
libfuzzer)
	cc=clang
	ccld=clang
	cxx=clang++
	cflags=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link
		-fno-sanitize-recover=undefined)
	ldflags=(-fsanitize=address,undefined,fuzzer)
	;;
afl)
	export AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1
	cc=afl-clang-fast
	ccld=afl-clang-fast
	cxx=afl-clang-fast++
	cflags=(-O1 -g -fno-omit-frame-pointer)
	ldflags=(-fsanitize=fuzzer)
	;;
cmplog)
	export AFL_LLVM_CMPLOG=1 AFL_QUIET=1
	cc=afl-clang-fast
	ccld=afl-clang-fast
	cxx=afl-clang-fast++
	cflags=(-O1 -g)
	ldflags=(-fsanitize=fuzzer)
	;;
ossfuzz)
	cc="${CC:-clang}"
	ccld="${CXX:-clang++}"
	cxx="${CXX:-clang++}"
	read -r -a cflags <<<"${CFLAGS:-}"
	read -r -a cxxflags <<<"${CXXFLAGS:-}"
	read -r -a engine_flags <<<"${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}"
	ldflags=("${cxxflags[@]}" "${engine_flags[@]}")
	;;
*)
	echo "build.sh: unknown engine '$engine'" >&2
	exit 2
	;;
esac

# The C++ compiler flags (Botan's shim): the C flags, or $CXXFLAGS for ossfuzz.
[ "$engine" = ossfuzz ] || cxxflags=("${cflags[@]}")

# Targets built with other flags than these are rebuilt (OUT/TARGET.flags,
# which also records the backend's prefix and its tlsh.cflags/tlsh.libs).
flags_sig="$engine|$cc|$ccld|$cxx|${cflags[*]}|${cxxflags[*]}|${ldflags[*]}"

# The instrumented prefix of backend $1 for this engine (it may not exist).
dep_prefix() {
	local b="$1" var
	var="TLSH_$(echo "$b" | tr '[:lower:]' '[:upper:]')_PREFIX"
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
		return
	fi
	case "$engine" in
	libfuzzer | ossfuzz) echo "$root/.deps/$b" ;;
	afl) echo "$root/.deps/$b-afl" ;;
	cmplog) echo "$root/.deps/$b-cmplog" ;;
	esac
}

# Uses the generic prefix contract (tlsh.cflags, tlsh.libs) of backend $1 when
# its prefix has both files: sets b_kind=instrumented, b_cflags, b_libs,
# b_sig. Returns 1 otherwise.
generic_prefix() {
	local p
	p="$(dep_prefix "$1")"
	[ -f "$p/tlsh.cflags" ] && [ -f "$p/tlsh.libs" ] || return 1
	read -r -a b_cflags <"$p/tlsh.cflags" || true
	read -r -a b_libs <"$p/tlsh.libs" || true
	[ "${#b_libs[@]}" -gt 0 ] || return 1
	b_kind=instrumented
	b_sig="$p|${b_cflags[*]}|${b_libs[*]}"
	return 0
}

bssl_libdir="/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/android"

# Sets, for a backend: b_kind (instrumented/smoke), b_src (the adapter
# source), b_lang (c/cxx), b_cflags, b_libs, b_ldflags (extra link flags the
# determinism hooks need), b_det (fuzz/det_*.c) and b_sig (what the
# instrumented prefix was, for the rebuild check). Returns 1 if the backend
# cannot be built here.
backend_setup() {
	local b="$1"
	b_kind=smoke
	b_cflags=()
	b_libs=()
	b_ldflags=()
	b_sig=""
	b_lang=c
	b_src="impls/$b/$b.c"
	b_det=fuzz/det_none.c
	[ "$b" != botan ] || {
		b_src=impls/botan/botan.cpp
		b_lang=cxx
	}
	[ -f "$b_src" ] || return 1
	[ ! -f "fuzz/det_$b.c" ] || b_det="fuzz/det_$b.c"
	[ ! -f "fuzz/det_$b.cpp" ] || b_det="fuzz/det_$b.cpp"
	case "$b" in
	openssl)
		local p
		p="$(dep_prefix openssl)"
		if generic_prefix openssl; then
			:
		elif [ -f "$p/lib/libssl.a" ] && [ -f "$p/lib/libcrypto.a" ]; then
			b_kind=instrumented
			b_cflags=(-isystem "$p/include")
			b_libs=("$p/lib/libssl.a" "$p/lib/libcrypto.a" -ldl -lpthread)
			b_sig="$p"
		else
			read -r -a b_cflags <<<"$(pkg-config --cflags openssl)"
			read -r -a b_libs <<<"$(pkg-config --libs openssl)"
		fi
		;;
	boringssl)
		if ! generic_prefix boringssl; then
			[ -f /usr/include/android/openssl/base.h ] || return 1
			b_cflags=(-isystem /usr/include/android)
			b_libs=(-L"$bssl_libdir" -lssl -lcrypto "-Wl,-rpath,$bssl_libdir" -ldl -lpthread)
		fi
		;;
	gnutls | wolfssl | nss | botan)
		local pc="$b"
		[ "$b" != botan ] || pc=botan-2
		if ! generic_prefix "$b"; then
			pkg-config --exists "$pc" || return 1
			read -r -a b_cflags <<<"$(pkg-config --cflags "$pc")"
			read -r -a b_libs <<<"$(pkg-config --libs "$pc")"
		fi
		;;
	mbedtls)
		if ! generic_prefix mbedtls; then
			[ -f /usr/include/mbedtls/ssl.h ] || return 1
			b_libs=(-lmbedtls -lmbedx509 -lmbedcrypto)
		fi
		;;
	bearssl)
		if ! generic_prefix bearssl; then
			[ -f /usr/include/bearssl.h ] || return 1
			b_libs=(-lbearssl)
		fi
		;;
	*)
		return 1
		;;
	esac
	# What the determinism hooks need at link time (see the det_*.c files).
	# shellcheck disable=SC2054 # the comma belongs to the linker flag
	case "$b" in
	mbedtls) b_ldflags=(-Wl,--wrap=mbedtls_ctr_drbg_random) ;;
	wolfssl) b_ldflags=(-Wl,--wrap=wc_RNG_GenerateBlock) ;;
	bearssl) b_ldflags=(-Wl,--wrap=br_prng_seeder_system) ;;
	esac
	return 0
}

# Parses TARGET into t_backend, t_role (1/2), t_stage, t_version, t_rsa, t_cfg (0/1).
parse_target() {
	local t="$1"
	if ! [[ "$t" =~ ^([a-z0-9]+)-(client|server)-s([0-9])(-tls1[23])?(-rsa)?(-cfg)?$ ]] ||
		{ [ -n "${BASH_REMATCH[5]}" ] && [ -z "${BASH_REMATCH[4]}" ]; } ||
		{ [ -n "${BASH_REMATCH[6]}" ] && [ "$t" != "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-s0-cfg" ]; }; then
		echo "build.sh: bad target name '$t' (BACKEND-ROLE-sSTAGE[-tls12|-tls13[-rsa]] or BACKEND-ROLE-s0-cfg)" >&2
		return 1
	fi
	t_rsa=0
	[ -z "${BASH_REMATCH[5]}" ] || t_rsa=1
	t_cfg=0
	[ -z "${BASH_REMATCH[6]}" ] || t_cfg=1
	t_backend="${BASH_REMATCH[1]}"
	t_role=1
	[ "${BASH_REMATCH[2]}" = client ] || t_role=2
	t_stage="${BASH_REMATCH[3]}"
	case "${BASH_REMATCH[4]}" in
	-tls12) t_version=0x0303 ;;
	-tls13) t_version=0x0304 ;;
	*) t_version=0 ;;
	esac
}

compile() { # SRC OBJ EXTRA...
	local src="$1" o="$2"
	shift 2
	case "$src" in
	*.cpp)
		"$cxx" -std=c++17 -Wall -Wextra -Werror "${cxxflags[@]}" -I harness/include -I fuzz -I harness/src "$@" \
			-c "$src" -o "$o"
		;;
	*)
		"$cc" "${warn_flags[@]}" "${cflags[@]}" -I harness/include -I fuzz -I harness/src "$@" -c "$src" -o "$o"
		;;
	esac
}

# Is OUT/TARGET newer than everything it is built from?
up_to_date() { # TARGET BACKEND
	local bin="$out/$1" f
	[ -x "$bin" ] && [ -f "$out/$1.kind" ] && [ "$(cat "$out/$1.kind")" = "$b_kind" ] || return 1
	[ "$(cat "$out/$1.flags" 2>/dev/null)" = "$flags_sig|$b_sig" ] || return 1
	for f in fuzz/*.c fuzz/*.cpp fuzz/*.h fuzz/build.sh harness/include/*.h "$b_src" harness/pki/*.pem \
		harness/pki/*.key "${harness_files[@]}" harness/src/*.h "${b_libs[@]}"; do
		[ -f "$f" ] || continue
		[ "$f" -ot "$bin" ] || return 1
	done
	return 0
}

# Links one target (its driver object and the backend's objects exist).
link_target() { # TARGET
	local t="$1" bobj ld="$ccld" c="$obj/common" h harness_objs=()
	for h in "${harness_srcs[@]}"; do
		harness_objs+=("$c/harness-$h.o")
	done
	parse_target "$t"
	backend_setup "$t_backend"
	bobj="$obj/$t_backend"
	# A C++ adapter links with the engine's C++ compiler (its runtime).
	[ "$b_lang" != cxx ] || ld="$cxx"
	"$ld" "${cflags[@]}" "${ldflags[@]}" -o "$out/$t.tmp" "$bobj/driver-$t.o" \
		"$bobj/adapter.o" "$bobj/det.o" "$c/det_clock.o" "$c/header.o" "$c/pki.o" "$c/cov.o" \
		"${harness_objs[@]}" "${b_ldflags[@]}" "${b_libs[@]}" -lnettle &&
		mv "$out/$t.tmp" "$out/$t" &&
		echo "$b_kind" >"$out/$t.kind" &&
		echo "$flags_sig|$b_sig" >"$out/$t.flags"
}

jobs="${TLSH_FUZZ_JOBS:-$(nproc)}"

# Runs "$@" in the background once fewer than $jobs compile jobs run; a
# failure leaves the file $fail_mark (each job says which).
spawn() { # FAILMARK CMD...
	local mark="$1"
	shift
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	("$@" || touch "$mark") &
}

declare -A need_backend=()
todo=()
failed=0
fresh=0
skipped=()
for t in "${targets[@]}"; do
	parse_target "$t" || {
		failed=$((failed + 1))
		continue
	}
	if ! backend_setup "$t_backend"; then
		skipped+=("$t")
		continue
	fi
	if [ "${TLSH_FUZZ_REBUILD:-0}" != 1 ] && up_to_date "$t" "$t_backend"; then
		fresh=$((fresh + 1))
		continue
	fi
	need_backend[$t_backend]=1
	todo+=("$t")
done

# Every object, $jobs at a time: the backend-independent ones once, each
# backend's adapter and determinism hooks, each target's driver (its
# build-time choices are defines).
if [ "${#todo[@]}" -gt 0 ]; then
	c="$obj/common"
	mkdir -p "$c"
	rm -f "$obj"/*/.failed "$obj"/*/.failed-*
	spawn "$c/.failed" compile fuzz/det_clock.c "$c/det_clock.o"
	spawn "$c/.failed" compile fuzz/header.c "$c/header.o"
	spawn "$c/.failed" compile fuzz/cov.c "$c/cov.o"
	spawn "$c/.failed" compile fuzz/pki.c "$c/pki.o" "-DTLSH_FUZZ_PKI_DIR=\"$root/harness/pki\""
	for h in "${harness_srcs[@]}"; do
		spawn "$c/.failed" compile "harness/src/$h.c" "$c/harness-$h.o"
	done
	for b in "${!need_backend[@]}"; do
		backend_setup "$b"
		mkdir -p "$obj/$b"
		spawn "$obj/$b/.failed" compile "$b_src" "$obj/$b/adapter.o" "${b_cflags[@]}"
		spawn "$obj/$b/.failed" compile "$b_det" "$obj/$b/det.o" "${b_cflags[@]}"
	done
	for t in "${todo[@]}"; do
		parse_target "$t"
		backend_setup "$t_backend"
		spawn "$obj/$t_backend/.failed-$t" compile fuzz/driver.c "$obj/$t_backend/driver-$t.o" \
			-DTLSH_FUZZ_ROLE="$t_role" -DTLSH_FUZZ_STAGE="$t_stage" -DTLSH_FUZZ_VERSION="$t_version" \
			-DTLSH_FUZZ_RSA="$t_rsa" -DTLSH_FUZZ_CFG="$t_cfg" \
			-DTLSH_FUZZ_TARGET="\"$t\"" -DTLSH_FUZZ_KIND="\"$b_kind\""
	done
	wait
	[ ! -f "$c/.failed" ] || echo "build.sh: cannot build the common objects" >&2
	for b in "${!need_backend[@]}"; do
		[ ! -f "$obj/$b/.failed" ] || echo "build.sh: cannot build the $b adapter objects" >&2
	done
fi

# Links, $jobs at a time.
declare -A pid_of=()
built=0
reap() {
	local p="$1" t="$2"
	if wait "$p"; then
		built=$((built + 1))
		say "built $out/$t [$(cat "$out/$t.kind")]"
	else
		failed=$((failed + 1))
		echo "build.sh: FAILED $t" >&2
	fi
}
running=()
for t in "${todo[@]}"; do
	parse_target "$t"
	if [ -f "$obj/common/.failed" ] || [ -f "$obj/$t_backend/.failed" ] ||
		[ -f "$obj/$t_backend/.failed-$t" ]; then
		failed=$((failed + 1))
		echo "build.sh: FAILED $t" >&2
		continue
	fi
	link_target "$t" &
	pid_of[$!]="$t"
	running+=($!)
	if [ "${#running[@]}" -ge "$jobs" ]; then
		reap "${running[0]}" "${pid_of[${running[0]}]}"
		running=("${running[@]:1}")
	fi
done
for p in "${running[@]}"; do
	reap "$p" "${pid_of[$p]}"
done
if [ "${#skipped[@]}" -gt 0 ]; then
	say "skipped (backend not available here): ${skipped[*]}"
fi
say "build.sh ($engine): $built built, $fresh up to date, $failed failed -> $out"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# fuzz/build.sh [-e ENGINE] [-o OUT] [-j JOBS] [-q] [TARGET...] - builds fuzz
# targets from the one driver (fuzz/driver.c), one binary per TARGET, into OUT
# (default fuzz/out/ENGINE). A target newer than all its inputs is kept
# (TLSH_FUZZ_REBUILD=1 forces a rebuild).
#
# TARGET is BACKEND-ROLE-sSTAGE[-tls12|-tls13] (default: fuzz/targets.txt).
# ENGINE:
#   libfuzzer  clang, -fsanitize=fuzzer,address,undefined (default)
#   afl        afl-clang-fast with AFL_USE_ASAN/AFL_USE_UBSAN, persistent mode
#              through LLVMFuzzerTestOneInput (-fsanitize=fuzzer = libAFLDriver)
#   cmplog     afl-clang-fast with AFL_LLVM_CMPLOG=1, no sanitizers: the CMPLOG
#              companion binary for afl-fuzz -c
#   ossfuzz    $CC $CFLAGS, linked with $CXX $CXXFLAGS $LIB_FUZZING_ENGINE,
#              as OSS-Fuzz / ClusterFuzzLite's build.sh calls it
#
# The adapter source (impls/BACKEND/BACKEND.c) is compiled into each target,
# so its coverage counts. OpenSSL targets link the instrumented static
# OpenSSL of the engine (.deps/openssl, .deps/openssl-afl,
# .deps/openssl-cmplog; `just fuzz-deps openssl`, or TLSH_OPENSSL_PREFIX)
# when it exists and are labelled "instrumented"; otherwise, and for every
# other backend, they link the distro library and are labelled "smoke"
# (coverage of the driver and adapter only). The label is printed by the
# target at start-up and written to OUT/TARGET.kind.
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
# shellcheck disable=SC2054 # commas inside -fsanitize= values
case "$engine" in
libfuzzer)
	cc=clang
	ccld=clang
	cflags=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link
		-fno-sanitize-recover=undefined)
	ldflags=(-fsanitize=address,undefined,fuzzer)
	;;
afl)
	export AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1
	cc=afl-clang-fast
	ccld=afl-clang-fast
	cflags=(-O1 -g -fno-omit-frame-pointer)
	ldflags=(-fsanitize=fuzzer)
	;;
cmplog)
	export AFL_LLVM_CMPLOG=1 AFL_QUIET=1
	cc=afl-clang-fast
	ccld=afl-clang-fast
	cflags=(-O1 -g)
	ldflags=(-fsanitize=fuzzer)
	;;
ossfuzz)
	cc="${CC:-clang}"
	ccld="${CXX:-clang++}"
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

# Targets built with other flags than these are rebuilt (OUT/TARGET.flags).
flags_sig="$engine|$cc|$ccld|${cflags[*]}|${ldflags[*]}|${TLSH_OPENSSL_PREFIX:-}"

# The instrumented OpenSSL for this engine, if any.
openssl_prefix() {
	if [ -n "${TLSH_OPENSSL_PREFIX:-}" ]; then
		echo "$TLSH_OPENSSL_PREFIX"
		return
	fi
	case "$engine" in
	libfuzzer | ossfuzz) echo "$root/.deps/openssl" ;;
	afl) echo "$root/.deps/openssl-afl" ;;
	cmplog) echo "$root/.deps/openssl-cmplog" ;;
	esac
}

bssl_libdir="/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/android"

# Sets b_kind, b_cflags, b_libs, b_det for a backend; returns 1 if it cannot
# be built here.
backend_setup() {
	local b="$1"
	b_kind=smoke
	b_cflags=()
	b_libs=()
	b_det=fuzz/det_none.c
	[ -f "impls/$b/$b.c" ] || return 1
	case "$b" in
	openssl)
		b_det=fuzz/det_openssl.c
		local p
		p="$(openssl_prefix)"
		if [ -f "$p/lib/libssl.a" ] && [ -f "$p/lib/libcrypto.a" ]; then
			b_kind=instrumented
			b_cflags=(-isystem "$p/include")
			b_libs=("$p/lib/libssl.a" "$p/lib/libcrypto.a" -ldl -lpthread)
		else
			read -r -a b_cflags <<<"$(pkg-config --cflags openssl)"
			read -r -a b_libs <<<"$(pkg-config --libs openssl)"
		fi
		;;
	boringssl)
		b_det=fuzz/det_boringssl.c
		[ -f /usr/include/android/openssl/base.h ] || return 1
		b_cflags=(-isystem /usr/include/android)
		b_libs=(-L"$bssl_libdir" -lssl -lcrypto "-Wl,-rpath,$bssl_libdir" -ldl -lpthread)
		;;
	gnutls | wolfssl | nss)
		local pc="$b"
		[ "$b" != nss ] || pc=nss
		pkg-config --exists "$pc" || return 1
		read -r -a b_cflags <<<"$(pkg-config --cflags "$pc")"
		read -r -a b_libs <<<"$(pkg-config --libs "$pc")"
		;;
	mbedtls)
		b_libs=(-lmbedtls -lmbedx509 -lmbedcrypto)
		;;
	bearssl)
		b_libs=(-lbearssl)
		;;
	*)
		return 1
		;;
	esac
	return 0
}

# Parses TARGET into t_backend, t_role (1/2), t_stage, t_version.
parse_target() {
	local t="$1"
	if ! [[ "$t" =~ ^([a-z0-9]+)-(client|server)-s([0-9])(-tls1[23])?$ ]]; then
		echo "build.sh: bad target name '$t' (BACKEND-ROLE-sSTAGE[-tls12|-tls13])" >&2
		return 1
	fi
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
	"$cc" "${warn_flags[@]}" "${cflags[@]}" -I harness/include -I fuzz "$@" -c "$src" -o "$o"
}

# Is OUT/TARGET newer than everything it is built from?
up_to_date() { # TARGET BACKEND
	local bin="$out/$1" f
	[ -x "$bin" ] && [ -f "$out/$1.kind" ] && [ "$(cat "$out/$1.kind")" = "$b_kind" ] || return 1
	[ "$(cat "$out/$1.flags" 2>/dev/null)" = "$flags_sig" ] || return 1
	for f in fuzz/*.c fuzz/*.h fuzz/build.sh harness/include/tlsh.h "impls/$2/$2.c" harness/pki/*.pem \
		harness/pki/*.key "${b_libs[@]}"; do
		[ -f "$f" ] || continue
		[ "$f" -ot "$bin" ] || return 1
	done
	return 0
}

# Compiles and links one target (the backend's objects exist).
build_target() { # TARGET
	local t="$1" bobj
	parse_target "$t"
	backend_setup "$t_backend"
	bobj="$obj/$t_backend"
	compile fuzz/driver.c "$bobj/driver-$t.o" \
		-DTLSH_FUZZ_ROLE="$t_role" -DTLSH_FUZZ_STAGE="$t_stage" -DTLSH_FUZZ_VERSION="$t_version" \
		-DTLSH_FUZZ_TARGET="\"$t\"" -DTLSH_FUZZ_KIND="\"$b_kind\"" &&
		"$ccld" "${cflags[@]}" "${ldflags[@]}" -o "$out/$t.tmp" "$bobj/driver-$t.o" "$bobj/adapter.o" \
			"$bobj/det.o" "$bobj/det_clock.o" "$bobj/header.o" "$bobj/pki.o" "${b_libs[@]}" &&
		mv "$out/$t.tmp" "$out/$t" &&
		echo "$b_kind" >"$out/$t.kind" &&
		echo "$flags_sig" >"$out/$t.flags"
}

declare -A built_backend=()
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
	bobj="$obj/$t_backend"
	if [ -z "${built_backend[$t_backend]:-}" ]; then
		mkdir -p "$bobj"
		# The five shared objects in parallel.
		pids=()
		compile "impls/$t_backend/$t_backend.c" "$bobj/adapter.o" "${b_cflags[@]}" & pids+=($!)
		compile "$b_det" "$bobj/det.o" "${b_cflags[@]}" & pids+=($!)
		compile fuzz/det_clock.c "$bobj/det_clock.o" & pids+=($!)
		compile fuzz/header.c "$bobj/header.o" & pids+=($!)
		compile fuzz/pki.c "$bobj/pki.o" "-DTLSH_FUZZ_PKI_DIR=\"$root/harness/pki\"" & pids+=($!)
		built_backend[$t_backend]=ok
		for p in "${pids[@]}"; do
			wait "$p" || built_backend[$t_backend]=failed
		done
		[ "${built_backend[$t_backend]}" = ok ] ||
			echo "build.sh: cannot build the $t_backend adapter objects" >&2
	fi
	if [ "${built_backend[$t_backend]}" != ok ]; then
		failed=$((failed + 1))
		continue
	fi
	todo+=("$t")
done

# Drivers and links, $jobs at a time.
jobs="${TLSH_FUZZ_JOBS:-$(nproc)}"
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
	build_target "$t" &
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

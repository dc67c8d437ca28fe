# fuzz/common.sh - sourced by the fuzz scripts: paths, target names, the
# sanitizer environment, libFuzzer flags from TARGET.options.
# shellcheck shell=bash

fz_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# ASan/UBSan settings for every target run: stop at the first finding, with a
# symbolized stack (the stack hash is computed from it).
export ASAN_OPTIONS="${TLSH_FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1:handle_abort=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${TLSH_FUZZ_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1:symbolize=1}"
# BoringSSL reads this at load time; det_boringssl.c needs RDRAND off.
export OPENSSL_ia32cap="~0x4000000000000000"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
	for s in llvm-symbolizer llvm-symbolizer-14; do
		if command -v "$s" >/dev/null; then
			ASAN_SYMBOLIZER_PATH="$(command -v "$s")"
			export ASAN_SYMBOLIZER_PATH
			break
		fi
	done
fi

# The default targets (fuzz/targets.txt).
fz_targets() {
	grep -v -e '^#' -e '^$' "$fz_root/fuzz/targets.txt"
}

fz_check_target() {
	if ! [[ "$1" =~ ^[a-z0-9]+-(client|server)-(s[0-9](-tls1[23](-rsa)?)?|s0-cfg)$ ]]; then
		echo "not a target name: '$1' (BACKEND-ROLE-sSTAGE[-tls12|-tls13[-rsa]] or BACKEND-ROLE-s0-cfg; see fuzz/targets.txt)" >&2
		return 2
	fi
}

fz_backend() {
	echo "${1%%-*}"
}

# libFuzzer flags from fuzz/options/TARGET.options ([libfuzzer] key = value).
fz_libfuzzer_flags() {
	local f="$fz_root/fuzz/options/$1.options" section="" line k v
	[ -f "$f" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		line="${line%%#*}"
		[[ "$line" =~ ^[[:space:]]*$ ]] && continue
		if [[ "$line" =~ ^\[(.*)\] ]]; then
			section="${BASH_REMATCH[1]}"
			continue
		fi
		[ "$section" = libfuzzer ] || continue
		k="$(echo "${line%%=*}" | tr -d '[:space:]')"
		v="$(echo "${line#*=}" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')"
		echo "-$k=$v"
	done <"$f"
}

# Builds TARGET for ENGINE (quietly unless it fails) and prints the binary.
fz_build() { # ENGINE TARGET
	local log
	log="$(mktemp)"
	if ! "$fz_root/fuzz/build.sh" -e "$1" "$2" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	echo "$fz_root/fuzz/out/$1/$2"
}

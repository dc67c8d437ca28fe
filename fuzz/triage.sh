#!/usr/bin/env bash
# fuzz/triage.sh TARGET FILE... - files crash inputs (from libFuzzer or AFL++)
# under fuzz/crashes/TARGET/STACKHASH/, one folder per distinct crash.
#
# Each FILE is run with the libFuzzer build of TARGET (ASan+UBSan,
# symbolized). The stack hash is the SHA-1 (first 12 hex digits) of the
# finding's kind (e.g. "heap-buffer-overflow READ", "ABI violation: read
# returned OK with") and its top 3 frames, leaving out sanitizer, libc,
# allocator-wrapper and libFuzzer frames. A folder holds:
#   input       the smallest input seen for that hash
#   report.txt  the sanitizer report of that input
#   info.txt    backend, target, stack hash, kind, frames, the command that
#               reproduces it, how often it was seen, status (open|fixed)
# Crashes with the same hash are collapsed (the count goes up; a smaller input
# replaces the kept one). A FILE that does not crash again is reported as
# unreproducible and not filed. Prints one line per FILE; exit 0.
set -euo pipefail
# shellcheck source=fuzz/common.sh
source "$(dirname "$0")/common.sh"
cd "$fz_root"

if [ $# -lt 2 ]; then
	echo "usage: fuzz/triage.sh TARGET FILE..." >&2
	exit 2
fi
target="$1"
shift
fz_check_target "$target"
bin="$(fz_build libfuzzer "$target")"
mapfile -t lf_flags < <(fz_libfuzzer_flags "$target")
crashes="${TLSH_FUZZ_CRASHES:-$fz_root/fuzz/crashes}"

# Prints "KIND<TAB>frame1;frame2;frame3" for a sanitizer report on stdin.
signature() {
	awk '
	function skip(f) {
		return f ~ /^(__asan|__ubsan|__sanitizer|__interceptor|___interceptor|__lsan|__msan|__GI_|__libc|__cxa|_start|abort|raise|malloc|calloc|realloc|free|operator new|operator delete|fuzzer::|LLVMFuzzerTestOneInput|fz_violation|violate$|check_status$|check_message$|CRYPTO_malloc|CRYPTO_zalloc|CRYPTO_realloc|CRYPTO_clear_realloc|CRYPTO_memdup|CRYPTO_strdup|CRYPTO_strndup|OPENSSL_sk_|main$|start_thread|clone)/ \
		    || f == "" || f ~ /^0x/
	}
	kind == "" && /ERROR: AddressSanitizer: / {
		k = $0; sub(/.*ERROR: AddressSanitizer: /, "", k); sub(/ on (unknown )?address.*/, "", k)
		sub(/ \(pc .*/, "", k); kind = k; next
	}
	kind != "" && access == "" && /^(READ|WRITE) of size/ { access = $1 }
	kind == "" && /ERROR: LeakSanitizer/ { kind = "memory leak"; next }
	kind == "" && /runtime error:/ {
		k = $0; sub(/.*runtime error: /, "", k); gsub(/[0-9]+/, "N", k); gsub(/0xN[0-9a-f]*/, "ADDR", k)
		kind = "UB: " substr(k, 1, 60); next
	}
	kind == "" && /tlsh-fuzz: ABI violation/ {
		k = $0; sub(/.*ABI violation by [^:]*: /, "", k); gsub(/[0-9]+/, "N", k)
		kind = "ABI violation: " substr(k, 1, 60); next
	}
	kind == "" && /ERROR: libFuzzer: timeout/ { kind = "timeout"; next }
	kind == "" && /ERROR: libFuzzer: out-of-memory/ { kind = "out-of-memory"; next }
	kind == "" && /ERROR: libFuzzer: deadly signal/ { kind = "deadly signal"; next }
	/^    #[0-9]+ / && n < 3 && !done {
		f = $0; sub(/^    #[0-9]+ 0x[0-9a-f]+ in /, "", f); sub(/^    #[0-9]+ 0x[0-9a-f]+ /, "", f)
		sub(/ \/.*$/, "", f); sub(/ \(.*$/, "", f)
		if (!skip(f)) { frames = frames (n ? ";" : "") f; n++ }
		instack = 1; next
	}
	instack && !/^    #[0-9]+ / { if (n > 0) done = 1; instack = 0 }
	END { if (kind == "") kind = "crash"; if (access != "") kind = kind " " access; printf "%s\t%s\n", kind, frames }
	'
}

run_once() { # FILE LOG -> exit status of the target
	local rc=0
	("$bin" "${lf_flags[@]}" -runs=1 "$1" >"$2" 2>&1; exit $?) 2>/dev/null || rc=$?
	return "$rc"
}

filed=0
for f in "$@"; do
	[ -f "$f" ] || continue
	log="$(mktemp)"
	if run_once "$f" "$log"; then
		echo "unreproducible: $f (no crash on a fresh run)"
		rm -f "$log"
		continue
	fi
	sig="$(signature <"$log")"
	kind="${sig%%$'\t'*}"
	frames="${sig#*$'\t'}"
	hash="$(printf '%s|%s|%s' "$target" "$kind" "$frames" | sha1sum | cut -c1-12)"
	dir="$crashes/$target/$hash"
	size="$(stat -c %s "$f")"
	if [ -f "$dir/info.txt" ]; then
		count="$(sed -n 's/^seen: //p' "$dir/info.txt")"
		count=$((${count:-1} + 1))
		sed -i "s/^seen: .*/seen: $count/" "$dir/info.txt"
		if [ "$size" -lt "$(stat -c %s "$dir/input")" ]; then
			cp "$f" "$dir/input"
			cp "$log" "$dir/report.txt"
		fi
		echo "duplicate:  $target $hash ($kind; seen $count times) <- $f"
	else
		mkdir -p "$dir"
		cp "$f" "$dir/input"
		cp "$log" "$dir/report.txt"
		# Reproducibility on fresh processes.
		ok=1
		for _ in 1 2; do
			if run_once "$f" /dev/null; then :; else ok=$((ok + 1)); fi
		done
		rel="${dir#"$fz_root"/}"
		cat >"$dir/info.txt" <<-EOF
			backend: $(fz_backend "$target")
			target: $target
			build: $(cat "$bin.kind" 2>/dev/null || echo unknown)
			stack_hash: $hash
			kind: $kind
			frames: $frames
			reproduce: just fuzz-repro $target $rel/input
			reproduced_on_triage: $ok/3
			first_seen: $(date -u +%Y-%m-%dT%H:%M:%SZ)
			seen: 1
			status: open
			upstream: unknown
		EOF
		filed=$((filed + 1))
		echo "new crash:  $target $hash ($kind) [$frames] -> $rel"
		echo "            reproduce: just fuzz-repro $target $rel/input"
	fi
	rm -f "$log"
done
[ "$filed" -eq 0 ] || echo "triage: $filed new crash folder(s) under ${crashes#"$fz_root"/}/$target"

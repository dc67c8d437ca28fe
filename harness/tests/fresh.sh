#!/usr/bin/env bash
# Fresh-machine checks that need no container engine (run by suite.sh):
#  1. the Python modules the project's tools import come from Debian's
#     packages (/usr/lib/python3/dist-packages, Debian's /usr/bin/python3)
#     and bootstrap.sh installs each of those packages, so that nothing
#     pip-installed on a reused machine can hide a missing bootstrap package;
#  2. the Docker build context (.dockerignore) holds every tracked file and
#     none of the build trees, instrumented libraries, reports, nightly output
#     or temporaries: the context is listed by python3-docker's exclude_paths
#     (the Docker client's own .dockerignore matching) over a scratch tree
#     made of the tracked paths plus one file in each generated folder.
# Usage: fresh.sh. TAP-style lines; exit 0 when all pass.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
py=/usr/bin/python3
n=0
bad=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { # CONDITION-COMMAND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		bad=$((bad + 1))
	fi
}

# The packages bootstrap.sh installs (its packages=(...) list).
boot_pkgs=$(sed -n '/^packages=(/,/^)/p' bootstrap.sh | sed 's/#.*//' | tr -s ' \t()' '\n' | grep -v -e '^packages=' -e '^$')
in_bootstrap() { grep -qx -- "$1" <<<"$boot_pkgs"; }

# 1. Modules of reports/validate.py (jsonschema), harness/tests/html_report.py
# (selenium, with chromium-driver), harness/tests/ci_examples.py (yaml),
# impls/pep748/tests and the bridge (the standard library only) and the
# Docker context check below (docker).
for mod in jsonschema selenium yaml docker; do
	file=$("$py" -I -c "import $mod; print($mod.__file__)" 2>"$tmp/err") || file=""
	ok '[ -n "$file" ]' "$py imports $mod$( [ -n "$file" ] || echo ": $(tail -n 1 "$tmp/err")")"
	[ -n "$file" ] || continue
	ok '[[ "$file" == /usr/lib/python3/dist-packages/* ]]' "$mod comes from Debian's dist-packages ($file)"
	pkg=$(dpkg -S "$file" 2>/dev/null | cut -d: -f1)
	ok 'in_bootstrap "$pkg"' "bootstrap.sh installs $mod's package (${pkg:-none: not from a Debian package})"
done
for f in /usr/bin/chromium /usr/bin/chromedriver; do
	pkg=$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)
	ok 'in_bootstrap "$pkg"' "bootstrap.sh installs $f (${pkg:-not from a Debian package})"
done

# 2. The Docker build context.
generated=(
	.git build/build.ninja build-asan/harness/tlsharness build-cov/x.o build.tmp/x
	.deps/openssl/tlsh.cflags .deps/src/openssl-3.0.19/Makefile
	fuzz/out/regress/openssl-server-s0 fuzz/out/corpus/openssl-server-s0/abc
	reports/out/openssl/report.json reports/out/asan/matrix/junit.xml
	reports/nightly/2026-01-01/index.html
	reports/out.tmp.123 harness/src/report.c.tmp.99 corpora/openssl-server-s0/x.tmp.1
	harness/src/report.c~ harness/src/.report.c.swp impls/openssl/openssl.c.orig
	impls/openssl/openssl.c.rej impls/pep748/python/tlsh_pep748/__pycache__/api.cpython-311.pyc
)
root="$tmp/ctx"
git ls-files -z >"$tmp/tracked"
if "$py" -I - "$root" "$tmp/tracked" "${generated[@]}" >"$tmp/context" 2>"$tmp/err" <<'PY'; then
import os, shutil, sys
from docker.utils.build import exclude_paths
root, generated = sys.argv[1], sys.argv[3:]
with open(sys.argv[2], "rb") as f:
    tracked = [p for p in f.read().decode().split("\0") if p]
for p in tracked + generated:  # names matter here, not contents
    os.makedirs(os.path.join(root, os.path.dirname(p)), exist_ok=True)
    open(os.path.join(root, p), "w").close()
shutil.copy(".dockerignore", os.path.join(root, ".dockerignore"))
with open(".dockerignore") as f:
    patterns = [l.strip() for l in f if l.strip() and not l.startswith("#")]
for p in sorted(exclude_paths(root, patterns, dockerfile="docker/Dockerfile")):
    if os.path.isfile(os.path.join(root, p)):
        print(p)
PY
	ok 'true' "the context is listed ($(wc -l <"$tmp/context") files)"
else
	ok 'false' "the context is listed: $(tail -n 1 "$tmp/err")"
fi
leaked=$(for f in "${generated[@]}"; do grep -Fx -- "$f" "$tmp/context"; done)
ok '[ -z "$leaked" ]' "no generated file is in the context$( [ -z "$leaked" ] || echo " (leaked:" $leaked")")"
missing=$(git ls-files | grep -vxF -f "$tmp/context")
ok '[ -z "$missing" ]' "every tracked file is in the context$( [ -z "$missing" ] || printf ' (missing: %s)' "$(head -n 5 <<<"$missing" | paste -sd' ')")"

echo "fresh: $((n - bad)) of $n checks passed"
[ "$bad" -eq 0 ]

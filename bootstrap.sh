#!/usr/bin/env bash
# Installs what tlsharness needs on Debian 12: Debian packages, and `just`
# from npm's rust-just. Idempotent: when everything is present it only checks
# (well under a second). The build itself is `just build` (the justfile).
set -euo pipefail
cd "$(dirname "$0")"

packages=(
	build-essential clang llvm lld libclang-rt-14-dev meson ninja-build pkg-config clang-format
	libjansson-dev nettle-dev
	libssl-dev openssl gnutls-bin
	android-libboringssl-dev
	libgnutls28-dev libwolfssl-dev libmbedtls-dev libbearssl-dev libnss3-dev libbotan-2-dev
	git ca-certificates time
	# Python tools run by Debian's /usr/bin/python3 with Debian's modules:
	# reports/validate.py, harness/tests/html_report.py, ci_examples.py, fresh.sh
	python3 python3-dev python3-jsonschema python3-yaml python3-docker
	chromium chromium-driver python3-selenium
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
# `just` comes from npm's rust-just, whose wrapper runs on Node.js: 1.40.0 is
# the last release that runs on Debian 12's Node.js 18 (later ones need Node
# >= 20.19 and fail with a SyntaxError there). A `just` that does not run is
# installed again.
just_pkg=rust-just@1.40.0
just_ok() { just --version >/dev/null 2>&1; }
# npm: Debian's package, unless some npm is already there (a nodesource
# nodejs ships its own and conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1 && ! just_ok; then
	missing+=(npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "bootstrap: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! just_ok; then
	echo "bootstrap: installing just (npm: $just_pkg)"
	$sudo npm install -g --no-fund --no-audit "$just_pkg"
	if ! just_ok; then
		echo "bootstrap: 'just --version' fails after installing $just_pkg (Node.js $(node --version 2>&1)):" >&2
		just --version >&2 || true
		exit 1
	fi
fi

echo "bootstrap: all dependencies present ($(just --version), meson $(meson --version), $(openssl version | cut -d' ' -f1-2))"

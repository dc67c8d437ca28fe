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
	# reports/validate.py, harness/tests/html_report.py, harness/tests/fresh.sh
	python3 python3-dev python3-jsonschema python3-docker
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
# npm (for just): Debian's package, unless some npm is already there (a
# nodesource nodejs ships its own and conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1 && ! command -v just >/dev/null 2>&1; then
	missing+=(npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "bootstrap: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v just >/dev/null 2>&1; then
	echo "bootstrap: installing just (npm: rust-just)"
	$sudo npm install -g --no-fund --no-audit rust-just
fi

echo "bootstrap: all dependencies present ($(just --version), meson $(meson --version), $(openssl version | cut -d' ' -f1-2))"

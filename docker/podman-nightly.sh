#!/usr/bin/env bash
# docker/podman-nightly.sh [SECONDS] - the nightly job in the Docker image,
# built and run with podman where no Docker engine and no image registry can
# be had (`just docker-nightly SECONDS`):
#
#  1. installs podman, runc and mmdebstrap from Debian when missing (only
#     here: bootstrap.sh does not);
#  2. makes the Debian 12 base image once, from Debian's mirror, when the
#     local image store has none: mmdebstrap --variant=apt bookworm (with
#     bookworm-updates and bookworm-security, as Debian's official image has)
#     imported as localhost/debian:12;
#  3. builds docker/Dockerfile from it (tlsharness-nightly); the context is
#     the repository minus .dockerignore;
#  4. runs the image's nightly job (docker/nightly.sh SECONDS) with
#     reports/nightly, corpora and fuzz/crashes mounted from the host, so
#     that the dated report folder, the merged corpora and the crash inputs
#     stay here after the container (--rm) is gone; a named volume keeps the
#     instrumented libraries (.deps, built from 30 minutes of budget on)
#     from one run to the next.
#
# Every step prints its duration; the image size is printed after the build.
#
# Environment:
#   TLSH_EXTRA_CA_CERTS  a PEM file of CA certificates the build must trust
#                        (a TLS-intercepting proxy's): passed as the
#                        Dockerfile's EXTRA_CA_CERTS build argument
#   TLSH_BASE_IMAGE      the base image (default localhost/debian:12)
#   TLSH_DOCKER_STEPS    the steps to do (default "base build run")
#   TLSH_PODMAN_ULIMITS  the --ulimit options of build and run (default: the
#                        host's own open-files and process limits; podman's
#                        defaults are above them, which only a process with
#                        CAP_SYS_RESOURCE may set)
#   TLSH_NIGHTLY_*, TLSH_JOBS  passed on to docker/nightly.sh
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-3600}"
case "$budget" in
'' | *[!0-9]*)
	echo "usage: docker/podman-nightly.sh [SECONDS]  (SECONDS: the nightly budget, a whole number)" >&2
	exit 2
	;;
esac
base="${TLSH_BASE_IMAGE:-localhost/debian:12}"
image=localhost/tlsharness-nightly
steps=" ${TLSH_DOCKER_STEPS:-base build run} "
t_all=$SECONDS
say() { printf '[docker-nightly +%ds] %s\n' "$((SECONDS - t_all))" "$*"; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing ${missing[*]} (Debian)"
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# crun (podman's default where installed) cannot set the container's rlimits
# in every sandbox; runc can, within the host's own limits. Processes: at most
# pid_max, which some kernels also enforce on RLIMIT_NPROC.
podman=(podman --runtime runc)
[ -z "$sudo" ] || podman=("$sudo" "${podman[@]}")
if [ -n "${TLSH_PODMAN_ULIMITS:-}" ]; then
	read -r -a ulimits <<<"$TLSH_PODMAN_ULIMITS"
else
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 32768)
	[ "$nproc" != unlimited ] && [ "$nproc" -le "$pid_max" ] || nproc=$pid_max
	[ "$nofile" != unlimited ] || nofile=1048576
	ulimits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
fi

if [[ "$steps" == *" base "* ]]; then
	if "${podman[@]}" image exists "$base"; then
		say "base image $base: present"
	else
		say "making the base image $base with mmdebstrap (Debian 12, variant apt)"
		t=$SECONDS
		mirror=http://deb.debian.org/debian
		$sudo mmdebstrap --variant=apt --quiet bookworm - \
			"deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
			"deb http://deb.debian.org/debian-security bookworm-security main" |
			"${podman[@]}" import --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
		say "base image made in $((SECONDS - t)) s ($("${podman[@]}" image inspect --format '{{.Size}}' "$base" | numfmt --to=si)B)"
	fi
fi

if [[ "$steps" == *" build "* ]]; then
	args=(--build-arg "BASE_IMAGE=$base")
	if [ -n "${TLSH_EXTRA_CA_CERTS:-}" ]; then
		[ -r "$TLSH_EXTRA_CA_CERTS" ] || {
			echo "docker-nightly: TLSH_EXTRA_CA_CERTS: cannot read $TLSH_EXTRA_CA_CERTS" >&2
			exit 2
		}
		args+=(--build-arg "EXTRA_CA_CERTS=$(cat "$TLSH_EXTRA_CA_CERTS")")
	fi
	say "building $image (docker/Dockerfile, from $base)"
	t=$SECONDS
	"${podman[@]}" build --pull=never "${ulimits[@]}" "${args[@]}" -t "$image" -f docker/Dockerfile .
	say "image built in $((SECONDS - t)) s ($("${podman[@]}" image inspect --format '{{.Size}}' "$image" | numfmt --to=si)B)"
fi

if [[ "$steps" == *" run "* ]]; then
	mkdir -p reports/nightly corpora fuzz/crashes
	envs=()
	for v in TLSH_JOBS TLSH_NIGHTLY_FILTER TLSH_NIGHTLY_TARGETS TLSH_NIGHTLY_MERGE; do
		[ -z "${!v:-}" ] || envs+=(-e "$v=${!v}")
	done
	say "running the nightly job in $image with a ${budget} s budget"
	t=$SECONDS
	status=0
	"${podman[@]}" run --rm "${ulimits[@]}" "${envs[@]}" \
		-v "$PWD/reports/nightly:/src/reports/nightly" \
		-v "$PWD/corpora:/src/corpora" \
		-v "$PWD/fuzz/crashes:/src/fuzz/crashes" \
		-v tlsharness-nightly-deps:/src/.deps \
		"$image" "$budget" || status=$?
	say "nightly job done in $((SECONDS - t)) s (exit $status); results: reports/nightly/$(date -u +%Y-%m-%d)/"
	exit "$status"
fi

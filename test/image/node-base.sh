#!/usr/bin/env bash
# Builds a Node.js base image from Debian packages alone and prints its name; an image built
# before by the same script is reused. The image test passes it to the Dockerfile as NODE_IMAGE,
# because no container registry is reachable on this project's machines (users keep the
# Dockerfile's default, node:24-bookworm-slim). Needs root, debootstrap and podman.
#
# Debian's unstable suite (sid): its nodejs is 24, the Node.js line the Dockerfile's default
# image has. Debian 13's nodejs 20.19.2 meets package.json's engines but cannot run the Nest
# CLI (ERR_REQUIRE_CYCLE_MODULE loading ESM from CommonJS, fixed in later Node 20 releases).
# Like the official node images, it has npm and a `node` user with uid and gid 1000.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
suite=sid
image="localhost/graceful-node-base:$suite-$(sha256sum "$0" | cut -c1-12)"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

# The mirror this machine's apt uses, if it names one; otherwise debootstrap's default.
mirror="$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
rootfs="$(mktemp -d /var/tmp/graceful-node-base.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

echo "Building $image with debootstrap (about a minute) ..." >&2
debootstrap --variant=minbase --include=nodejs,ca-certificates "$suite" "$rootfs" ${mirror:+"$mirror"} >&2
# npm separately: configured by apt in one go, its dependency chain breaks debootstrap's own ordering.
chroot "$rootfs" sh -euc '
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
  apt-get clean
  rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
  groupadd --gid 1000 node
  useradd --uid 1000 --gid node --create-home --shell /bin/sh node
' >&2
tar -C "$rootfs" -c . | podman import --change 'CMD ["node"]' - "$image" >&2
echo "$image"

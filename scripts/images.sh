#!/usr/bin/env bash
# Build the systemd-capable Debian images the Molecule scenarios run, from Debian's archive,
# with debootstrap (no registry needed). An image is rebuilt only when its recipe changes:
# the recipe hash (this script, lib.sh, the suite, the package list, the mirror) is stored as
# an image label and compared before building.
#
#   scripts/images.sh [12|13 ...]      default: both
#
# Users with a registry can skip this and point scenarios at their own image with
# MOLECULE_IMAGE_DEBIAN12 / MOLECULE_IMAGE_DEBIAN13 (or MOLECULE_IMAGE for all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

IMAGE_REPO=${IMAGE_REPO:-mailrelay/debian-systemd}
# What every test container needs: systemd as PID 1, Python and sudo for Ansible, the SMTP clients
# the scenarios verify with (swaks, openssl s_client). Build dependencies are NOT here: the
# roles install those themselves, as they would on a real host.
PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,iproute2,procps,openssl,swaks,netbase,less,sudo
# debootstrap does not resolve these packages' dependencies (virtual perlapi); apt does, in the
# image build step. swaks needs Net::SSLeay for --tls.
APT_PACKAGES="libnet-ssleay-perl"

declare -A SUITE=([12]=bookworm [13]=trixie)

command -v debootstrap >/dev/null || {
  say "installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

mirror=$(debian_mirror)
security=$(debian_mirror security || true)

build_one() {
  local suite=${SUITE[$1]} tag="$IMAGE_REPO:$1" recipe have rootfs
  recipe=$( { cat "$here/images.sh" "$here/lib.sh"; echo "$suite $PACKAGES $APT_PACKAGES $mirror $security"; } | sha256sum | cut -c1-16)
  have=$(docker image inspect -f '{{ index .Config.Labels "org.mailrelay.recipe" }}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then
    say "image $tag is up to date (recipe $recipe)"
    return
  fi
  rootfs=$(mktemp -d /var/tmp/mailrelay-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' RETURN
  say "debootstrap $suite from $mirror -> $tag"
  debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2; echo "ERROR: debootstrap $suite failed" >&2; return 1; }
  rm -f "$rootfs.log"

  # apt sources inside the image: the same archive, plus updates and security
  write_debian_sources "$rootfs" "$mirror" "$suite" "$security"

  # systemd in a container: no gettys, no udev, no kernel-only units
  for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
              systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
              sys-kernel-tracing.mount systemd-remount-fs.service systemd-firstboot.service; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  : >"$rootfs/etc/machine-id"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

  tar -C "$rootfs" -c . | docker import - "$tag-rootfs" >/dev/null
  # `docker import --change` cannot set STOPSIGNAL; a two-line build can
  docker build -q -t "$tag" - >/dev/null 2>"$rootfs.build.log" <<DOCKERFILE || { cat "$rootfs.build.log" >&2; return 1; }
FROM $tag-rootfs
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PACKAGES \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV container=docker
STOPSIGNAL SIGRTMIN+3
LABEL org.mailrelay.recipe=$recipe org.mailrelay.suite=$suite
CMD ["/lib/systemd/systemd"]
DOCKERFILE
  docker image rm "$tag-rootfs" >/dev/null 2>&1 || true
  rm -f "$rootfs.build.log"
  say "built $tag (recipe $recipe)"
}

# The artifact role builds in throwaway containers from debian:<codename> by default
# (mailrelay_artifact_build_images). Without a registry there is no such image: the systemd image
# of the same release stands in for it (it is a debootstrap of that release, with Python). An
# existing debian:<codename> (pulled from a registry) is left alone.
tag_build_image() {
  local suite=${SUITE[$1]} tag="$IMAGE_REPO:$1" owner
  owner=$(docker image inspect -f '{{ index .Config.Labels "org.mailrelay.recipe" }}' "debian:$suite" 2>/dev/null || echo absent)
  if [ "$owner" = absent ] || [ -n "$owner" ]; then
    docker tag "$tag" "debian:$suite"
    say "debian:$suite -> $tag (build image for mailrelay.sendmail.artifact)"
  fi
}

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(12 13)
"$here/docker-engine.sh"
for v in "${versions[@]}"; do
  [ -n "${SUITE[$v]:-}" ] || { echo "ERROR: unknown Debian version '$v' (known: ${!SUITE[*]})" >&2; exit 2; }
  build_one "$v"
  tag_build_image "$v"
done

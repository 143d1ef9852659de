#!/usr/bin/env bash
# Build the execution environment (EE) image that AWX / Ansible Automation Platform run this
# collection in: execution-environment.yml, built by ansible-builder on a Debian 13 base made
# here with debootstrap (no registry needed).
#
#   scripts/ee.sh            -> mailrelay/ee:<collection version> and mailrelay/ee:latest
#
# 1. mailrelay/ee-base:13: debootstrap trixie from the machine's own Debian mirror, plus Python,
#    pip, ssh, sshpass, git and the docker CLI. Rebuilt only when its recipe changes (a hash
#    stored as an image label, as scripts/images.sh does).
# 2. The collection tarball (ansible-galaxy collection build) and, when this machine's pip needs
#    a CA bundle of its own to reach PyPI (pip's `cert`), that bundle, go to .cache/ee/, where
#    execution-environment.yml takes them from.
# 3. ansible-builder build --container-runtime docker, unless an image with the same recipe
#    (this script, execution-environment.yml, meta/ee-*, the base image, the collection's file
#    checksums) exists already.
# 4. A smoke check inside the image: ansible-runner answers, the collection and every
#    collection it depends on are installed, the Python libraries import.
#
# Environment: EE_IMAGE (default mailrelay/ee), EE_BASE_IMAGE (default mailrelay/ee-base:13;
# set it to use your own base and skip step 1), EE_BUILD_CA (a CA bundle file for pip inside the
# build; default: the `cert` of pip's configuration, PIP_CERT included), EE_FORCE=1 (rebuild
# even when the recipe matches).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$root/scripts/lib.sh"
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"
cd "$root"

ee_image=${EE_IMAGE:-mailrelay/ee}
base_default=mailrelay/ee-base:13
base_image=${EE_BASE_IMAGE:-$base_default}
work=$root/.cache/ee
start=$(date +%s)

for tool in ansible-builder ansible-galaxy; do
  command -v "$tool" >/dev/null || { echo "ERROR: $tool missing; run scripts/venv.sh (make venv) first" >&2; exit 1; }
done
"$root/scripts/docker-engine.sh"

# ------------------------------------------------------------------ pins agree with requirements.txt
# The EE must run the same ansible, ansible-core and runner the test suite runs.
# And it must carry every Python library the collection declares for the controller.
python3 - "$root/execution-environment.yml" "$root/requirements.txt" "$root/meta/ee-requirements.txt" <<'PY'
import re, sys
ee, req, declared = (open(p).read() for p in sys.argv[1:])
pins = dict(re.findall(r'(?m)^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)', req))
ee_pins = dict(re.findall(r'(?m)^\s+(?:-|package_pip:)\s*([A-Za-z0-9_.-]+)==(\S+)\s*$', ee))
bad = []
for name, version in ee_pins.items():
    want = pins.get(name)
    if want != version:
        bad.append(f'{name}=={version} (requirements.txt: {name}=={want})' if want else f'{name}=={version} (not pinned in requirements.txt)')
for name in re.findall(r'(?m)^([A-Za-z0-9_.-]+)', declared):
    if name not in ee_pins:
        bad.append(f'{name} (in meta/ee-requirements.txt, missing from dependencies.python)')
if bad:
    sys.exit('ERROR: execution-environment.yml does not match requirements.txt / meta/ee-requirements.txt: '
             + '; '.join(bad) + '. Pin it in execution-environment.yml as requirements.txt does.')
PY

# ------------------------------------------------------------------ 1. the base image
# What the controller side needs besides Python: ssh/sshpass (SSH and password credentials, as AWX
# hands them), git (roles and collections from git), the docker CLI (community.docker.docker).
BASE_PACKAGES="python3 python3-pip python3-venv openssh-client sshpass git rsync docker-cli netbase"
build_base() {
  local suite=trixie mirror security recipe have rootfs
  mirror=$(debian_mirror)
  security=$(debian_mirror security || true)
  recipe=$( { sed -n '/^# ---* 1\. the base image/,/^# ---* 2\./p' "$root/scripts/ee.sh"; cat "$root/scripts/lib.sh"
              echo "$suite $BASE_PACKAGES $mirror $security"; } | sha256sum | cut -c1-16)
  have=$(docker image inspect -f '{{ index .Config.Labels "org.mailrelay.recipe" }}' "$base_image" 2>/dev/null || true)
  if [ "$have" = "$recipe" ] && [ -z "${EE_FORCE:-}" ]; then
    say "image $base_image is up to date (recipe $recipe)"
    return
  fi
  command -v debootstrap >/dev/null || "$root/scripts/deps.sh"
  rootfs=$(mktemp -d /var/tmp/mailrelay-ee-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs" "$rootfs.log"' RETURN
  say "debootstrap $suite from $mirror -> $base_image"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -n 30 "$rootfs.log" >&2; echo "ERROR: debootstrap $suite failed" >&2; return 1; }
  write_debian_sources "$rootfs" "$mirror" "$suite" "$security"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base_image-rootfs" >/dev/null
  docker build -q -t "$base_image" - >/dev/null 2>"$rootfs.log" <<DOCKERFILE || { cat "$rootfs.log" >&2; return 1; }
FROM $base_image-rootfs
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $BASE_PACKAGES \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
LABEL org.mailrelay.recipe=$recipe org.mailrelay.suite=$suite
CMD ["/bin/bash"]
DOCKERFILE
  docker image rm "$base_image-rootfs" >/dev/null 2>&1 || true
  say "built $base_image (recipe $recipe)"
}
if [ "$base_image" = "$base_default" ]; then
  build_base
else
  docker image inspect "$base_image" >/dev/null 2>&1 || docker pull "$base_image"
fi

# ------------------------------------------------------------------ 2. what the build context needs
mkdir -p "$work/collection" "$work/build-ca"
rm -f "$work"/collection/*.tar.gz
ansible-galaxy collection build --force --output-path "$work/collection" "$root" >/dev/null
tarball=$(ls "$work"/collection/mailrelay-sendmail-*.tar.gz)
version=${tarball##*/mailrelay-sendmail-}; version=${version%.tar.gz}
mv "$tarball" "$work/collection/mailrelay-sendmail.tar.gz"

# The CA bundle this machine's pip trusts, when it has one of its own (a proxy that re-signs TLS
# needs it inside the build too). Taken from the machine's pip configuration, never written down.
ca=${EE_BUILD_CA:-$("$venv/bin/python" -m pip config list 2>/dev/null | sed -n "s/^[^.]*\.cert='\(.*\)'\$/\1/p" | head -n1)}
if [ -n "$ca" ] && [ -s "$ca" ]; then
  cp "$ca" "$work/build-ca/pip-ca.crt"
else
  : >"$work/build-ca/pip-ca.crt"
fi

# ------------------------------------------------------------------ 3. the EE
recipe=$( { cat "$root/scripts/ee.sh" "$root/execution-environment.yml" "$root"/meta/execution-environment.yml "$root"/meta/ee-*
            docker image inspect -f '{{ .Id }}' "$base_image"
            tar -xzOf "$work/collection/mailrelay-sendmail.tar.gz" FILES.json MANIFEST.json; } | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "org.mailrelay.recipe" }}' "$ee_image:$version" 2>/dev/null || true)
if [ "$have" = "$recipe" ] && [ -z "${EE_FORCE:-}" ]; then
  say "image $ee_image:$version is up to date (recipe $recipe)"
else
  previous=$(docker image inspect -f '{{ .Id }}' "$ee_image:$version" 2>/dev/null || true)
  say "ansible-builder build -> $ee_image:$version (log: $work/build.log)"
  rm -rf "$work/context"
  ansible-builder build --container-runtime docker -f "$root/execution-environment.yml" -c "$work/context" \
    -t "$ee_image:$version" "$ee_image:latest" \
    --build-arg "EE_BASE_IMAGE=$base_image" --build-arg "MAILRELAY_EE_RECIPE=$recipe" -v 3 >"$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2; echo "ERROR: ansible-builder build failed (log: $work/build.log)" >&2; exit 1; }
  # the image this one replaces (its layers below the collection are shared and stay)
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{ .Id }}' "$ee_image:$version")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
  say "built $ee_image:$version (recipe $recipe)"
fi

# ------------------------------------------------------------------ 4. smoke check inside the image
docker run --rm "$ee_image:$version" bash -ec '
  ansible-runner --version >/dev/null
  python3 -c "import ansible_runner, cryptography, docker, jmespath, requests"
  docker --version >/dev/null
  ansible-galaxy collection list --format json >/tmp/collections.json
  python3 - <<PY
import json
from ansible.galaxy.dependency_resolution.versioning import meets_requirements
found = {}
for path, cols in json.load(open("/tmp/collections.json")).items():
    for name, info in cols.items():
        found.setdefault(name, info["version"])
manifest = json.load(open("/usr/share/ansible/collections/ansible_collections/mailrelay/sendmail/MANIFEST.json"))
deps = manifest["collection_info"]["dependencies"]
bad = [f"{n} {req} (found {found.get(n)})" for n, req in deps.items()
       if n not in found or not meets_requirements(found[n], req)]
if bad:
    raise SystemExit("ERROR: collection dependencies missing in the EE: " + ", ".join(bad))
print("mailrelay.sendmail " + found["mailrelay.sendmail"] + " with " + ", ".join(f"{n} {found[n]}" for n in sorted(deps)))
PY'
say "make ee took $(( $(date +%s) - start )) s; image $ee_image:$version ($(docker image inspect -f '{{ .Size }}' "$ee_image:$version" | awk '{printf "%d MB", $1/1e6}'))"

#!/usr/bin/env bash
# Fill the offline source cache (.cache/sources by default) with the upstream tarballs the
# roles build from, taken from Debian's source packages (which carry upstream's "orig"
# tarballs byte for byte), plus Debian's backport of the CVE-2023-51765 (SMTP smuggling) fix.
# Every file is checked against a pinned sha256; a mismatch stops here.
#
# Users with internet access don't need this: the roles download from upstream
# (cyrus_sasl_source_url / sendmail_build_source_url) and check the same kind of checksum.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$root/scripts/lib.sh"
dest=${SOURCES_DIR:-$root/.cache/sources}
mkdir -p "$dest"

# file                                           sha256                                                            source package
SENDMAIL_ORIG=sendmail_8.17.1.9.orig.tar.gz
SENDMAIL_ORIG_SHA256=bbe09120daa48e81f4b283dd54d8e2003fea68e525f218a9fa1126ccc977eed7
SENDMAIL_PKG=sendmail=8.17.1.9-2+deb12u2
SASL_ORIG=cyrus-sasl2_2.1.28+dfsg.orig.tar.xz
SASL_ORIG_SHA256=a15886d7da5958bd27f35b7c871dd872f6dc5b9917c9b6b15e3de014c7dab3d9
SASL_PKG=cyrus-sasl2=2.1.28+dfsg-10
CVE_PATCH=0024-CVE-2023-51765.patch
CVE_PATCH_SHA256=3beadc2e89d6f47ddb9889fafddfb4da56b61bf301481be48b0266088015d02d

have() { [ -f "$dest/$1" ] && [ "$(sha256_of "$dest/$1")" = "$2" ]; }

need_fetch=()
{ have "$SENDMAIL_ORIG" "$SENDMAIL_ORIG_SHA256" && have "$CVE_PATCH" "$CVE_PATCH_SHA256"; } || need_fetch+=("$SENDMAIL_PKG")
have "$SASL_ORIG" "$SASL_ORIG_SHA256" || need_fetch+=("$SASL_PKG")

if [ ${#need_fetch[@]} -gt 0 ]; then
  # deb-src entries, derived from the machine's own apt configuration (never hard-coded)
  srcfile=/etc/apt/sources.list.d/mailrelay-deb-src.sources
  # shellcheck disable=SC2016  # $(CREATED_BY) is apt's field syntax, not a shell expansion
  if ! apt-get indextargets --format '$(CREATED_BY)' 2>/dev/null | grep -qx Sources; then
    mirror=$(debian_mirror)
    security=$(debian_mirror security || true)
    say "adding deb-src for $mirror to $srcfile"
    {
      printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror"
      [ -z "$security" ] || printf '\nTypes: deb-src\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security"
    } >"$srcfile"
    apt-get update -qq
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for pkg in "${need_fetch[@]}"; do
    say "apt-get source --download-only $pkg"
    # the pinned Debian revision may have left the archive; the orig tarball (checked
    # below) is the same in every revision of an upstream version, so fall back to the
    # newest revision in the suite
    (cd "$work" && { apt-get source -qq --download-only "$pkg" >/dev/null 2>&1 ||
                     apt-get source -qq --download-only "${pkg%%=*}" >/dev/null; })
  done
  for f in "$work"/*.orig.tar.* ; do cp -f "$f" "$dest/"; done
  deb=$(find "$work" -maxdepth 1 -name 'sendmail_*.debian.tar.xz' | head -n1)
  if [ -n "$deb" ]; then
    tar -xJf "$deb" -C "$work" "debian/patches/$CVE_PATCH"
    cp -f "$work/debian/patches/$CVE_PATCH" "$dest/$CVE_PATCH"
  fi
fi

fail=0
check() {
  if have "$1" "$2"; then say "ok  $1"; else
    echo "ERROR: $dest/$1 missing or sha256 mismatch (want $2)" >&2; fail=1; fi
}
check "$SENDMAIL_ORIG" "$SENDMAIL_ORIG_SHA256"
check "$SASL_ORIG" "$SASL_ORIG_SHA256"
check "$CVE_PATCH" "$CVE_PATCH_SHA256"
[ "$fail" = 0 ] || exit 1

# Vars file for the Molecule scenarios and `make demo`: the roles take these archives from
# the controller (cyrus_sasl_source_archive, sendmail_build_source_archive, patches).
cat >"$dest/offline-sources.yml" <<VARS
---
# Written by scripts/sources.sh: offline copies of the upstream sources, checked by sha256.
cyrus_sasl_version: "2.1.28"
cyrus_sasl_source_archive: "$dest/$SASL_ORIG"
cyrus_sasl_source_sha256: "$SASL_ORIG_SHA256"
sendmail_build_version: "8.17.1.9"
sendmail_build_source_archive: "$dest/$SENDMAIL_ORIG"
sendmail_build_source_sha256: "$SENDMAIL_ORIG_SHA256"
sendmail_build_patches:
  - path: "$dest/$CVE_PATCH"
    sha256: "$CVE_PATCH_SHA256"
VARS
say "wrote $dest/offline-sources.yml"

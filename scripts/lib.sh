# shellcheck shell=bash
# Shared helpers for the harness scripts. Source it; it defines functions only.

# debian_mirror [security]
#   Print the Debian archive URI this machine's apt already uses (the `URIs:` line of a
#   deb822 .sources file, or a `deb` line of sources.list). With "security", print the
#   security archive's URI instead (empty if the machine has none). Nothing is hard-coded:
#   the machine's apt configuration is the only source of truth. MIRROR / SECURITY_MIRROR
#   in the environment win.
debian_mirror() {
  local want=${1:-main} uri suites f
  if [ "$want" = main ] && [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
  if [ "$want" = security ] && [ -n "${SECURITY_MIRROR:-}" ]; then echo "$SECURITY_MIRROR"; return; fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: paragraphs separated by blank lines; pair each URIs with its Suites
    while IFS='|' read -r uri suites; do
      [ -n "$uri" ] || continue
      case "$suites" in
        *-security*) [ "$want" = security ] && { echo "$uri"; return; } ;;
        *) [ "$want" = main ] && { echo "$uri"; return; } ;;
      esac
    done < <(awk 'BEGIN{RS=""; FS="\n"}
                  { t=0; u=""; s="";
                    for (i=1;i<=NF;i++) {
                      if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) t=1
                      if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u=a[1] }
                      if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", $i); s=$i }
                    }
                    if (t) print u "|" s }' "$f")
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    while read -r typ rest; do
      [ "$typ" = deb ] || continue
      # shellcheck disable=SC2086  # split the line into words on purpose
      set -- $rest
      [ "${1#[}" != "$1" ] && shift   # skip [options]
      uri=$1 suites=$2
      case "$suites" in
        *-security*) [ "$want" = security ] && { echo "$uri"; return; } ;;
        *) [ "$want" = main ] && { echo "$uri"; return; } ;;
      esac
    done < "$f"
  done
  if [ "$want" = main ]; then
    echo "ERROR: no Debian mirror found in /etc/apt; set MIRROR=<uri>" >&2
    return 1
  fi
}

# write_debian_sources ROOTFS MIRROR SUITE [SECURITY_MIRROR]
#   Point a debootstrapped tree's apt at the same archive as this machine: one deb822 file with
#   SUITE and SUITE-updates, plus SUITE-security when a security mirror is known.
write_debian_sources() {
  local rootfs=$1 mirror=$2 suite=$3 security=${4:-}
  rm -f "$rootfs/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$suite" "$suite"
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$security" "$suite"
    fi
  } >"$rootfs/etc/apt/sources.list.d/debian.sources"
}

# run_systemd_container NAME HOSTNAME NETWORK IMAGE
#   Start a container that boots systemd (no --privileged: SYS_ADMIN, the host's cgroups, tmpfs
#   /run), reachable on NETWORK under HOSTNAME.
run_systemd_container() {
  docker run -d --name "$1" --hostname "$2" --network "$3" --network-alias "$2" \
    --cap-add SYS_ADMIN --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    "$4" /lib/systemd/systemd >/dev/null
}

# wait_systemd NAME...
#   Wait (up to 30 s each) until systemd in each container says running or degraded.
wait_systemd() {
  local name
  for name in "$@"; do
    for _ in $(seq 1 150); do
      case "$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)" in running|degraded) break ;; esac
      sleep 0.2
    done
  done
}

# sha256_of FILE
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

say() { printf '>>> %s\n' "$*"; }
